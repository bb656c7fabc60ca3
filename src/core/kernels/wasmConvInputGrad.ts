/**
 * Conv2DBackpropInput for tfjs's WASM backend (notation: ./wasmConvGrads.ts).
 *
 * Input gradient: dx[n,p,q,ci] = sum over (i, a) with i*sh + a = p + top (and likewise for columns) of
 * dy[n,i,j,co] * w[a,b,ci,co]. Spreading dy out with sh-1 zero rows after each row (and sw-1 zero columns) turns this
 * into a stride-1 forward convolution of the zero-inserted dy with the filter flipped in both spatial axes and with
 * its channel axes swapped ([kh, kw, Co, Ci]), padded by kh-1-top before and whatever makes the output H rows after.
 * At stride > 1 that convolution mostly multiplies zeros, so where the sizes allow it the kernel instead splits dx
 * into its sh*sw output phases, each a small stride-1 convolution of dy itself (`subPixelInputGrad`); a 1x1 filter
 * multiplies first and spreads after.
 */
import type * as tf from '@tensorflow/tfjs';
import { attrsOf, checkLayout, type ConvGradAttrs, forwardInfo, type KernelScope, withKernelScope } from './wasmConvShared';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

/**
 * Conv2DBackpropInput: inputs dy [N, Ho, Wo, Co] and filter [kh, kw, Ci, Co]; attrs as the forward conv plus
 * inputShape [N, H, W, Ci]; returns dx [N, H, W, Ci].
 */
export function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy, filter } = args.inputs;
  if (!dy || !filter) throw new Error('Conv2DBackpropInput needs inputs dy and filter');
  // NamedAttrMap is untyped; tfjs-core passes Conv2DBackpropInputAttrs here.
  const attrs = args.attrs as unknown as ConvGradAttrs & { inputShape: [number, number, number, number] };
  checkLayout(attrs, 'Conv2DBackpropInput');
  const info = forwardInfo(attrs.inputShape, filter.shape as [number, number, number, number], attrs);
  const { inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  return withKernelScope(args.backend, (scope) => {
    if (kh === 1 && kw === 1 && padInfo.top === 0 && padInfo.left === 0) return inputGrad1x1(scope, dy, filter, info);
    const rowPhases = sh > 1 || sw > 1 ? phasesOf(kh, sh, padInfo.top, h, ho) : null;
    const colPhases = rowPhases ? phasesOf(kw, sw, padInfo.left, w, wo) : null;
    return rowPhases && colPhases ? subPixelInputGrad(scope, dy, filter, rowPhases, colPhases, info) : inputGradSpread(scope, dy, filter, info);
  });
}

/**
 * A 1x1 filter: dx is dy times w^T placed on the strided grid, zero elsewhere. Multiplying first and spreading after
 * does the product on Ho*Wo pixels instead of the H*W of the zero-inserted dy.
 */
function inputGrad1x1(scope: KernelScope, dy: tf.TensorInfo, filter: tf.TensorInfo, info: Conv2DInfo): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co, strideHeight: sh, strideWidth: sw } = info;
  const wT = scope.run('Reshape', { x: scope.run('Transpose', { x: filter }, { perm: [0, 1, 3, 2] }) }, { shape: [1, 1, co, ci] });
  const g = scope.run('Conv2D', { x: dy, filter: wT }, attrsOf({ strides: [1, 1], dilations: [1, 1], pad: 'valid', dataFormat: 'NHWC' }));
  const dx = sh > 1 || sw > 1 ? spreadRows(scope, g, n, ho, wo, ci, sh, sw) : g; // [N, Ho*sh, Wo*sw, Ci]
  // The grid overhangs x when H (W) is not a multiple of the stride, or when explicit padding after x made output
  // rows of padding only: cut it to x's size.
  if (ho * sh !== h || wo * sw !== w) return scope.run('Slice', { x: dx }, { begin: [0, 0, 0, 0], size: [n, h, w, ci] });
  return dx;
}

/**
 * Zero insertion: t [N, Ho, Wo, C] to [N, Ho*sh, Wo*sw, C] with t[n,i,j] at (i*sh, j*sw) and zeros elsewhere
 * (including sh-1 trailing rows and sw-1 trailing columns). Viewing t as [N*Ho, 1, Wo, 1, C] and zero-padding it
 * to [N*Ho, sh, Wo, sw, C] does it in one PadV2 (XNNPACK's constant pad; 5 dims is within its limit of 6).
 */
