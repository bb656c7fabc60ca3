/**
 * The two convolution gradients for tfjs's WASM backend, written as forward convolutions (and, for 1x1 filters,
 * matrix products) so that XNNPACK's fast `Conv2D` / `BatchMatMul` do the arithmetic.
 *
 * Why: the WASM backend as shipped (tfjs 4.22) has no `Conv2DBackpropFilter` at all (tensorflow/tfjs issue 8474), so
 * a conv net cannot train on it; and its own `Conv2DBackpropInput` is a plain loop nest, slower than the forms
 * below. See `../shared/notes/webgpu-on-this-machine.md` for the experiment this follows.
 *
 * Notation (NHWC, the only layout the WASM `Conv2D` accepts): the forward convolution takes
 *   x [N, H, W, Ci] and w [kh, kw, Ci, Co] with strides (sh, sw) and padding (top, left, bottom, right)
 *   to y [N, Ho, Wo, Co]:  y[n,i,j,co] = sum_{a,b,ci} xpad[n, i*sh + a, j*sw + b, ci] * w[a,b,ci,co],
 * where xpad[n, p, q, :] = x[n, p - top, q - left, :] and zero outside x. dy has y's shape.
 *
 * Filter gradient: dw[a,b,ci,co] = sum_{n,i,j} xpad[n, i*sh + a, j*sw + b, ci] * dy[n,i,j,co]. Read x as a batch
 * of Ci images of H x W pixels with N channels ([Ci, H, W, N]) and dy as a filter [Ho, Wo, N, Co]; then dw is their
 * forward convolution with *dilation* (sh, sw) and stride 1, giving [Ci, kh, kw, Co], transposed to [kh, kw, Ci, Co].
 * Its padding is the forward padding, except that rows/columns of x that no filter tap reaches (a 'valid' or
 * strided convolution can leave some at the bottom/right) are cut off, since padding cannot be negative.
 * A 1x1 filter is a matrix product of x sampled on the stride grid with dy.
 *
 * Input gradient: dx[n,p,q,ci] = sum over (i, a) with i*sh + a = p + top (and likewise for columns) of
 * dy[n,i,j,co] * w[a,b,ci,co]. Spreading dy out with sh-1 zero rows after each row (and sw-1 zero columns) turns this
 * into a stride-1 forward convolution of the zero-inserted dy with the filter flipped in both spatial axes and with
 * its channel axes swapped ([kh, kw, Co, Ci]), padded by kh-1-top before and whatever makes the output H rows after.
 * At stride > 1 that convolution mostly multiplies zeros, so where the sizes allow it the kernel instead splits dx
 * into its sh*sw output phases, each a small stride-1 convolution of dy itself (`subPixelInputGrad`); a 1x1 filter
 * multiplies first and spreads after.
 *
 * Both kernels call the WASM backend's own kernels (Transpose, Reshape, PadV2, Slice, Reverse, Conv2D,
 * BatchMatMul) directly on TensorInfos rather than through `tf.*` ops: that keeps the work off the engine's tape
 * and scopes, and every intermediate is released with `backend.disposeData`, so a gradient leaves nothing behind
 * but its result.
 */
import * as tf from '@tensorflow/tfjs';
import type { WasmBackend } from './backendShapes';
import { replaceKernel } from './registry';

const BACKEND = 'wasm';

type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/** The attributes tfjs-core hands both gradient kernels (`Conv2DBackpropFilterAttrs` / `...InputAttrs`). */
interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Runs the WASM backend's kernels on TensorInfos and remembers every output, so that one call at the end frees all
 * intermediates but the result. Each TensorInfo a kernel returns holds one reference to its buffer (Reshape shares
 * its input's buffer and adds a reference), so disposing each returned info exactly once is exact bookkeeping.
 */
class KernelScope {
  private readonly owned: tf.TensorInfo[] = [];

  constructor(private readonly backend: WasmBackend) {}

  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const config = tf.getKernel(kernelName, BACKEND);
    if (!config) throw new Error(`wasm backend has no ${kernelName} kernel`);
    const out = config.kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out)) throw new Error(`${kernelName} returned ${out.length} outputs; expected one`);
    this.owned.push(out);
    return out;
  }

  /** A new float32 tensor of the given shape, freed with the scope like any kernel output. */
  make(shape: number[]): tf.TensorInfo {
    const out = this.backend.makeOutput(shape, 'float32');
    this.owned.push(out);
    return out;
  }

  /** A view of a tensor's values on the WASM heap; take it after the last allocation that precedes its use. */
  heap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array {
    return this.backend.typedArrayFromHeap(info);
  }

  /** Frees one output early (to lower peak memory); it must have come from this scope. */
  free(info: tf.TensorInfo): void {
    const i = this.owned.indexOf(info);
    if (i < 0) throw new Error('KernelScope.free: not owned here');
    this.owned.splice(i, 1);
    this.backend.disposeData(info.dataId);
  }

  /** Frees every output made in this scope except `keep` (the kernel's result, which the engine then owns). */
  release(keep?: tf.TensorInfo): void {
    for (const info of this.owned) if (info !== keep) this.backend.disposeData(info.dataId);
    this.owned.length = 0;
  }
}

