/**
 * Conv2DBackpropFilter for tfjs's WASM backend (notation: ./wasmConvGrads.ts).
 *
 * Filter gradient: dw[a,b,ci,co] = sum_{n,i,j} xpad[n, i*sh + a, j*sw + b, ci] * dy[n,i,j,co]. Read x as a batch
 * of Ci images of H x W pixels with N channels ([Ci, H, W, N]) and dy as a filter [Ho, Wo, N, Co]; then dw is their
 * forward convolution with *dilation* (sh, sw) and stride 1, giving [Ci, kh, kw, Co], transposed to [kh, kw, Ci, Co].
 * Its padding is the forward padding, except that rows/columns of x that no filter tap reaches (a 'valid' or
 * strided convolution can leave some at the bottom/right) are cut off, since padding cannot be negative.
 * A 1x1 filter is a matrix product of x sampled on the stride grid with dy.
 */
import type * as tf from '@tensorflow/tfjs';
import { attrsOf, checkLayout, type ConvGradAttrs, forwardInfo, type KernelScope, withKernelScope } from './wasmConvShared';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

/**
 * Conv2DBackpropFilter: inputs x [N, H, W, Ci] and dy [N, Ho, Wo, Co]; attrs as the forward conv plus
 * filterShape [kh, kw, Ci, Co]; returns dw [kh, kw, Ci, Co].
 */
export function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = args.inputs;
  if (!x || !dy) throw new Error('Conv2DBackpropFilter needs inputs x and dy');
  // NamedAttrMap is untyped; tfjs-core passes Conv2DBackpropFilterAttrs here.
  const attrs = args.attrs as unknown as ConvGradAttrs & { filterShape: [number, number, number, number] };
  checkLayout(attrs, 'Conv2DBackpropFilter');
  const info = forwardInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs);
  const { padInfo } = info;
  // 'same' pads a 1x1 filter by nothing.
  const unpadded = padInfo.top === 0 && padInfo.left === 0 && padInfo.bottom === 0 && padInfo.right === 0;
  const oneByOne = info.filterHeight === 1 && info.filterWidth === 1 && unpadded;
  return withKernelScope(args.backend, (scope) => (oneByOne ? filterGradMatMul(scope, x, dy, info) : filterGradDilated(scope, x, dy, info)));
}

/**
 * A 1x1 filter (WRN's projection shortcuts) reads x only on the strided grid, so dw[0,0] = xs^T dy with
 * xs = x[:, ::sh, ::sw, :] as an [M, Ci] matrix (M = N*Ho*Wo): a subsample and one matrix product instead of a
 * dilated convolution over the whole image. The subsample is a 1x1 convolution with the identity (XNNPACK strides it
 * at memory speed; the WASM StridedSlice took 37 ms for a 2 MB tensor here). The WASM BatchMatMul is slow with
 * transposeA and with many output columns, so the product is written as [big C, M] x [M, small C], transposing
 * whichever operand has more channels.
 */
function filterGradMatMul(scope: KernelScope, x: tf.TensorInfo, dy: tf.TensorInfo, info: Conv2DInfo): tf.TensorInfo {
  const { batchSize: n, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co, strideHeight: sh, strideWidth: sw } = info;
  const m = n * ho * wo;
  const xs = sh > 1 || sw > 1 ? subsample(scope, x, ci, sh, sw) : x; // [N, Ho, Wo, Ci]
  const xs2 = scope.run('Reshape', { x: xs }, { shape: [m, ci] });
  const dy2 = scope.run('Reshape', { x: dy }, { shape: [m, co] });
  if (ci <= co) {
    const dyT = scope.run('Transpose', { x: dy2 }, { perm: [1, 0] }); // [Co, M]
    const prod = scope.run('BatchMatMul', { a: dyT, b: xs2 }, { transposeA: false, transposeB: false }); // [Co, Ci]
    return scope.run('Reshape', { x: scope.run('Transpose', { x: prod }, { perm: [1, 0] }) }, { shape: [1, 1, ci, co] });
  }
  const xsT = scope.run('Transpose', { x: xs2 }, { perm: [1, 0] }); // [Ci, M]
  const prod = scope.run('BatchMatMul', { a: xsT, b: dy2 }, { transposeA: false, transposeB: false }); // [Ci, Co]
  return scope.run('Reshape', { x: prod }, { shape: [1, 1, ci, co] });
}

/**
 * x [N, H, W, C] sampled on the grid of a 1x1 convolution with strides (sh, sw): [N, ceil(H/sh), ceil(W/sw), C].
 * Done as that convolution with the identity matrix as its filter; multiplying by exact ones and zeros keeps
 * every value bit for bit.
 */
function subsample(scope: KernelScope, x: tf.TensorInfo, c: number, sh: number, sw: number): tf.TensorInfo {
  const eye = scope.make([1, 1, c, c]);
  const values = scope.heap(eye);
  values.fill(0);
  for (let i = 0; i < c; i++) values[i * c + i] = 1;
  return scope.run('Conv2D', { x, filter: eye }, attrsOf({ strides: [sh, sw], dilations: [1, 1], pad: 'valid', dataFormat: 'NHWC' }));
}

/**
 * Any filter: x as a batch of Ci images with N channels, convolved with dy as a filter, dilated by the stride (see
 * the header), then transposed to [kh, kw, Ci, Co].
 */
function filterGradDilated(scope: KernelScope, x: tf.TensorInfo, dy: tf.TensorInfo, info: Conv2DInfo): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  // Padded extent the taps reach: kh + (Ho-1)*sh rows. Beyond what padding-before plus x supply, pad after;
  // short of it (negative), cut x's trailing rows that no tap reads.
  const afterH = kh + (ho - 1) * sh - padInfo.top - h;
  const afterW = kw + (wo - 1) * sw - padInfo.left - w;
  let xs: tf.TensorInfo = x;
  if (afterH < 0 || afterW < 0) {
    xs = scope.run('Slice', { x }, { begin: [0, 0, 0, 0], size: [n, h + Math.min(afterH, 0), w + Math.min(afterW, 0), ci] });
  }
  const xT = scope.run('Transpose', { x: xs }, { perm: [3, 1, 2, 0] }); // [Ci, H', W', N]
  const dyT = scope.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [Ho, Wo, N, Co]
  const conv = scope.run(
    'Conv2D',
    { x: xT, filter: dyT },
    attrsOf({
      strides: [1, 1],
      dilations: [sh, sw],
      pad: [
        [0, 0],
        [padInfo.top, Math.max(afterH, 0)],
        [padInfo.left, Math.max(afterW, 0)],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    }),
  ); // [Ci, kh, kw, Co]
  const dw = scope.run('Transpose', { x: conv }, { perm: [1, 2, 0, 3] }); // [kh, kw, Ci, Co]
  if (dw.shape.join() !== [kh, kw, ci, co].join()) {
    throw new Error(`Conv2DBackpropFilter: made ${dw.shape.join('x')}, expected ${[kh, kw, ci, co].join('x')}`);
  }
  return dw;
}
