/**
 * Batch norm in training as WGSL kernels for the WebGPU backend: `WrnBatchNormTrain` and `WrnBatchNormTrainGrad`
 * (the kernels src/core/batchNorm.ts runs wherever they are registered; same inputs, outputs and maths as the
 * cpu/wasm ones in ../batchNormKernels.ts), and `WrnMovingAverage` for the running statistics.
 *
 * Why: tfjs composes batch norm in training from ordinary ops; on WebGPU each per-channel reduction over N, H, W is a
 * transpose plus a reduce, and each broadcasting product its own dispatch: about 25 dispatches per layer per step.
 * Here a layer costs 4 forward (partial statistics, mean, variance, normalise), 4 backward (partial sums, dbeta,
 * dgamma, dx) and 2 for the running statistics.
 *
 * Layout: x is channels last, read as M = size / C rows of C. Reductions split the rows into G chunks of R rows;
 * one invocation per (chunk, channel), so neighbouring invocations read neighbouring channels (coalesced). A second
 * small program per statistic combines the G partials of each channel.
 *
 * Numerics (float32 on the GPU): each chunk keeps its mean and the sum of squared deviations from that mean
 * (two passes over the chunk), and the chunks are combined with Chan et al.'s pairwise formula
 * M2 = sum M2_g + n_g (mean_g - mean)^2: no E[x^2] - E[x]^2 cancellation. The backward sums take dy * (x - mean)
 * directly. Forward: mean, biased variance, y = (x - mean) * gamma / sqrt(variance + eps) + beta. Backward, with
 * rstd = 1 / sqrt(variance + eps): dbeta = sum dy, dgamma = rstd * sum dy (x - mean),
 * dx = gamma rstd (dy - dbeta / M - (x - mean) rstd dgamma / M).
 *
 * The ReLU that follows every batch norm in a pre-activation block stays its own layer (and dispatch): folding it
 * in would change the model's layer graph and so its saved form, which tfjs must be able to load as is.
 */
import type * as tf from '@tensorflow/tfjs';
import { BN_TRAIN_GRAD_KERNEL, BN_TRAIN_KERNEL } from '../batchNormKernels';
import { asWebGpu, ElementwiseProgram, FlatProgram, need, numberAttr, scalars, sizeOf, type Uniform } from './program';

export const MOVING_AVERAGE_KERNEL = 'WrnMovingAverage';

/** How the M rows are split for a reduction: G chunks of R rows (the last may be shorter). */
export interface RowSplit {
  rows: number;
  chunk: number;
  chunks: number;
}

/**
 * Enough (chunk, channel) invocations to fill a GPU (about 16k), chunks of at least 32 rows so the combining pass
 * stays short, and never more chunks than rows.
 */
export function splitRows(rows: number, channels: number): RowSplit {
  const maxChunks = Math.max(1, Math.floor(16384 / channels));
  const chunk = Math.max(32, Math.ceil(rows / maxChunks));
  return { rows, chunk, chunks: Math.max(1, Math.ceil(rows / chunk)) };
}

const splitUniforms = (s: RowSplit, channels: number): Uniform[] => scalars('int32', [s.rows, s.chunk, s.chunks, channels]);
const SPLIT_FIELDS = 'rows : i32, chunk : i32, chunks : i32, channels : i32,';

/** WGSL: this invocation's chunk and channel, and its rows [r0, r1); returns early past the last (chunk, channel). */
const CHUNK_PRELUDE = /* wgsl */ `
  if (index >= uniforms.chunks * uniforms.channels) { return; }
  let C = uniforms.channels;
  let g = index / C;
  let c = index - g * C;
  let r0 = g * uniforms.chunk;
  let r1 = min(r0 + uniforms.chunk, uniforms.rows);`;

/** One invocation per (chunk, channel), each writing its two partials: output [2, G, C]. */
abstract class ChunkPartialsProgram extends FlatProgram {
  uniforms = SPLIT_FIELDS;
  constructor(s: RowSplit, channels: number) {
    super([2 * s.chunks * channels], s.chunks * channels);
  }
}

/** Per (chunk, channel): the chunk's mean and sum of squared deviations from it. Output [2, G, C]. */
class WrnBnStatsPartial extends ChunkPartialsProgram {
  variableNames = ['x'];
  shaderKey = 'wrnBnStatsPartial';
  getUserCode(): string {
    return /* wgsl */ `
      fn main(index : i32) {
        ${CHUNK_PRELUDE}
        var s = 0.0;
        for (var r = r0; r < r1; r++) { s += x[r * C + c]; }
        let m = s / f32(r1 - r0);
        var q = 0.0;
        for (var r = r0; r < r1; r++) { let d = x[r * C + c] - m; q += d * d; }
        setOutputAtIndex(index, m);
        setOutputAtIndex(uniforms.chunks * C + index, q);
      }`;
  }
}

