/**
 * The WASM convolution gradients against the CPU backend's: every convolution shape a WRN has (3x3 and 1x1,
 * stride 1 and 2, 'same'), plus 'valid', explicit and numeric padding and odd sizes (7, 9, 15, non-square) that
 * take the kernels' other branches; then no leaked tensors or WASM buffers; then whole SGD runs that must give the
 * CPU backend's losses.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../rng';
import { buildWrn } from '../model';
import { registerWasmConvGradients } from './wasmConvGrads';
import { installKernels } from '.';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  name: string;
  /** x [n, h, w, ci], filter [k, k, ci, co] */
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  stride: number;
  pad: Pad;
}

const c = (name: string, n: number, h: number, w: number, ci: number, co: number, k: number, stride: number, pad: Pad): Case => ({
  name,
  n,
  h,
  w,
  ci,
  co,
  k,
  stride,
  pad,
});

/** The convolutions of WRN-d-k at CIFAR size (batch 2), for k = 1 and 2. */
const WRN_CASES: Case[] = [
  c('conv1 3->16', 2, 32, 32, 3, 16, 3, 1, 'same'),
  c('group1 16->16', 2, 32, 32, 16, 16, 3, 1, 'same'),
  c('group1 shortcut 16->32 (k=2)', 2, 32, 32, 16, 32, 1, 1, 'same'),
  c('group2 first 16->32 stride 2', 2, 32, 32, 16, 32, 3, 2, 'same'),
  c('group2 shortcut 16->32 stride 2', 2, 32, 32, 16, 32, 1, 2, 'same'),
  c('group2 32->32', 2, 16, 16, 32, 32, 3, 1, 'same'),
  c('group3 first 32->64 stride 2', 2, 16, 16, 32, 64, 3, 2, 'same'),
  c('group3 shortcut 32->64 stride 2', 2, 16, 16, 32, 64, 1, 2, 'same'),
  c('group3 64->64', 2, 8, 8, 64, 64, 3, 1, 'same'),
];

/** Shapes a WRN on CIFAR never has, for the branches that odd geometry takes. */
const ODD_CASES: Case[] = [
  c('7x7 3x3 s1 same', 3, 7, 7, 3, 5, 3, 1, 'same'),
  c('7x7 3x3 s2 same', 3, 7, 7, 4, 6, 3, 2, 'same'),
  c('7x7 1x1 s2 same', 3, 7, 7, 4, 6, 1, 2, 'same'),
  c('9x9 3x3 s1 valid', 2, 9, 9, 3, 4, 3, 1, 'valid'),
  c('9x9 3x3 s2 valid', 2, 9, 9, 3, 4, 3, 2, 'valid'),
  c('9x9 1x1 s2 valid', 2, 9, 9, 5, 3, 1, 2, 'valid'),
  c('15x15 3x3 s2 same', 2, 15, 15, 8, 16, 3, 2, 'same'),
  c('15x15 3x3 s2 valid', 2, 15, 15, 8, 16, 3, 2, 'valid'),
  c('16x16 3x3 s2 valid', 2, 16, 16, 3, 4, 3, 2, 'valid'),
  c('9x7 3x3 s2 same (non-square)', 2, 9, 7, 3, 4, 3, 2, 'same'),
  c('10x10 3x3 s2 same (even, sub-pixel)', 2, 10, 10, 3, 4, 3, 2, 'same'),
  c('9x9 3x3 s1 pad 1 (numeric)', 2, 9, 9, 3, 4, 3, 1, 1),
  c('9x9 3x3 s2 explicit pad', 2, 9, 9, 3, 4, 3, 2, [
    [0, 0],
    [2, 0],
    [1, 3],
    [0, 0],
  ]),
  c('8x8 3x3 s2 explicit pad wider than the filter', 2, 8, 8, 3, 4, 3, 2, [
    [0, 0],
    [3, 1],
    [0, 4],
    [0, 0],
  ]),
  c('8x8 1x1 s2 explicit pad after', 2, 8, 8, 3, 5, 1, 2, [
    [0, 0],
    [0, 2],
    [0, 1],
    [0, 0],
  ]),
  c('8x8 1x1 s2 explicit pad before', 2, 8, 8, 3, 5, 1, 2, [
    [0, 0],
    [1, 0],
    [2, 1],
    [0, 0],
  ]),
  c('8x8 1x1 s1 same', 2, 8, 8, 4, 4, 1, 1, 'same'),
  c('8x8 1x1 s1 more in than out', 2, 8, 8, 12, 4, 1, 1, 'same'),
];

function randomValues(size: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: size }, () => rand() * 2 - 1);
}

/** max |a - b| / max |b|: the error relative to the reference's scale (elementwise ratios blow up near 0). */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

