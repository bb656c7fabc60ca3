/**
 * Every kernel of ours on every layer shape of the nets a person is likely to train, as cases that run the same
 * inputs through our kernels and through tfjs-webgpu's own: one list for the Node tests (webgpuKernels.test.ts),
 * the Chromium test (e2e/kernels.spec.ts) and the per-kernel timing in the bench. Shapes come from the builder
 * (the layers' real inputs), not from a table that could drift from it.
 *
 * A case makes its inputs once; `run('ours' | 'tfjs')` computes its outputs with one set of kernels installed
 * (installWebGpuKernels switches the whole set), and `compareCase` says how far apart the two are.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain, WrnBatchNorm } from '../../batchNorm';
import { buildWrn } from '../../model';
import { installWebGpuKernels, type KernelChoice } from './install';

/** WRN-10-1, 16-4, 22-3 and 28-10: thin to wide, every width of the paper's table. */
export const KERNEL_TEST_NETS: readonly (readonly [depth: number, width: number])[] = [
  [10, 1],
  [16, 4],
  [22, 3],
  [28, 10],
];

/** A convolution of a WRN: input [h, w, cin], a k x k kernel at `stride`, 'same' padding, `cout` filters. */
export interface ConvShape {
  h: number;
  w: number;
  cin: number;
  k: number;
  stride: number;
  cout: number;
}

export interface LayerShapes {
  /** the distinct [H, W, C] inputs of the batch-norm layers */
  batchNorm: number[][];
  conv: ConvShape[];
}

/**
 * The distinct batch-norm and convolution input shapes of these nets, read from models built on the current
 * backend (build on 'cpu': WRN-28-10 has 36M weights that need not go to a GPU for this).
 */
export function layerShapes(nets: readonly (readonly [number, number])[] = KERNEL_TEST_NETS): LayerShapes {
  const bn = new Map<string, number[]>();
  const conv = new Map<string, ConvShape>();
  for (const [depth, width] of nets) {
    const model = buildWrn({ depth, width, dropout: 0 });
    for (const layer of model.layers) {
      // only single-input layers are read (an Add has a list of inputs)
      const input = () => (layer.input as tf.SymbolicTensor).shape.slice(1) as number[];
      if (layer instanceof WrnBatchNorm) bn.set(input().join('x'), input());
      else if (layer.getClassName() === 'Conv2D') {
        const c = layer.getConfig() as { kernelSize: number[]; strides: number[]; filters: number };
        const [h, w, cin] = input() as [number, number, number];
        const shape = { h, w, cin, k: c.kernelSize[0]!, stride: c.strides[0]!, cout: c.filters };
        conv.set(Object.values(shape).join('x'), shape);
      }
    }
    model.dispose();
  }
  return { batchNorm: [...bn.values()], conv: [...conv.values()] };
}

export type KernelKind = 'batchNorm' | 'convFilterGrad' | 'convInputGrad';

export interface KernelCase {
  kind: KernelKind;
  /** e.g. "batchNorm [8, 16, 16, 64]" or "convFilterGrad [3, 32, 32, 16] 3x3/2 -> 32" */
  label: string;
  /** names of run()'s outputs, in order */
  outputs: string[];
  /** multiply-adds (convolutions) or elements (batch norm) of one run: what a timing is divided by */
  work: number;
  /** computes the outputs with our kernels or tfjs's installed; the caller disposes them */
  run(choice: KernelChoice): tf.Tensor[];
  /** frees the inputs */
  dispose(): void;
}

const EPS = 1e-5;

/** Runs f with one set of kernels installed and puts ours back after (ours is the app's default). */
export function withKernels<T>(choice: KernelChoice, f: () => T): T {
  installWebGpuKernels(choice);
  try {
    return f();
  } finally {
    installWebGpuKernels('ours');
  }
}

