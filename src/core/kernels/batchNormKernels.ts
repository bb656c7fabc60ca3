/**
 * Batch norm in training mode as two kernels, forward and backward, for the backends whose tensors live in memory
 * JavaScript can read (cpu, and wasm through its heap): each is two or three passes of a JavaScript loop.
 *
 * Why: tfjs's batch norm in training is `tf.moments` plus `FusedBatchNorm`, and FusedBatchNorm's gradient in
 * tfjs-core is a chain of some 25 elementwise, tile and reduction kernels per layer. On WASM (one thread, WRN-10-1,
 * batch 32) that chain was about 200 of a 550 ms step, over 300 small kernels. Here a layer costs one kernel each
 * way, each two passes over the activation: per-channel sums, then one multiply-add per element.
 *
 * Notation: x is [..., C] (channels last) read as M = x.size / C rows of C values; statistics are per channel over
 * the M rows. Forward: mean = sum(x) / M, variance = sum((x - mean)^2) / M (biased, as tf.moments and so tfjs's
 * BatchNormalization layer), rstd = 1 / sqrt(variance + epsilon), y = (x - mean) * rstd * gamma + beta.
 * Backward, with xhat = (x - mean) * rstd: dbeta = sum(dy), dgamma = sum(dy * xhat),
 *   dx = gamma * rstd * (dy - dbeta / M - xhat * dgamma / M).
 * Sums (of x and x^2, of dy and dy * x) are accumulated in float64 and the per-element arithmetic is float64,
 * rounded to float32 once; the mean is rounded to float32 once and used as such everywhere, so that the backward
 * pass sees exactly the mean the forward pass subtracted.
 */
import type * as tf from '@tensorflow/tfjs';
import type { HostBackend, WasmBackend } from './backendShapes';
import { addKernel } from './registry';

/** inputs x, gamma, beta; attrs epsilon; outputs [y, mean, variance] (mean and variance of shape [C]). */
export const BN_TRAIN_KERNEL = 'WrnBatchNormTrain';
/** inputs dy, x, gamma, mean, variance; attrs epsilon; outputs [dx, dgamma, dbeta]. */
export const BN_TRAIN_GRAD_KERNEL = 'WrnBatchNormTrainGrad';

export interface BatchNormAttrs extends tf.NamedAttrMap {
  epsilon: number;
}

/**
 * Per-channel sums of a and of a * b over rows of C (b = a when omitted): out1[c] = sum a, out2[c] = sum a * b.
 * With C a multiple of 4 the loop walks the rows once per four channels with the sums in local variables: in V8
 * that is about 3x faster than one walk with the sums in arrays (1.5 against 4.7 ns per element here).
 */
function channelSums(a: Float32Array, b: Float32Array, C: number, sumA: Float64Array, sumAB: Float64Array): void {
  const n = a.length;
  if (C % 4 !== 0) {
    for (let i = 0; i < n; i += C) {
      for (let c = 0; c < C; c++) {
        const v = a[i + c]!;
        sumA[c]! += v;
        sumAB[c]! += v * b[i + c]!;
      }
    }
    return;
  }
  for (let c = 0; c < C; c += 4) {
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0,
      p0 = 0,
      p1 = 0,
      p2 = 0,
      p3 = 0; // prettier-ignore
    for (let i = c; i < n; i += C) {
      const v0 = a[i]!,
        v1 = a[i + 1]!,
        v2 = a[i + 2]!,
        v3 = a[i + 3]!; // prettier-ignore
      s0 += v0;
      s1 += v1;
      s2 += v2;
      s3 += v3;
      p0 += v0 * b[i]!;
      p1 += v1 * b[i + 1]!;
      p2 += v2 * b[i + 2]!;
      p3 += v3 * b[i + 3]!;
    }
    sumA[c] = s0;
    sumA[c + 1] = s1;
    sumA[c + 2] = s2;
    sumA[c + 3] = s3;
    sumAB[c] = p0;
    sumAB[c + 1] = p1;
    sumAB[c + 2] = p2;
    sumAB[c + 3] = p3;
  }
}