function outShape(cs: Case): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo([cs.n, cs.h, cs.w, cs.ci], [cs.k, cs.k, cs.ci, cs.co], cs.stride, 1, cs.pad);
  return info.outShape as [number, number, number, number];
}

/** dw and dx of one case on the current backend, by the two kernels directly. */
async function kernelGrads(cs: Case): Promise<{ dw: Float32Array; dx: Float32Array }> {
  const yShape = outShape(cs);
  const x = tf.tensor4d(randomValues(cs.n * cs.h * cs.w * cs.ci, 1), [cs.n, cs.h, cs.w, cs.ci]);
  const w = tf.tensor4d(randomValues(cs.k * cs.k * cs.ci * cs.co, 2), [cs.k, cs.k, cs.ci, cs.co]);
  const dy = tf.tensor4d(
    randomValues(
      yShape.reduce((a, b) => a * b, 1),
      3,
    ),
    yShape,
  );
  const attrs = { strides: cs.stride, pad: cs.pad, dataFormat: 'NHWC' };
  const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: [cs.k, cs.k, cs.ci, cs.co] }) as tf.Tensor;
  const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...attrs, inputShape: [cs.n, cs.h, cs.w, cs.ci] }) as tf.Tensor;
  expect(dw.shape).toEqual([cs.k, cs.k, cs.ci, cs.co]);
  expect(dx.shape).toEqual([cs.n, cs.h, cs.w, cs.ci]);
  const out = { dw: (await dw.data()) as Float32Array, dx: (await dx.data()) as Float32Array };
  tf.dispose([x, w, dy, dw, dx]);
  return out;
}

/** The same gradients through autodiff (tf.grads of <conv2d(x, w), r>): the path training takes. */
async function autodiffGrads(cs: Case): Promise<{ dw: Float32Array; dx: Float32Array }> {
  const yShape = outShape(cs);
  const x = tf.tensor4d(randomValues(cs.n * cs.h * cs.w * cs.ci, 4), [cs.n, cs.h, cs.w, cs.ci]);
  const w = tf.tensor4d(randomValues(cs.k * cs.k * cs.ci * cs.co, 5), [cs.k, cs.k, cs.ci, cs.co]);
  const r = tf.tensor4d(
    randomValues(
      yShape.reduce((a, b) => a * b, 1),
      6,
    ),
    yShape,
  );
  const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, cs.stride, cs.pad), r));
  const [dx, dw] = tf.grads(f)([x, w]) as [tf.Tensor, tf.Tensor];
  const out = { dw: (await dw.data()) as Float32Array, dx: (await dx.data()) as Float32Array };
  tf.dispose([x, w, r, dx, dw]);
  return out;
}

async function onBackend<T>(name: string, fn: () => Promise<T>): Promise<T> {
  await tf.setBackend(name);
  return fn();
}

/** Buffers the WASM backend holds (tensors the engine tracks plus anything a kernel forgot to free). */
function wasmBuffers(): number {
  return tf.findBackend('wasm')!.numDataIds();
}

beforeAll(async () => {
  // As backend set-up does: the WRN model below trains with our batch-norm kernels and gradients too.
  installKernels('cpu');
  installKernels('wasm');
  await tf.setBackend('wasm');
});

describe('registerWasmConvGradients', () => {
  it('registers both kernels for wasm, replacing the shipped Conv2DBackpropInput, and is idempotent', () => {
    const filter = tf.getKernel(tf.Conv2DBackpropFilter, 'wasm');
    const input = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
    expect(filter).toBeDefined();
    expect(input).toBeDefined();
    registerWasmConvGradients();
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')!.kernelFunc).toBe(filter!.kernelFunc);
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm')!.kernelFunc).toBe(input!.kernelFunc);
  });
});

describe.each([
  ['WRN shapes', WRN_CASES],
  ['odd shapes', ODD_CASES],
])('conv gradients on wasm match the CPU backend: %s', (_label, cases) => {
  it.each(cases.map((cs) => [cs.name, cs] as const))('%s', async (_name, cs) => {
    const ref = await onBackend('cpu', () => kernelGrads(cs));
    const before = { tensors: tf.memory().numTensors, buffers: wasmBuffers() };
    const got = await onBackend('wasm', () => kernelGrads(cs));
    expect(relativeError(got.dw, ref.dw)).toBeLessThan(1e-5);
    expect(relativeError(got.dx, ref.dx)).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(wasmBuffers()).toBe(before.buffers);
  });
});