function batchNormCase(hwc: number[], batch: number): KernelCase {
  const shape = [batch, ...hwc];
  const C = hwc[2]!;
  const seed = batch * 1000 + C;
  const x = tf.randomNormal(shape, 0.5, 2, 'float32', seed);
  const gamma = tf.randomNormal([C], 1, 0.3, 'float32', seed + 1) as tf.Tensor1D;
  const beta = tf.randomNormal([C], 0, 0.3, 'float32', seed + 2) as tf.Tensor1D;
  const dy = tf.randomNormal(shape, 0, 1, 'float32', seed + 3);
  const path = (choice: KernelChoice) => (choice === 'ours' ? 'kernels' : 'ops');
  return {
    kind: 'batchNorm',
    label: `batchNorm [${shape.join(', ')}]`,
    outputs: ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'],
    work: x.size,
    run: (choice) =>
      withKernels(choice, () =>
        tf.tidy(() => {
          const { y, mean, variance } = batchNormTrain(x, gamma, beta, EPS, path(choice));
          const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D, EPS, path(choice)).y;
          return [y, mean, variance, ...tf.grads(f)([x, gamma, beta], dy)];
        }),
      ),
    dispose: () => tf.dispose([x, gamma, beta, dy]),
  };
}

function convCase(kind: 'convFilterGrad' | 'convInputGrad', s: ConvShape, batch: number): KernelCase {
  const { h, w, cin, k, stride, cout } = s;
  const seed = batch * 7919 + cin * 31 + cout + (kind === 'convInputGrad' ? 5 : 0);
  const [ho, wo] = [Math.ceil(h / stride), Math.ceil(w / stride)];
  const dy = tf.randomNormal([batch, ho, wo, cout], 0, 1, 'float32', seed + 1);
  const other =
    kind === 'convFilterGrad' ? tf.randomNormal([batch, h, w, cin], 0, 1, 'float32', seed) : tf.randomNormal([k, k, cin, cout], 0, 0.1, 'float32', seed);
  const common = { strides: [stride, stride], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
  const attrs = (extra: Record<string, number[]>) => ({ ...common, ...extra }) as unknown as tf.NamedAttrMap;
  const call = (): tf.Tensor =>
    kind === 'convFilterGrad'
      ? tf.engine().runKernel('Conv2DBackpropFilter', { x: other, dy }, attrs({ filterShape: [k, k, cin, cout] }))
      : tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: other }, attrs({ inputShape: [batch, h, w, cin] }));
  return {
    kind,
    label: `${kind} [${batch}, ${h}, ${w}, ${cin}] ${k}x${k}/${stride} -> ${cout}`,
    outputs: [kind === 'convFilterGrad' ? 'dw' : 'dx'],
    work: batch * ho * wo * cout * k * k * cin,
    run: (choice) => withKernels(choice, () => [call()]),
    dispose: () => tf.dispose([dy, other]),
  };
}

/** The cases of one kernel over these shapes and batches (inputs made now, on the current backend). */
export function kernelCases(kind: KernelKind, shapes: LayerShapes, batches: readonly number[] = [1, 3, 8]): KernelCase[] {
  const cases: KernelCase[] = [];
  for (const batch of batches) {
    if (kind === 'batchNorm') for (const hwc of shapes.batchNorm) cases.push(batchNormCase(hwc, batch));
    else for (const s of shapes.conv) cases.push(convCase(kind, s, batch));
  }
  return cases;
}

/** max |ours - theirs| / max |theirs| (the absolute error when theirs is all zero). */
export async function relError(ours: tf.Tensor, theirs: tf.Tensor): Promise<number> {
  if (ours.shape.join() !== theirs.shape.join()) throw new Error(`shapes differ: [${ours.shape}] vs [${theirs.shape}]`);
  const [a, b] = await Promise.all([ours.data(), theirs.data()]);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
  }
  return scale === 0 ? err : err / scale;
}

export interface CaseComparison {
  label: string;
  /** relative error per output name */
  errors: Record<string, number>;
  /** the largest of them */
  worst: number;
}

/** Runs a case both ways and compares every output; disposes the outputs (not the case's inputs). */
export async function compareCase(c: KernelCase): Promise<CaseComparison> {
  const ours = c.run('ours');
  const theirs = c.run('tfjs');
  try {
    const errors: Record<string, number> = {};
    for (let i = 0; i < c.outputs.length; i++) errors[c.outputs[i]!] = await relError(ours[i]!, theirs[i]!);
    return { label: c.label, errors, worst: Math.max(...Object.values(errors)) };
  } finally {
    tf.dispose([...ours, ...theirs]);
  }
}

/** Tensors and backend buffers alive now: equal before and after a piece of work means it leaked nothing. */
export function liveCounts(): { tensors: number; buffers: number } {
  const backend = tf.backend() as unknown as { numDataIds(): number };
  return { tensors: tf.memory().numTensors, buffers: backend.numDataIds() };
}
