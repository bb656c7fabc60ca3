/**
 * Batch norm in training mode as two kernels, forward and backward, for the backends whose tensors live in memory
 * JavaScript can read (cpu, and wasm through its heap): each is two or three passes of a JavaScript loop.
 *
 * Why: tfjs's batch norm in training is `tf.moments` plus `FusedBatchNorm`, and FusedBatchNorm's gradient in
 * tfjs-core is a chain of some 25 elementwise, tile and reduction kernels per layer. On WASM (one thread, WRN-10-1,
 * batch 32) that chain was about 200 of a 550 ms step, over 300 small kernels. Here a layer costs one kernel each
 * way.
 *
 * Notation: x is [..., C] (channels last) read as M = x.size / C rows of C values; statistics are per channel over
 * the M rows. Forward: mean = sum(x) / M, variance = sum((x - mean)^2) / M (biased, as tf.moments and so tfjs's
 * BatchNormalization layer), rstd = 1 / sqrt(variance + epsilon), y = (x - mean) * rstd * gamma + beta.
 * Backward, with xhat = (x - mean) * rstd: dbeta = sum(dy), dgamma = sum(dy * xhat),
 *   dx = gamma * rstd * (dy - dbeta / M - xhat * dgamma / M).
 * Sums are accumulated in float64; the mean is rounded to float32 once and used as such everywhere, so that the
 * backward pass sees exactly the mean the forward pass subtracted.
 */
import * as tf from '@tensorflow/tfjs';

/** inputs x, gamma, beta; attrs epsilon; outputs [y, mean, variance] (mean and variance of shape [C]). */
export const BN_TRAIN_KERNEL = 'WrnBatchNormTrain';
/** inputs dy, x, gamma, mean, variance; attrs epsilon; outputs [dx, dgamma, dbeta]. */
export const BN_TRAIN_GRAD_KERNEL = 'WrnBatchNormTrainGrad';

export interface BatchNormAttrs extends tf.NamedAttrMap {
  epsilon: number;
}

type Values = Float32Array | Int32Array | Uint8Array;

/** Forward pass over host arrays; writes y (x's size), mean and variance (C each). */
export function batchNormForwardInto(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  epsilon: number,
  y: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
): void {
  const C = mean.length;
  const n = x.length;
  const M = n / C;
  const acc = new Float64Array(C);
  for (let i = 0; i < n; i += C) {
    for (let c = 0; c < C; c++) acc[c]! += x[i + c]!;
  }
  for (let c = 0; c < C; c++) mean[c] = acc[c]! / M;
  acc.fill(0);
  for (let i = 0; i < n; i += C) {
    for (let c = 0; c < C; c++) {
      const d = x[i + c]! - mean[c]!;
      acc[c]! += d * d;
    }
  }
  const scale = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    variance[c] = acc[c]! / M;
    scale[c] = gamma[c]! / Math.sqrt(variance[c]! + epsilon);
  }
  for (let i = 0; i < n; i += C) {
    for (let c = 0; c < C; c++) y[i + c] = (x[i + c]! - mean[c]!) * scale[c]! + beta[c]!;
  }
}

/** Backward pass over host arrays; writes dx (x's size), dgamma and dbeta (C each). */
export function batchNormBackwardInto(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  epsilon: number,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  const C = dgamma.length;
  const n = x.length;
  const M = n / C;
  const sumDy = new Float64Array(C);
  const sumDyXmu = new Float64Array(C);
  for (let i = 0; i < n; i += C) {
    for (let c = 0; c < C; c++) {
      const g = dy[i + c]!;
      sumDy[c]! += g;
      sumDyXmu[c]! += g * (x[i + c]! - mean[c]!);
    }
  }
  // dx = k * (dy - a - (x - mean) * b) with k = gamma * rstd, a = dbeta / M, b = rstd * dgamma / M
  const k = new Float64Array(C);
  const a = new Float64Array(C);
  const b = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const rstd = 1 / Math.sqrt(variance[c]! + epsilon);
    dbeta[c] = sumDy[c]!;
    dgamma[c] = sumDyXmu[c]! * rstd;
    k[c] = gamma[c]! * rstd;
    a[c] = sumDy[c]! / M;
    b[c] = (sumDyXmu[c]! * rstd * rstd) / M;
  }
  for (let i = 0; i < n; i += C) {
    for (let c = 0; c < C; c++) dx[i + c] = k[c]! * (dy[i + c]! - a[c]! - (x[i + c]! - mean[c]!) * b[c]!);
  }
}

function epsilonOf(attrs: tf.NamedAttrMap | undefined): number {
  const e = (attrs as Partial<BatchNormAttrs> | undefined)?.epsilon;
  if (typeof e !== 'number' || !(e >= 0)) throw new Error('batch norm kernels need a non-negative epsilon attribute');
  return e;
}