describe('autodiff through the kernels', () => {
  const cases = [WRN_CASES[3]!, WRN_CASES[4]!, ODD_CASES[1]!, ODD_CASES[4]!];
  it.each(cases.map((cs) => [cs.name, cs] as const))('tf.grads of a conv: %s', async (_name, cs) => {
    const ref = await onBackend('cpu', () => autodiffGrads(cs));
    const before = { tensors: tf.memory().numTensors, buffers: wasmBuffers() };
    const got = await onBackend('wasm', () => autodiffGrads(cs));
    expect(relativeError(got.dw, ref.dw)).toBeLessThan(1e-5);
    expect(relativeError(got.dx, ref.dx)).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(wasmBuffers()).toBe(before.buffers);
  });
});

/**
 * A tiny residual conv net in plain ops (3x3, 3x3 stride 2, 1x1 stride 2 shortcut, global pool, dense) trained by
 * SGD from fixed weights; returns the loss before each step.
 */
async function tinyNetLosses(steps: number): Promise<number[]> {
  const shapes: Record<string, number[]> = {
    c1: [3, 3, 3, 8],
    c2: [3, 3, 8, 16],
    c3: [3, 3, 16, 16],
    sc: [1, 1, 8, 16],
    fc: [16, 10],
  };
  const v: Record<string, tf.Variable> = {};
  Object.entries(shapes).forEach(([name, shape], i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const fanIn = size / shape[shape.length - 1]!;
    const values = randomValues(size, 10 + i).map((r) => r * Math.sqrt(3 / fanIn));
    v[name] = tf.tidy(() => tf.variable(tf.tensor(values, shape), true, `tiny_${name}_${tf.getBackend()}`));
  });
  const x = tf.tensor4d(randomValues(4 * 9 * 9 * 3, 20), [4, 9, 9, 3]);
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 4, 7, 9], 'int32'), 10));
  const opt = tf.train.sgd(0.1);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const loss = opt.minimize(() => {
      const h1 = tf.relu(tf.conv2d(x, v.c1 as tf.Tensor4D, 1, 'same'));
      const h2 = tf.relu(tf.conv2d(h1, v.c2 as tf.Tensor4D, 2, 'same'));
      const h3 = tf.conv2d(h2, v.c3 as tf.Tensor4D, 1, 'same');
      const sc = tf.conv2d(h1, v.sc as tf.Tensor4D, 2, 'same');
      const pooled = tf.mean(tf.relu(tf.add(h3, sc)), [1, 2]);
      return tf.losses.softmaxCrossEntropy(labels, tf.matMul(pooled, v.fc as tf.Tensor2D)) as tf.Scalar;
    }, true)!;
    losses.push((await loss.data())[0]!);
    loss.dispose();
  }
  tf.dispose([x, labels, ...Object.values(v)]);
  opt.dispose();
  return losses;
}

/** WRN-10-1 from buildWrn (batch norm, the model's real convolutions): loss and every weight's gradient at batch 2. */
async function wrnGradients(): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const model = buildWrn({ depth: 10, width: 1, dropout: 0 }, { seed: 3 });
  const x = tf.tensor4d(randomValues(2 * 32 * 32 * 3, 30), [2, 32, 32, 3]);
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([3, 8], 'int32'), 10));
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
    model.trainableWeights.map((w) => w.read() as tf.Variable),
  );
  const out = new Map<string, Float32Array>();
  // Variable names carry a per-model suffix; the order of trainableWeights is the same for both models.
  const names = Object.keys(grads);
  for (const [i, name] of names.entries()) out.set(String(i), (await grads[name]!.data()) as Float32Array);
  const loss = (await value.data())[0]!;
  tf.dispose([x, labels, value, ...Object.values(grads)]);
  model.dispose();
  return { loss, grads: out };
}

describe('training on wasm matches the CPU backend', () => {
  it('a tiny conv net, 6 SGD steps, to 1e-4, with a flat tensor count', async () => {
    const ref = await onBackend('cpu', () => tinyNetLosses(6));
    const before = tf.memory().numTensors;
    const got = await onBackend('wasm', () => tinyNetLosses(6));
    expect(tf.memory().numTensors).toBe(before);
    expect(ref[5]!).toBeLessThan(ref[0]!); // it learns at all
    for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-4);
  });

  // The CPU backend needs 10-20 s for one WRN-10-1 step at batch 2 here, so one step, checked gradient by gradient
  // (they agreed to 5e-6 when this was written; 1e-4 leaves room for summation order in batch norm).
  it('WRN-10-1 (batch norm and all): the same loss and weight gradients', async () => {
    const ref = await onBackend('cpu', () => wrnGradients());
    const got = await onBackend('wasm', () => wrnGradients());
    expect(Math.abs(got.loss - ref.loss)).toBeLessThan(1e-4);
    expect(got.grads.size).toBe(ref.grads.size);
    const errors = [...ref.grads].map(([name, g]) => relativeError(got.grads.get(name)!, g));
    for (const [i, e] of errors.entries()) expect(e, `gradient ${i}`).toBeLessThan(1e-4);
  });
});