/** WGSL: the combined mean of channel c from the partials (chunk g holds min(R, M - g R) rows). */
const COMBINED_MEAN = /* wgsl */ `
  fn chunkRows(g : i32) -> f32 { return f32(min(uniforms.chunk, uniforms.rows - g * uniforms.chunk)); }
  fn combinedMean(c : i32) -> f32 {
    var s = 0.0;
    for (var g = 0; g < uniforms.chunks; g++) { s += chunkRows(g) * partials[g * uniforms.channels + c]; }
    return s / f32(uniforms.rows);
  }`;

/** Per channel: the batch mean (what: 'mean') or biased variance (what: 'variance') from the partials. Output [C]. */
class WrnBnStatsFinish extends FlatProgram {
  variableNames = ['partials'];
  shaderKey: string;
  uniforms = SPLIT_FIELDS;
  constructor(
    channels: number,
    private readonly what: 'mean' | 'variance',
  ) {
    super([channels], channels);
    this.shaderKey = `wrnBnStatsFinish_${what}`;
  }
  getUserCode(): string {
    const value = this.what === 'mean' ? 'combinedMean(c)' : /* wgsl */ `variance(c)`;
    return /* wgsl */ `
      ${COMBINED_MEAN}
      fn variance(c : i32) -> f32 {
        let mean = combinedMean(c);
        let G = uniforms.chunks;
        var m2 = 0.0;
        for (var g = 0; g < G; g++) {
          let d = partials[g * uniforms.channels + c] - mean;
          m2 += partials[(G + g) * uniforms.channels + c] + chunkRows(g) * d * d;
        }
        return m2 / f32(uniforms.rows);
      }
      fn main(index : i32) {
        let c = index;
        if (c < uniforms.channels) { setOutputAtIndex(c, ${value}); }
      }`;
  }
}

/** y = (x - mean) * gamma / sqrt(variance + eps) + beta, one invocation per element. */
class WrnBnNormalize extends ElementwiseProgram {
  variableNames = ['x', 'mean', 'variance', 'gamma', 'beta'];
  shaderKey = 'wrnBnNormalize';
  uniforms = 'channels : i32, eps : f32,';
  getUserCode(): string {
    return /* wgsl */ `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let c = index % uniforms.channels;
        let scale = gamma[c] * inverseSqrt(variance[c] + uniforms.eps);
        setOutputAtIndex(index, (x[index] - mean[c]) * scale + beta[c]);
      }`;
  }
}

/** Per (chunk, channel): sum of dy and of dy * (x - mean) over the chunk. Output [2, G, C]. */
class WrnBnGradPartial extends ChunkPartialsProgram {
  variableNames = ['dy', 'x', 'mean'];
  shaderKey = 'wrnBnGradPartial';
  getUserCode(): string {
    return /* wgsl */ `
      fn main(index : i32) {
        ${CHUNK_PRELUDE}
        let m = mean[c];
        var s = 0.0;
        var p = 0.0;
        for (var r = r0; r < r1; r++) {
          let d = dy[r * C + c];
          s += d;
          p += d * (x[r * C + c] - m);
        }
        setOutputAtIndex(index, s);
        setOutputAtIndex(uniforms.chunks * C + index, p);
      }`;
  }
}

/** Per channel: dbeta = sum dy (what: 'dbeta') or dgamma = rstd * sum dy (x - mean) (what: 'dgamma'). */
class WrnBnGradFinish extends FlatProgram {
  /** dbeta needs no variance: pipelines are laid out from what the shader uses, so it must not be bound */
  variableNames: string[];
  shaderKey: string;
  uniforms = `${SPLIT_FIELDS} eps : f32,`;
  constructor(
    channels: number,
    private readonly what: 'dbeta' | 'dgamma',
  ) {
    super([channels], channels);
    this.shaderKey = `wrnBnGradFinish_${what}`;
    this.variableNames = what === 'dbeta' ? ['partials'] : ['partials', 'variance'];
  }
  getUserCode(): string {
    const half = this.what === 'dbeta' ? '0' : 'uniforms.chunks';
    const scale = this.what === 'dbeta' ? '1.0' : 'inverseSqrt(variance[c] + uniforms.eps)';
    return /* wgsl */ `
      fn main(index : i32) {
        let c = index;
        if (c >= uniforms.channels) { return; }
        var s = 0.0;
        for (var g = 0; g < uniforms.chunks; g++) { s += partials[(${half} + g) * uniforms.channels + c]; }
        setOutputAtIndex(c, s * ${scale});
      }`;
  }
}

/** dx = gamma rstd (dy - dbeta / M - (x - mean) rstd dgamma / M), one invocation per element (7 inputs: the most
 * a stage may bind with the output is 8 storage buffers). */
class WrnBnGradInput extends ElementwiseProgram {
  variableNames = ['dy', 'x', 'gamma', 'mean', 'variance', 'dgamma', 'dbeta'];
  shaderKey = 'wrnBnGradInput';
  uniforms = 'channels : i32, eps : f32, rows : f32,';
  getUserCode(): string {
    return /* wgsl */ `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let c = index % uniforms.channels;
        let rstd = inverseSqrt(variance[c] + uniforms.eps);
        let xhat = (x[index] - mean[c]) * rstd;
        setOutputAtIndex(index, gamma[c] * rstd * (dy[index] - dbeta[c] / uniforms.rows - xhat * dgamma[c] / uniforms.rows));
      }`;
  }
}