function spreadRows(scope: KernelScope, t: tf.TensorInfo, n: number, ho: number, wo: number, c: number, sh: number, sw: number): tf.TensorInfo {
  const r = scope.run('Reshape', { x: t }, { shape: [n * ho, 1, wo, 1, c] });
  const z = scope.run(
    'PadV2',
    { x: r },
    attrsOf({
      paddings: [
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ],
      constantValue: 0,
    }),
  );
  return scope.run('Reshape', { x: z }, { shape: [n, ho * sh, wo * sw, c] });
}

/**
 * One output phase of a strided input gradient along one axis: the rows p = s*u + phase of dx receive only the
 * filter taps a = first, first + s, ... (`taps` of them), and row u of the phase is a stride-1 correlation of dy
 * with those taps (flipped), padded by `before` and `after`.
 */
interface Phase {
  first: number;
  taps: number;
  before: number;
  after: number;
}

/**
 * Splits a strided input gradient along one axis (filter size k, stride s, forward padding `top`, input length
 * `len`, dy length `outLen`) into s phases, or returns null where the split does not apply simply: a length that
 * is not a multiple of the stride (phases of unequal length) or a phase needing a cut instead of padding.
 *
 * From dx[p] = sum over a with p + top - a = s*i of dy[i] * w[a]: writing p = s*u + phase, the taps are
 * a = first + s*t with first = (phase + top) mod s, and i = u + c - t with c = (phase + top - first) / s. Reversed
 * (t' = taps-1-t), that is a correlation of dy, padded by taps-1-c before, with the flipped taps.
 */
function phasesOf(k: number, s: number, top: number, len: number, outLen: number): Phase[] | null {
  if (len % s !== 0) return null;
  const phaseLen = len / s;
  const phases: Phase[] = [];
  for (let phase = 0; phase < s; phase++) {
    const first = (phase + top) % s;
    const taps = first < k ? Math.ceil((k - first) / s) : 0;
    const c = (phase + top - first) / s;
    const before = taps - 1 - c;
    const after = phaseLen + taps - 1 - before - outLen;
    if (taps > 0 && (before < 0 || after < 0)) return null;
    phases.push({ first, taps, before, after });
  }
  return phases;
}

/**
 * The input gradient of a strided convolution as sh*sw small stride-1 convolutions of dy, one per output phase
 * (sub-pixel decomposition), instead of one convolution over a zero-inserted dy that is 3/4 zeros at stride 2.
 * Each phase's filter is the subset of taps that reaches it, flipped, with channels swapped ([T, T', Co, Ci]).
 * The phase outputs are stacked into [sh, sw, N, H/sh, W/sw, Ci] and transposes interleave them into dx.
 */