/** out = a * p + b * q + r per channel (b and q may be absent), computed in float64 and rounded once. */
function channelAffine(out: Float32Array, a: Float32Array, p: Float64Array, b: Float32Array | null, q: Float64Array, r: Float64Array): void {
  const n = a.length;
  const C = p.length;
  if (C % 4 !== 0) {
    for (let i = 0; i < n; i += C) {
      for (let c = 0; c < C; c++) out[i + c] = a[i + c]! * p[c]! + (b === null ? 0 : b[i + c]! * q[c]!) + r[c]!;
    }
    return;
  }
  for (let c = 0; c < C; c += 4) {
    const p0 = p[c]!,
      p1 = p[c + 1]!,
      p2 = p[c + 2]!,
      p3 = p[c + 3]!; // prettier-ignore
    const q0 = q[c]!,
      q1 = q[c + 1]!,
      q2 = q[c + 2]!,
      q3 = q[c + 3]!; // prettier-ignore
    const r0 = r[c]!,
      r1 = r[c + 1]!,
      r2 = r[c + 2]!,
      r3 = r[c + 3]!; // prettier-ignore
    if (b === null) {
      for (let i = c; i < n; i += C) {
        out[i] = a[i]! * p0 + r0;
        out[i + 1] = a[i + 1]! * p1 + r1;
        out[i + 2] = a[i + 2]! * p2 + r2;
        out[i + 3] = a[i + 3]! * p3 + r3;
      }
      continue;
    }
    for (let i = c; i < n; i += C) {
      out[i] = a[i]! * p0 + b[i]! * q0 + r0;
      out[i + 1] = a[i + 1]! * p1 + b[i + 1]! * q1 + r1;
      out[i + 2] = a[i + 2]! * p2 + b[i + 2]! * q2 + r2;
      out[i + 3] = a[i + 3]! * p3 + b[i + 3]! * q3 + r3;
    }
  }
}

/** Forward pass over float32 arrays; writes y (x's size), mean and variance (C each). Two passes over x. */
export function batchNormForwardInto(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  y: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
): void {
  const C = mean.length;
  const M = x.length / C;
  const sum = new Float64Array(C);
  const sumSq = new Float64Array(C);
  channelSums(x, x, C, sum, sumSq);
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    mean[c] = sum[c]! / M; // rounded to float32 here, and used as such from now on
    const m = mean[c]!;
    // sum((x - m)^2) / M from float64 sums; the float64 margin covers the cancellation for any |mean| / std a
    // float32 activation can carry meaningfully
    variance[c] = Math.max(0, sumSq[c]! / M - 2 * m * (sum[c]! / M) + m * m);
    scale[c] = gamma[c]! / Math.sqrt(variance[c]! + epsilon);
    shift[c] = beta[c]! - m * scale[c]!;
  }
  channelAffine(y, x, scale, null, scale, shift);
}

/** Backward pass over float32 arrays; writes dx (x's size), dgamma and dbeta (C each). Two passes over dy and x. */
export function batchNormBackwardInto(
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  epsilon: number,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  const C = dgamma.length;
  const M = x.length / C;
  const sumDy = new Float64Array(C);
  const sumDyX = new Float64Array(C);
  channelSums(dy, x, C, sumDy, sumDyX);
  // dx = k * (dy - a - (x - mean) * b) with k = gamma * rstd, a = dbeta / M, b = rstd * dgamma / M,
  // written as dy * k + x * (-k * b) + k * (mean * b - a)
  const k = new Float64Array(C);
  const kb = new Float64Array(C);
  const r = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const rstd = 1 / Math.sqrt(variance[c]! + epsilon);
    const m = mean[c]!;
    const sumDyXmu = sumDyX[c]! - m * sumDy[c]!;
    dbeta[c] = sumDy[c]!;
    dgamma[c] = sumDyXmu * rstd;
    k[c] = gamma[c]! * rstd;
    const b = (sumDyXmu * rstd * rstd) / M;
    kb[c] = -k[c]! * b;
    r[c] = k[c]! * (m * b - sumDy[c]! / M);
  }
  channelAffine(dx, dy, k, x, kb, r);
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

/**
 * Runs compute over views of the inputs and of freshly made float32 outputs; one implementation per backend. The
 * kernels check that every input is float32 before, so the views are Float32Arrays.
 */
type Memory = (inputs: tf.TensorInfo[], outShapes: number[][], compute: (ins: Float32Array[], outs: Float32Array[]) => void) => tf.TensorInfo[];

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

/** cpu: readSync hands the stored array itself; the outputs are new arrays handed over once filled. */
const hostMemory =
  (backend: HostBackend): Memory =>
  (inputs, outShapes, compute) => {
    const outs = outShapes.map((s) => new Float32Array(size(s)));
    compute(
      inputs.map((t) => backend.readSync(t.dataId) as Float32Array),
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
      inputs.map((t) => backend.typedArrayFromHeap(t) as Float32Array),
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

/**
 * Registers both kernels for `backendName` if it has them (cpu, wasm). Idempotent. Called by ./index.ts's
 * installKernels. No gradient is registered: batchNorm.ts wires the backward kernel in with tf.customGrad.
 */
export function registerBatchNormKernels(backendName: string): void {
  const memoryOf = MEMORY[backendName];
  if (!memoryOf) return;
  addKernel({ kernelName: BN_TRAIN_KERNEL, backendName, kernelFunc: forwardKernel(memoryOf) });
  addKernel({ kernelName: BN_TRAIN_GRAD_KERNEL, backendName, kernelFunc: backwardKernel(memoryOf) });
}
