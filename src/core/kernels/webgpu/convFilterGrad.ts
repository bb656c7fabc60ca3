/**
 * The filter gradient of a 2-D convolution (Conv2DBackpropFilter, NHWC, dilation 1) as a tiled implicit GEMM with
 * split-K, for the WebGPU backend:
 *   dW[m, n] = sum over k of A[k, m] * B[k, n], with m = (fh, fw, ci) (the filter's rows), n = co,
 *   k = (b, oh, ow) over batch x output pixels, A[k, m] = x[b, oh*s + fh - pad, ow*s + fw - pad, ci] (0 outside),
 *   B[k, n] = dy[b, oh, ow, co].
 * A workgroup of 8x8 invocations computes a 32x32 tile of dW, 4x4 per invocation, stepping through its share of K
 * 16 at a time through workgroup memory (im2col happens in the tile load; nothing is materialised). The K axis
 * (batch x H x W: 131,072 at 32x32 and batch 128) is split over the grid's z so that even small filters (the stem's
 * 27x16) fill the GPU; a finishing pass sums the slices. With one slice the GEMM writes dW directly (one dispatch).
 *
 * Why: tfjs-webgpu 4.22's `Conv2DDerFilterProgram` runs one invocation per filter weight, each looping serially over
 * batch x outH x outW, with no tiling and no shared memory.
 */
import * as tf from '@tensorflow/tfjs';
import { asWebGpu, need, scalars, sizeOf, type WebGpuProgram } from './program';
import { replaceKernel, shippedKernel } from '../registry';

/** A workgroup's tile of dW: TILE x TILE weights (exported for tests: which tiles of a filter are partial). */
export const TILE = 32;
const TILE_K = 16;
/** Workgroups wanted at least (split-K until the grid has this many, or slices get shorter than 4 tiles of K). */
const MIN_WORKGROUPS = 128;

export interface FilterGemm {
  M: number;
  N: number;
  K: number;
  slices: number;
  kPerSlice: number;
}

/** How the GEMM is laid out and split for a filter of M x N over K products (exported for tests). */
export function planFilterGemm(M: number, N: number, K: number): FilterGemm {
  const tiles = Math.ceil(M / TILE) * Math.ceil(N / TILE);
  const want = Math.max(1, Math.min(Math.ceil(MIN_WORKGROUPS / tiles), Math.ceil(K / (4 * TILE_K))));
  const kPerSlice = Math.ceil(Math.ceil(K / want) / TILE_K) * TILE_K;
  return { M, N, K, slices: Math.ceil(K / kPerSlice), kPerSlice };
}

const FIELDS = ['M', 'N', 'K', 'kPerSlice', 'tilesPerSlice', 'CI', 'KW', 'OH', 'OW', 'IH', 'IW', 'SH', 'SW', 'PT', 'PL'] as const;