function need(inputs: tf.NamedTensorInfoMap, names: readonly string[], kernel: string): tf.TensorInfo[] {
  return names.map((n) => {
    const t = inputs[n];
    if (!t) throw new Error(`${kernel} needs an input ${n}`);
    if (t.dtype !== 'float32') throw new Error(`${kernel} takes float32, got ${t.dtype} for ${n}`);
    return t;
  });
}

const channelsOf = (x: tf.TensorInfo, kernel: string): number => {
  const C = x.shape[x.shape.length - 1];
  if (C === undefined || C === 0) throw new Error(`${kernel} needs a channels-last input with at least one channel`);
  return C;
};

/** Runs compute over views of the inputs and of freshly made float32 outputs; one implementation per backend. */
type Memory = (inputs: tf.TensorInfo[], outShapes: number[][], compute: (ins: Values[], outs: Float32Array[]) => void) => tf.TensorInfo[];

/** What every tfjs backend offers (KernelBackend): read a tensor's values, make a tensor from values. */
interface HostBackend {
  readSync(dataId: object): ArrayLike<number> | Uint8Array[];
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

/** The WASM backend's zero-copy access to its heap (as in ./wasmTile.ts). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Values;
}

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

/** cpu: readSync hands the stored array itself; the outputs are new arrays handed over once filled. */
const hostMemory =
  (backend: HostBackend): Memory =>
  (inputs, outShapes, compute) => {
    const outs = outShapes.map((s) => new Float32Array(size(s)));
    compute(
      inputs.map((t) => backend.readSync(t.dataId) as Values),
      outs,
    );
    return outShapes.map((s, i) => backend.makeTensorInfo(s, 'float32', outs[i]));
  };

/** wasm: views of the heap, taken after every output is made (making one may grow, and so move, the heap). */
const wasmMemory =
  (backend: WasmBackend): Memory =>
  (inputs, outShapes, compute) => {
    const infos = outShapes.map((s) => backend.makeOutput(s, 'float32'));
    compute(
      inputs.map((t) => backend.typedArrayFromHeap(t)),
      infos.map((t) => backend.typedArrayFromHeap(t) as Float32Array),
    );
    return infos;
  };

function forwardKernel(memoryOf: (backend: {}) => Memory): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const ts = need(inputs, ['x', 'gamma', 'beta'], BN_TRAIN_KERNEL);
    const x = ts[0]!;
    const C = channelsOf(x, BN_TRAIN_KERNEL);
    const epsilon = epsilonOf(attrs);
    return memoryOf(backend)(ts, [x.shape, [C], [C]], (ins, outs) =>
      batchNormForwardInto(ins[0]!, ins[1]!, ins[2]!, epsilon, outs[0]!, outs[1]!, outs[2]!),
    );
  };
}

function backwardKernel(memoryOf: (backend: {}) => Memory): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const ts = need(inputs, ['dy', 'x', 'gamma', 'mean', 'variance'], BN_TRAIN_GRAD_KERNEL);
    const x = ts[1]!;
    const C = channelsOf(x, BN_TRAIN_GRAD_KERNEL);
    const epsilon = epsilonOf(attrs);
    return memoryOf(backend)(ts, [x.shape, [C], [C]], (ins, outs) =>
      batchNormBackwardInto(ins[0]!, ins[1]!, ins[2]!, ins[3]!, ins[4]!, epsilon, outs[0]!, outs[1]!, outs[2]!),
    );
  };
}

// Narrow casts: the registry hands each kernel its own backend (a MathBackendCPU or a BackendWasm).
const MEMORY: Record<string, (backend: {}) => Memory> = {
  cpu: (b) => hostMemory(b as HostBackend),
  wasm: (b) => wasmMemory(b as WasmBackend),
};

/** Backends with the fused kernels; batchNorm.ts composes tfjs ops on the others (webgpu, webgl). */
export const BATCH_NORM_KERNEL_BACKENDS = Object.keys(MEMORY);

let registered = false;

/**
 * Registers both kernels for cpu and wasm. Idempotent. Registering for a backend that is not loaded is harmless:
 * the registry is keyed by name and consulted only when that backend runs. No gradient is registered: batchNorm.ts
 * wires the backward kernel in with tf.customGrad.
 */
export function registerBatchNormKernels(): void {
  if (registered) return;
  registered = true;
  for (const [backendName, memoryOf] of Object.entries(MEMORY)) {
    if (!tf.getKernel(BN_TRAIN_KERNEL, backendName)) {
      tf.registerKernel({ kernelName: BN_TRAIN_KERNEL, backendName, kernelFunc: forwardKernel(memoryOf) });
    }
    if (!tf.getKernel(BN_TRAIN_GRAD_KERNEL, backendName)) {
      tf.registerKernel({ kernelName: BN_TRAIN_GRAD_KERNEL, backendName, kernelFunc: backwardKernel(memoryOf) });
    }
  }
}