/** moving - (moving - value) * rate: tfjs's running-average update, op for op, in one dispatch. */
class WrnMovingAverage extends ElementwiseProgram {
  variableNames = ['moving', 'value'];
  shaderKey = 'wrnMovingAverage';
  uniforms = 'rate : f32,';
  getUserCode(): string {
    return /* wgsl */ `
      fn main(index : i32) {
        if (index < uniforms.size) { setOutputAtIndex(index, moving[index] - (moving[index] - value[index]) * uniforms.rate); }
      }`;
  }
}

function channelsOf(x: tf.TensorInfo, kernel: string): number {
  const C = x.shape[x.shape.length - 1];
  if (x.shape.length < 2 || C === undefined || C === 0) throw new Error(`${kernel} needs a channels-last input of rank >= 2 with at least one channel`);
  return C;
}

const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const [x, gamma, beta] = need(inputs, ['x', 'gamma', 'beta'], BN_TRAIN_KERNEL) as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
  const C = channelsOf(x, BN_TRAIN_KERNEL);
  const eps = numberAttr(attrs, 'epsilon', BN_TRAIN_KERNEL);
  const gpu = asWebGpu(backend);
  const split = splitRows(sizeOf(x.shape) / C, C);
  const u = splitUniforms(split, C);
  const partials = gpu.runWebGPUProgram(new WrnBnStatsPartial(split, C), [x], 'float32', u);
  const mean = gpu.runWebGPUProgram(new WrnBnStatsFinish(C, 'mean'), [partials], 'float32', u);
  const variance = gpu.runWebGPUProgram(new WrnBnStatsFinish(C, 'variance'), [partials], 'float32', u);
  const bd = backend as { disposeData(dataId: object): void };
  bd.disposeData(partials.dataId);
  const y = gpu.runWebGPUProgram(new WrnBnNormalize(x.shape), [x, mean, variance, gamma, beta], 'float32', [
    { type: 'int32', data: [C] },
    { type: 'float32', data: [eps] },
  ]);
  return [y, mean, variance];
};

const backward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const [dy, x, gamma, mean, variance] = need(inputs, ['dy', 'x', 'gamma', 'mean', 'variance'], BN_TRAIN_GRAD_KERNEL) as tf.TensorInfo[] as [
    tf.TensorInfo,
    tf.TensorInfo,
    tf.TensorInfo,
    tf.TensorInfo,
    tf.TensorInfo,
  ];
  const C = channelsOf(x, BN_TRAIN_GRAD_KERNEL);
  const eps = numberAttr(attrs, 'epsilon', BN_TRAIN_GRAD_KERNEL);
  const gpu = asWebGpu(backend);
  const rows = sizeOf(x.shape) / C;
  const split = splitRows(rows, C);
  const u = splitUniforms(split, C);
  const partials = gpu.runWebGPUProgram(new WrnBnGradPartial(split, C), [dy, x, mean], 'float32', u);
  const withEps: Uniform[] = [...u, { type: 'float32', data: [eps] }];
  const dbeta = gpu.runWebGPUProgram(new WrnBnGradFinish(C, 'dbeta'), [partials], 'float32', withEps);
  const dgamma = gpu.runWebGPUProgram(new WrnBnGradFinish(C, 'dgamma'), [partials, variance], 'float32', withEps);
  (backend as { disposeData(dataId: object): void }).disposeData(partials.dataId);
  const dx = gpu.runWebGPUProgram(new WrnBnGradInput(x.shape), [dy, x, gamma, mean, variance, dgamma, dbeta], 'float32', [
    { type: 'int32', data: [C] },
    ...scalars('float32', [eps, rows]),
  ]);
  return [dx, dgamma, dbeta];
};

/** inputs moving, value (same shape); attrs rate (1 - momentum, Keras convention); output the new moving value. */
const movingAverage: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const [moving, value] = need(inputs, ['moving', 'value'], MOVING_AVERAGE_KERNEL) as [tf.TensorInfo, tf.TensorInfo];
  if (sizeOf(moving.shape) !== sizeOf(value.shape)) throw new Error(`${MOVING_AVERAGE_KERNEL}: moving and value differ in size`);
  const rate = numberAttr(attrs, 'rate', MOVING_AVERAGE_KERNEL);
  return asWebGpu(backend).runWebGPUProgram(new WrnMovingAverage(moving.shape), [moving, value], 'float32', [{ type: 'float32', data: [rate] }]);
};

export const BATCH_NORM_WEBGPU_KERNELS: Record<string, tf.KernelFunc> = {
  [BN_TRAIN_KERNEL]: forward,
  [BN_TRAIN_GRAD_KERNEL]: backward,
  [MOVING_AVERAGE_KERNEL]: movingAverage,
};