/** Attribute objects for tfjs's kernels are plain records; this spells the cast once (NamedAttrMap is a loose map). */
function attrsOf<T extends object>(attrs: T): tf.NamedAttrMap {
  return attrs as unknown as tf.NamedAttrMap;
}

function checkLayout(attrs: ConvGradAttrs, kernel: string): void {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports only dataFormat 'NHWC' (the WASM Conv2D has no NCHW); got ${attrs.dataFormat}`);
  }
}

/** Geometry of the forward convolution: tfjs's own rules for 'same'/'valid'/explicit padding and dimRoundingMode. */
function forwardInfo(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: ConvGradAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    1, // tfjs's conv2d gradient refuses dilations > 1, so the forward op had none
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
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
function subPixelInputGrad(
  scope: KernelScope,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  rows: Phase[],
  cols: Phase[],
  g: { n: number; h: number; w: number; ci: number; co: number; kw: number; sh: number; sw: number },
): tf.TensorInfo {
  const { n, h, w, ci, co, kw, sh, sw } = g;
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
 * Conv2DBackpropFilter: inputs x [N, H, W, Ci] and dy [N, Ho, Wo, Co]; attrs as the forward conv plus
 * filterShape [kh, kw, Ci, Co]; returns dw [kh, kw, Ci, Co].
 */
function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = args.inputs;
  if (!x || !dy) throw new Error('Conv2DBackpropFilter needs inputs x and dy');
  // NamedAttrMap is untyped; tfjs-core passes Conv2DBackpropFilterAttrs here.
  const attrs = args.attrs as unknown as ConvGradAttrs & { filterShape: [number, number, number, number] };
  checkLayout(attrs, 'Conv2DBackpropFilter');
  const info = forwardInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;

  // Padded extent the taps reach: kh + (Ho-1)*sh rows. Beyond what padding-before plus x supply, pad after;
  // short of it (negative), cut x's trailing rows that no tap reads.
  const afterH = kh + (ho - 1) * sh - padInfo.top - h;
  const afterW = kw + (wo - 1) * sw - padInfo.left - w;

  const scope = new KernelScope(args.backend as WasmBackend);
  try {
    const unpadded = padInfo.top === 0 && padInfo.left === 0 && padInfo.bottom === 0 && padInfo.right === 0;
    if (kh === 1 && kw === 1 && unpadded) {
      // A 1x1 filter (WRN's projection shortcuts; 'same' pads a 1x1 filter by nothing) reads x only on the strided grid, so dw[0,0] = xs^T dy with
      // xs = x[:, ::sh, ::sw, :] as an [M, Ci] matrix (M = N*Ho*Wo): a subsample and one matrix product instead
      // of a dilated convolution over the whole image. The subsample is a 1x1 convolution with the identity
      // (XNNPACK strides it at memory speed; the WASM StridedSlice took 37 ms for a 2 MB tensor here). The WASM
      // BatchMatMul is slow with transposeA and with many output columns, so the product is written as
      // [big C, M] x [M, small C], transposing whichever operand has more channels.
      const m = n * ho * wo;
      const xs = sh > 1 || sw > 1 ? subsample(scope, x, ci, sh, sw) : x; // [N, Ho, Wo, Ci]
      const xs2 = scope.run('Reshape', { x: xs }, { shape: [m, ci] });
      const dy2 = scope.run('Reshape', { x: dy }, { shape: [m, co] });
      let dw: tf.TensorInfo;
      if (ci <= co) {
        const dyT = scope.run('Transpose', { x: dy2 }, { perm: [1, 0] }); // [Co, M]
        const prod = scope.run('BatchMatMul', { a: dyT, b: xs2 }, { transposeA: false, transposeB: false }); // [Co, Ci]
        dw = scope.run('Reshape', { x: scope.run('Transpose', { x: prod }, { perm: [1, 0] }) }, { shape: [1, 1, ci, co] });
      } else {
        const xsT = scope.run('Transpose', { x: xs2 }, { perm: [1, 0] }); // [Ci, M]
        const prod = scope.run('BatchMatMul', { a: xsT, b: dy2 }, { transposeA: false, transposeB: false }); // [Ci, Co]
        dw = scope.run('Reshape', { x: prod }, { shape: [1, 1, ci, co] });
      }
      scope.release(dw);
      return dw;
    }

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
    scope.release(dw);
    return dw;
  } catch (err) {
    scope.release();
    throw err;
  }
}

/**
 * Conv2DBackpropInput: inputs dy [N, Ho, Wo, Co] and filter [kh, kw, Ci, Co]; attrs as the forward conv plus
 * inputShape [N, H, W, Ci]; returns dx [N, H, W, Ci].
 */
function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy, filter } = args.inputs;
  if (!dy || !filter) throw new Error('Conv2DBackpropInput needs inputs dy and filter');
  // NamedAttrMap is untyped; tfjs-core passes Conv2DBackpropInputAttrs here.
  const attrs = args.attrs as unknown as ConvGradAttrs & { inputShape: [number, number, number, number] };
  checkLayout(attrs, 'Conv2DBackpropInput');
  const info = forwardInfo(attrs.inputShape, filter.shape as [number, number, number, number], attrs);
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

  const scope = new KernelScope(args.backend as WasmBackend);
  try {
    if (kh === 1 && kw === 1 && padInfo.top === 0 && padInfo.left === 0) {
      // A 1x1 filter: dx is dy times w^T placed on the strided grid, zero elsewhere. Multiplying first and spreading
      // after does the product on Ho*Wo pixels instead of the H*W of the zero-inserted dy.
      const wT = scope.run('Reshape', { x: scope.run('Transpose', { x: filter }, { perm: [0, 1, 3, 2] }) }, { shape: [1, 1, co, ci] });
      const g = scope.run('Conv2D', { x: dy, filter: wT }, attrsOf({ strides: [1, 1], dilations: [1, 1], pad: 'valid', dataFormat: 'NHWC' }));
      let dx = sh > 1 || sw > 1 ? spreadRows(scope, g, n, ho, wo, ci, sh, sw) : g; // [N, Ho*sh, Wo*sw, Ci]
      // The grid overhangs x when H (W) is not a multiple of the stride, or when explicit padding after x made
      // output rows of padding only: cut it to x's size.
      if (lenH !== h || lenW !== w) dx = scope.run('Slice', { x: dx }, { begin: [0, 0, 0, 0], size: [n, h, w, ci] });
      scope.release(dx);
      return dx;
    }

    const rowPhases = sh > 1 || sw > 1 ? phasesOf(kh, sh, padInfo.top, h, ho) : null;
    const colPhases = rowPhases ? phasesOf(kw, sw, padInfo.left, w, wo) : null;
    if (rowPhases && colPhases) {
      const dx = subPixelInputGrad(scope, dy, filter, rowPhases, colPhases, { n, h, w, ci, co, kw, sh, sw });
      scope.release(dx);
      return dx;
    }

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
    scope.release(dx);
    return dx;
  } catch (err) {
    scope.release();
    throw err;
  }
}

/**
 * Registers `Conv2DBackpropFilter` and `Conv2DBackpropInput` for the 'wasm' backend (replacing the shipped
 * `Conv2DBackpropInput`). Idempotent; called by ./index.ts's installKernels('wasm'), after
 * `@tensorflow/tfjs-backend-wasm` has been imported. It may run before or after `tf.setBackend('wasm')`: these
 * kernels have no setup step, and they look up the WASM kernels they build on at call time.
 */
export function registerWasmConvGradients(): void {
  replaceKernel(tf.Conv2DBackpropFilter, BACKEND, conv2DBackpropFilter);
  replaceKernel(tf.Conv2DBackpropInput, BACKEND, conv2DBackpropInput);
}