function subPixelInputGrad(scope: KernelScope, dy: tf.TensorInfo, filter: tf.TensorInfo, rows: Phase[], cols: Phase[], info: Conv2DInfo): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const u = h / sh;
  const v = w / sw;
  const block = n * u * v * ci;
  const tap = co * ci; // one [Co, Ci] matrix of the channel-swapped filter
  const wt = scope.run('Transpose', { x: filter }, { perm: [0, 1, 3, 2] }); // [kh, kw, Co, Ci]
  const stacked = scope.make([sh, sw, n, u, v, ci]);
  for (let pr = 0; pr < sh; pr++) {
    for (let pc = 0; pc < sw; pc++) {
      const r = rows[pr]!;
      const c = cols[pc]!;
      const offset = (pr * sw + pc) * block;
      if (r.taps === 0 || c.taps === 0) {
        scope.heap(stacked).fill(0, offset, offset + block); // no tap reaches this phase (a 1x1 filter's off-grid)
        continue;
      }
      const sub = scope.make([r.taps, c.taps, co, ci]);
      // Heap views are taken after the allocation (which may grow the heap and detach older views).
      const src = scope.heap(wt);
      const dst = scope.heap(sub);
      for (let t = 0; t < r.taps; t++) {
        for (let t2 = 0; t2 < c.taps; t2++) {
          const a = r.first + sh * (r.taps - 1 - t);
          const b = c.first + sw * (c.taps - 1 - t2);
          dst.set(src.subarray((a * kw + b) * tap, (a * kw + b + 1) * tap), (t * c.taps + t2) * tap);
        }
      }
      const out = scope.run(
        'Conv2D',
        { x: dy, filter: sub },
        attrsOf({
          strides: [1, 1],
          dilations: [1, 1],
          pad: [
            [0, 0],
            [r.before, r.after],
            [c.before, c.after],
            [0, 0],
          ],
          dataFormat: 'NHWC',
        }),
      ); // [N, H/sh, W/sw, Ci]
      scope.heap(stacked).set(scope.heap(out), offset);
      scope.free(out);
      scope.free(sub);
    }
  }
  // Interleave: [sh, sw, N*U, V, Ci] -> [N*U, sh, V, sw, Ci] = dx. One 6-D transpose would do it, but the WASM
  // Transpose is fast only up to rank 4 (74 ms vs 1.5 ms for 2 MB here), so it is two: columns, then rows.
  const m = n * u * v;
  const byRow = scope.run('Reshape', { x: stacked }, { shape: [sh, sw, m, ci] });
  const colsDone = scope.run('Transpose', { x: byRow }, { perm: [0, 2, 1, 3] }); // [sh, N*U*V, sw, Ci]
  const rowPhases = scope.run('Reshape', { x: colsDone }, { shape: [sh, n * u, w * ci] });
  const dx = scope.run('Transpose', { x: rowPhases }, { perm: [1, 0, 2] }); // [N*U, sh, W*Ci] = [N, H, W, Ci]
  return scope.run('Reshape', { x: dx }, { shape: [n, h, w, ci] });
}

/**
 * Any filter and stride: one stride-1 convolution of the zero-inserted dy with the filter flipped in both spatial
 * axes and its channel axes swapped (see the header).
 */
function inputGradSpread(scope: KernelScope, dy: tf.TensorInfo, filter: tf.TensorInfo, info: Conv2DInfo): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  // Zero-inserted dy has Ho*sh rows (each row followed by sh-1 zero rows; the trailing ones act as padding).
  // The stride-1 convolution needs H + kh - 1 padded rows: kh-1-top before, the rest after. Negative amounts
  // (an explicit pad wider than the filter, or an odd size under a strided 1x1 filter) become a cut instead.
  const lenH = ho * sh;
  const lenW = wo * sw;
  const beforeH = kh - 1 - padInfo.top;
  const beforeW = kw - 1 - padInfo.left;
  const afterH = h + kh - 1 - beforeH - lenH;
  const afterW = w + kw - 1 - beforeW - lenW;
  let spread: tf.TensorInfo = dy;
  if (sh > 1 || sw > 1) spread = spreadRows(scope, dy, n, ho, wo, co, sh, sw);
  if (beforeH < 0 || beforeW < 0 || afterH < 0 || afterW < 0) {
    const cutTop = Math.max(-beforeH, 0);
    const cutLeft = Math.max(-beforeW, 0);
    spread = scope.run(
      'Slice',
      { x: spread },
      {
        begin: [0, cutTop, cutLeft, 0],
        size: [n, lenH - cutTop - Math.max(-afterH, 0), lenW - cutLeft - Math.max(-afterW, 0), co],
      },
    );
  }
  // Flip the filter spatially (a 1x1 filter is its own flip) and swap its channel axes: [kh, kw, Co, Ci].
  const flipped = kh > 1 || kw > 1 ? scope.run('Reverse', { x: filter }, { dims: [0, 1] }) : filter;
  const wT = scope.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
  const dx = scope.run(
    'Conv2D',
    { x: spread, filter: wT },
    attrsOf({
      strides: [1, 1],
      dilations: [1, 1],
      pad: [
        [0, 0],
        [Math.max(beforeH, 0), Math.max(afterH, 0)],
        [Math.max(beforeW, 0), Math.max(afterW, 0)],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    }),
  ); // [N, H, W, Ci]
  if (dx.shape.join() !== [n, h, w, ci].join()) {
    throw new Error(`Conv2DBackpropInput: made ${dx.shape.join('x')}, expected ${[n, h, w, ci].join('x')}`);
  }
  return dx;
}