class WrnConvFilterGemm implements WebGpuProgram {
  variableNames = ['x', 'dy'];
  outputShape: number[];
  shaderKey = 'wrnConvFilterGemm';
  dispatchLayout = { x: [0], y: [1], z: [2] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [8, 8, 1];
  uniforms = FIELDS.map((f) => `${f} : i32,`).join(' ');
  constructor(plan: FilterGemm, outputShape: number[]) {
    this.outputShape = outputShape;
    this.dispatch = [Math.ceil(plan.N / TILE), Math.ceil(plan.M / TILE), plan.slices];
  }
  getUserCode(): string {
    return /* wgsl */ `
      var<workgroup> As : array<array<f32, ${TILE}>, ${TILE_K}>;
      var<workgroup> Bs : array<array<f32, ${TILE}>, ${TILE_K}>;

      // im2col on the fly: x at product k = (b, oh, ow) and filter row m = (fh, fw, ci); 0 in the padding
      fn readA(k : i32, m : i32, kEnd : i32) -> f32 {
        if (k >= kEnd || m >= uniforms.M) { return 0.0; }
        let ow = k % uniforms.OW;
        let t = k / uniforms.OW;
        let oh = t % uniforms.OH;
        let b = t / uniforms.OH;
        let ci = m % uniforms.CI;
        let t2 = m / uniforms.CI;
        let fw = t2 % uniforms.KW;
        let fh = t2 / uniforms.KW;
        let ih = oh * uniforms.SH + fh - uniforms.PT;
        let iw = ow * uniforms.SW + fw - uniforms.PL;
        if (ih < 0 || ih >= uniforms.IH || iw < 0 || iw >= uniforms.IW) { return 0.0; }
        return x[((b * uniforms.IH + ih) * uniforms.IW + iw) * uniforms.CI + ci];
      }

      fn readB(k : i32, n : i32, kEnd : i32) -> f32 {
        if (k >= kEnd || n >= uniforms.N) { return 0.0; }
        return dy[k * uniforms.N + n];
      }

      fn main() {
        let tileN = i32(workgroupId.x) * ${TILE};
        let tileM = i32(workgroupId.y) * ${TILE};
        let slice = i32(workgroupId.z);
        let kBegin = slice * uniforms.kPerSlice;
        let kEnd = min(kBegin + uniforms.kPerSlice, uniforms.K);
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let lid = ty * 8 + tx;
        var acc : array<array<f32, 4>, 4>;
        // the trip count depends on uniforms only: the barriers stay in uniform control flow
        for (var t = 0; t < uniforms.tilesPerSlice; t++) {
          let k0 = kBegin + t * ${TILE_K};
          for (var i = 0; i < ${(TILE * TILE_K) / 64}; i++) {
            let e = lid + i * 64;
            let kk = e / ${TILE};
            let c = e % ${TILE};
            As[kk][c] = readA(k0 + kk, tileM + c, kEnd);
            Bs[kk][c] = readB(k0 + kk, tileN + c, kEnd);
          }
          workgroupBarrier();
          for (var kk = 0; kk < ${TILE_K}; kk++) {
            var a : array<f32, 4>;
            var b : array<f32, 4>;
            for (var i = 0; i < 4; i++) {
              a[i] = As[kk][ty * 4 + i];
              b[i] = Bs[kk][tx * 4 + i];
            }
            for (var i = 0; i < 4; i++) {
              for (var j = 0; j < 4; j++) { acc[i][j] = fma(a[i], b[j], acc[i][j]); }
            }
          }
          workgroupBarrier();
        }
        for (var i = 0; i < 4; i++) {
          let m = tileM + ty * 4 + i;
          for (var j = 0; j < 4; j++) {
            let n = tileN + tx * 4 + j;
            if (m < uniforms.M && n < uniforms.N) { setOutputAtIndex((slice * uniforms.M + m) * uniforms.N + n, acc[i][j]); }
          }
        }
      }`;
  }
}

/** dW = the sum of the slices' partial products; one invocation per filter weight. */
class WrnConvFilterFinish implements WebGpuProgram {
  variableNames = ['partials'];
  outputShape: number[];
  shaderKey = 'wrnConvFilterFinish';
  dispatchLayout;
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  uniforms = 'slices : i32,';
  constructor(filterShape: number[]) {
    this.outputShape = filterShape;
    this.dispatchLayout = { x: filterShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(sizeOf(filterShape) / 64), 1, 1];
  }
  getUserCode(): string {
    return /* wgsl */ `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        var s = 0.0;
        for (var i = 0; i < uniforms.slices; i++) { s += partials[i * uniforms.size + index]; }
        setOutputAtIndex(index, s);
      }`;
  }
}

export const CONV_FILTER_KERNEL = 'Conv2DBackpropFilter';

const filterGrad: tf.KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const [x, dy] = need(inputs, ['x', 'dy'], CONV_FILTER_KERNEL) as [tf.TensorInfo, tf.TensorInfo];
  const a = attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number;
    dataFormat?: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if ((a.dataFormat ?? 'NHWC') !== 'NHWC' || x.shape.length !== 4) {
    // tfjs-webgpu's kernel, which ours replaced (the registry keeps it), runs the cases ours does not take.
    const shipped = shippedKernel(CONV_FILTER_KERNEL, 'webgpu');
    if (!shipped) throw new Error(`${CONV_FILTER_KERNEL}: no tfjs kernel to fall back to`);
    return shipped(args);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  const [KH, KW, CI, CO] = a.filterShape;
  const M = KH * KW * CI;
  const K = info.batchSize * info.outHeight * info.outWidth;
  const plan = planFilterGemm(M, CO, K);
  const u = scalars('int32', [
    M,
    CO,
    K,
    plan.kPerSlice,
    plan.kPerSlice / TILE_K,
    CI,
    KW,
    info.outHeight,
    info.outWidth,
    info.inHeight,
    info.inWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ]);
  const gpu = asWebGpu(backend);
  if (plan.slices === 1) return gpu.runWebGPUProgram(new WrnConvFilterGemm(plan, a.filterShape), [x, dy], 'float32', u);
  const partials = gpu.runWebGPUProgram(new WrnConvFilterGemm(plan, [plan.slices * M * CO]), [x, dy], 'float32', u);
  const dw = gpu.runWebGPUProgram(new WrnConvFilterFinish(a.filterShape), [partials], 'float32', scalars('int32', [plan.slices]));
  (backend as { disposeData(dataId: object): void }).disposeData(partials.dataId);
  return dw;
};

/**
 * Puts ours in place of tfjs-webgpu's Conv2DBackpropFilter (idempotent; ../registry.ts's restoreKernel puts theirs
 * back). Not before tfjs-webgpu has registered its own: it would then skip its registration, and ours would have
 * nothing to fall back to or to put back.
 */
export function registerConvFilterGrad(): void {
  replaceKernel(CONV_FILTER_KERNEL, 'webgpu', filterGrad, { overShipped: true });
}
