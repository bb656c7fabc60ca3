/**
 * The three convolutions of a training step as one implicit GEMM, C[M, N] = sum over K of A[m, k] B[k, n], with
 * three index maps (NHWC activations, HWIO filters, TensorFlow's 'same' padding, square images):
 *
 *   forward          M = batch x OH x OW, N = CO, K = KH x KW x CI;  A = x at (pixel m, tap k), B = W[k, n]
 *   input gradient   M = batch x IH x IW, N = CI, K = KH x KW x CO;  A = dy where an output reaches pixel m through
 *                    tap k (0 elsewhere: the gather form of the transposed convolution), B = W[tap, n, co]
 *   filter gradient  M = KH x KW x CI, N = CO, K = batch x OH x OW;  A = x at (pixel k, tap m), B = dy[k, n],
 *                    with K split over the grid's z into slices summed by a second pass (`splitKReduce`)
 *
 * A workgroup computes a TM x TN tile of C, 4 x 4 per invocation, stepping through K TK at a time through workgroup
 * memory; im2col happens in the tile loads, nothing is materialised. Loads are vec4 along the operand's contiguous
 * axis (channels) where the channel count divides by 4, scalar otherwise (the stem's 3 input channels). Every
 * layer's sizes are constants in its own WGSL (one pipeline per distinct shape), so the index arithmetic is by
 * literals and nothing per layer travels in a uniform.
 *
 * Epilogues: 'set' writes C; 'add' adds C to what the output holds (a residual written there by an earlier pass:
 * the projection shortcut, or a second input gradient into the same activation); 'residual' writes C plus another
 * buffer (the identity shortcut), so the residual add costs no pass of its own.
 *
 * Storage is `T` (f32 today): every load widens to f32 and every store narrows from it, so f16 storage
 * (`shader-f16`) is a change of `T` and of the byte sizes in the plan, not of these kernels.
 */
import type { Binding, Kernel, Slice } from './gpu';

/** One convolution of the net at a batch size: input [batch, inSize, inSize, cin] -> [batch, outSize, outSize, cout]. */
export interface ConvGeometry {
  batch: number;
  inSize: number;
  outSize: number;
  cin: number;
  cout: number;
  kernel: number;
  stride: number;
}

/** TensorFlow's 'same' padding before the first row (and column): half the total, rounded down. */
export function samePadding(inSize: number, outSize: number, kernel: number, stride: number): number {
  return Math.floor(Math.max((outSize - 1) * stride + kernel - inSize, 0) / 2);
}

export type Epilogue = 'set' | 'add' | 'residual';

/** Storage element type: f32 now; the kernels are written so that 'f16' needs no rewrite. */
export type StorageType = 'f32';

/** A tile shape: TM x TN outputs per workgroup, 4 x 4 per invocation, TK products per step through workgroup memory. */
export interface Tiles {
  TM: number;
  TN: number;
  TK: number;
}

/** How K is split for the filter gradient: `slices` ranges of `kPerSlice` (a multiple of TK). */
export interface SplitK {
  slices: number;
  kPerSlice: number;
}

/** Tiles for a GEMM of M x N: TN follows N (16, 32 or 64), TM keeps 128 to 256 invocations and is not far past M. */
export function chooseTiles(M: number, N: number): Tiles {
  const TN = N <= 16 ? 16 : N <= 32 ? 32 : 64;
  let TM = TN === 64 ? 64 : 4096 / TN / 2;
  while (TM > 16 && TM / 2 >= M) TM /= 2;
  return { TM, TN, TK: 16 };
}

/** Workgroups wanted at least, for the split-K choice. */
const MIN_WORKGROUPS = 256;

/** Splits K until the grid has MIN_WORKGROUPS workgroups, keeping slices at least 4 tiles of K long. */
export function chooseSplitK(M: number, N: number, K: number, t: Tiles): SplitK {
  const tiles = Math.ceil(M / t.TM) * Math.ceil(N / t.TN);
  const want = Math.max(1, Math.min(Math.ceil(MIN_WORKGROUPS / tiles), Math.floor(K / (4 * t.TK))));
  const kPerSlice = Math.ceil(Math.ceil(K / want) / t.TK) * t.TK;
  return { slices: Math.ceil(K / kPerSlice), kPerSlice };
}

/** An operand load: WGSL returning 4 values of A (or B) along the contiguous axis `along`, 0 outside. */
interface Operand {
  /** `fn loadA(m : i32, k : i32) -> vec4<f32>` (or loadB(k, n)) */
  fn: string;
  /** the axis the 4 values run along */
  along: 'm' | 'k' | 'n';
}

interface GemmSpec {
  kind: string;
  M: number;
  N: number;
  K: number;
  tiles: Tiles;
  split: SplitK;
  /** WGSL declarations of the bindings (in binding order) */
  declarations: string;
  a: Operand;
  b: Operand;
  /** `fn store(m : i32, n : i32, v : vec4<f32>, slice : i32)`: writes C[m, n..n+3] (bounds checked inside) */
  store: string;
}

/** The tiled GEMM around the index maps of a spec. */
function gemm(s: GemmSpec): string {
  const { TM, TN, TK } = s.tiles;
  const TX = TN / 4;
  const TY = TM / 4;
  const threads = TX * TY;
  const unitsA = (TM * TK) / 4;
  const unitsB = (TN * TK) / 4;
  const tilesPerSlice = s.split.kPerSlice / TK;
  const loadLoop = (units: number, body: string) =>
    `for (var i = 0; i < ${Math.ceil(units / threads)}; i++) {
      let u = lid + i * ${threads};
      ${units % threads ? `if (u < ${units}) {` : '{'}
        ${body}
      }
    }`;
  // Where a loaded vec4 goes in workgroup memory (As is [TK][TM], Bs is [TK][TN], both row-major, as vec4s).
  const storeA =
    s.a.along === 'k'
      ? `let mL = u / ${TK / 4}; let kL = (u % ${TK / 4}) * 4;
        let v = loadA(m0 + mL, k0 + kL, kEnd);
        for (var j = 0; j < 4; j++) { let e = (kL + j) * ${TM} + mL; As[e / 4][e % 4] = v[j]; }`
      : `let kL = u / ${TM / 4}; let mL = (u % ${TM / 4}) * 4;
        As[(kL * ${TM} + mL) / 4] = loadA(m0 + mL, k0 + kL, kEnd);`;
  const storeB =
    s.b.along === 'n'
      ? `let kL = u / ${TN / 4}; let nL = (u % ${TN / 4}) * 4;
        Bs[(kL * ${TN} + nL) / 4] = loadB(k0 + kL, n0 + nL, kEnd);`
      : `let nL = u / ${TK / 4}; let kL = (u % ${TK / 4}) * 4;
        let v = loadB(k0 + kL, n0 + nL, kEnd);
        for (var j = 0; j < 4; j++) { let e = (kL + j) * ${TN} + nL; Bs[e / 4][e % 4] = v[j]; }`;
  return /* wgsl */ `// ${s.kind}: M ${s.M}, N ${s.N}, K ${s.K}; tile ${TM}x${TN}x${TK}; ${s.split.slices} slice(s) of K
${s.declarations}
var<workgroup> As : array<vec4<f32>, ${(TK * TM) / 4}>;
var<workgroup> Bs : array<vec4<f32>, ${(TK * TN) / 4}>;
${s.a.fn}
${s.b.fn}
${s.store}
@compute @workgroup_size(${TX}, ${TY}, 1)
fn main(@builtin(workgroup_id) wg : vec3<u32>, @builtin(local_invocation_id) lc : vec3<u32>) {
  let n0 = i32(wg.x) * ${TN};
  let m0 = i32(wg.y) * ${TM};
  let slice = i32(wg.z);
  let kBegin = slice * ${s.split.kPerSlice};
  let kEnd = min(kBegin + ${s.split.kPerSlice}, ${s.K});
  let tx = i32(lc.x);
  let ty = i32(lc.y);
  let lid = ty * ${TX} + tx;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var t = 0; t < ${tilesPerSlice}; t++) {
    let k0 = kBegin + t * ${TK};
    ${loadLoop(unitsA, storeA)}
    ${loadLoop(unitsB, storeB)}
    workgroupBarrier();
    for (var kk = 0; kk < ${TK}; kk++) {
      let b = Bs[kk * ${TX} + tx];
      let a = As[kk * ${TY} + ty];
      acc0 = fma(vec4<f32>(a.x), b, acc0);
      acc1 = fma(vec4<f32>(a.y), b, acc1);
      acc2 = fma(vec4<f32>(a.z), b, acc2);
      acc3 = fma(vec4<f32>(a.w), b, acc3);
    }
    workgroupBarrier();
  }
  let m = m0 + ty * 4;
  let n = n0 + tx * 4;
  store(m, n, acc0, slice);
  store(m + 1, n, acc1, slice);
  store(m + 2, n, acc2, slice);
  store(m + 3, n, acc3, slice);
}
`;
}

/** WGSL declaration of a storage binding: vec4 elements where `vec4`, else scalars. */
function declare(binding: number, name: string, access: 'read' | 'read_write', vec4: boolean, T: StorageType = 'f32'): string {
  return `@group(0) @binding(${binding}) var<storage, ${access}> ${name} : array<${vec4 ? `vec4<${T}>` : T}>;`;
}

/** WGSL: the element at flat index `i` of a buffer declared by `declare`, as f32. */
function element(name: string, vec4: boolean, i: string): string {
  return vec4 ? `f32(${name}[(${i}) / 4][(${i}) % 4])` : `f32(${name}[${i}])`;
}

/**
 * WGSL `fn store(m, n, v, slice)`: C[m, n..n+3] into `out` at row stride N (plus slice * M * N), with the epilogue;
 * `res` is the residual's buffer for 'residual'.
 */
function storeFn(M: number, N: number, epilogue: Epilogue, outVec4: boolean, resVec4: boolean, T: StorageType = 'f32'): string {
  const combine = (old: string, res: string, v: string) => (epilogue === 'set' ? v : epilogue === 'add' ? `${old} + ${v}` : `${res} + ${v}`);
  if (outVec4) {
    const res = resVec4 ? 'vec4<f32>(res[i / 4])' : '';
    return `fn store(m : i32, n : i32, v : vec4<f32>, slice : i32) {
  if (m >= ${M} || n >= ${N}) { return; }
  let i = slice * ${M * N} + m * ${N} + n;
  out[i / 4] = vec4<${T}>(${combine('vec4<f32>(out[i / 4])', res, 'v')});
}`;
  }
  return `fn store(m : i32, n : i32, v : vec4<f32>, slice : i32) {
  if (m >= ${M}) { return; }
  for (var j = 0; j < 4; j++) {
    if (n + j < ${N}) {
      let i = slice * ${M * N} + m * ${N} + n + j;
      out[i] = ${T}(${combine('f32(out[i])', 'f32(res[i])', 'v[j]')});
    }
  }
}`;
}

export interface ConvBindings {
  /** forward: x; input gradient: dy; filter gradient: x */
  a: Slice;
  /** forward and input gradient: the filter; filter gradient: dy */
  b: Slice;
  out: Slice;
  /** the identity shortcut, for epilogue 'residual' */
  residual?: Slice;
}

const bind = (slice: Slice, access: Binding['access']): Binding => ({ slice, access });

/** The forward convolution: out = conv(x, W) (+ the epilogue). */
export function convForward(label: string, g: ConvGeometry, io: ConvBindings, epilogue: Epilogue = 'set'): Kernel {
  const { batch, inSize: IS, outSize: OS, cin: CI, cout: CO, kernel: KS, stride: S } = g;
  const P = samePadding(IS, OS, KS, S);
  const M = batch * OS * OS;
  const N = CO;
  const K = KS * KS * CI;
  const tiles = chooseTiles(M, N);
  const xv = CI % 4 === 0;
  const wv = CO % 4 === 0;
  // pixel m = (b, oh, ow), tap k = (fh, fw, ci): x[b, oh*S + fh - P, ow*S + fw - P, ci], 0 in the padding
  const xAt = (k: string) => `{
      let ci = ${k} % ${CI}; let t2 = ${k} / ${CI}; let fw = t2 % ${KS}; let fh = t2 / ${KS};
      let ih = oh * ${S} + fh - ${P}; let iw = ow * ${S} + fw - ${P};
      if (${k} < kEnd && ih >= 0 && ih < ${IS} && iw >= 0 && iw < ${IS}) { v = XV; }
    }`;
  const aFn = `fn loadA(m : i32, k : i32, kEnd : i32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (m >= ${M}) { return v; }
  let ow = m % ${OS}; let t = m / ${OS}; let oh = t % ${OS}; let b = t / ${OS};
  ${
    xv
      ? xAt('k').replace('v = XV;', `v = vec4<f32>(x[(((b * ${IS} + ih) * ${IS} + iw) * ${CI} + ci) / 4]);`)
      : [0, 1, 2, 3].map((j) => xAt(`(k + ${j})`).replace('v = XV;', `v[${j}] = f32(x[((b * ${IS} + ih) * ${IS} + iw) * ${CI} + ci]);`)).join('\n  ')
  }
  return v;
}`;
  const bFn = wFilterRows(N, wv);
  const declarations = [
    declare(0, 'x', 'read', xv),
    declare(1, 'w', 'read', wv),
    declare(2, 'out', 'read_write', N % 4 === 0),
    ...(epilogue === 'residual' ? [declare(3, 'res', 'read', N % 4 === 0)] : []),
  ].join('\n');
  const split = { slices: 1, kPerSlice: Math.ceil(K / tiles.TK) * tiles.TK };
  return {
    kind: 'conv forward',
    label,
    code: gemm({
      kind: 'conv forward',
      M,
      N,
      K,
      tiles,
      split,
      declarations,
      a: { fn: aFn, along: 'k' },
      b: { fn: bFn, along: 'n' },
      store: storeFn(M, N, epilogue, N % 4 === 0, N % 4 === 0),
    }),
    bindings: [bind(io.a, 'read'), bind(io.b, 'read'), bind(io.out, 'read_write'), ...(epilogue === 'residual' ? [bind(io.residual!, 'read')] : [])],
    workgroups: [Math.ceil(N / tiles.TN), Math.ceil(M / tiles.TM), 1],
  };
}

/** `fn loadB(k, n)`: W[k, n..n+3] of a filter read as K rows of N (the forward's B). */
function wFilterRows(N: number, vec4: boolean): string {
  return `fn loadB(k : i32, n : i32, kEnd : i32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (k >= kEnd) { return v; }
  ${
    vec4
      ? `if (n < ${N}) { v = vec4<f32>(w[(k * ${N} + n) / 4]); }`
      : `for (var j = 0; j < 4; j++) { if (n + j < ${N}) { v[j] = f32(w[k * ${N} + n + j]); } }`
  }
  return v;
}`;
}

/**
 * The input gradient: dx = the transposed convolution of dy with W (+ the epilogue: 'add' when another gradient
 * already flows into the same activation).
 */
export function convInputGrad(label: string, g: ConvGeometry, io: ConvBindings, epilogue: Epilogue = 'set'): Kernel {
  const { batch, inSize: IS, outSize: OS, cin: CI, cout: CO, kernel: KS, stride: S } = g;
  const P = samePadding(IS, OS, KS, S);
  const M = batch * IS * IS;
  const N = CI;
  const K = KS * KS * CO;
  const tiles = chooseTiles(M, N);
  const dv = CO % 4 === 0;
  // pixel m = (b, ih, iw), k = (fh, fw, co): the output (oh, ow) with oh*S + fh - P = ih reaches it through tap (fh, fw)
  const dyAt = (k: string, assign: string) => `{
      let co = ${k} % ${CO}; let t2 = ${k} / ${CO}; let fw = t2 % ${KS}; let fh = t2 / ${KS};
      let ohS = ih + ${P} - fh; let owS = iw + ${P} - fw;
      ${S === 1 ? 'let oh = ohS; let ow = owS;' : `let oh = ohS / ${S}; let ow = owS / ${S};`}
      if (${k} < kEnd && ohS >= 0 && owS >= 0${S === 1 ? '' : ` && ohS % ${S} == 0 && owS % ${S} == 0`} && oh < ${OS} && ow < ${OS}) { ${assign} }
    }`;
  const aFn = `fn loadA(m : i32, k : i32, kEnd : i32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (m >= ${M}) { return v; }
  let iw = m % ${IS}; let t = m / ${IS}; let ih = t % ${IS}; let b = t / ${IS};
  ${
    dv
      ? dyAt('k', `v = vec4<f32>(dy[(((b * ${OS} + oh) * ${OS} + ow) * ${CO} + co) / 4]);`)
      : [0, 1, 2, 3].map((j) => dyAt(`(k + ${j})`, `v[${j}] = f32(dy[((b * ${OS} + oh) * ${OS} + ow) * ${CO} + co]);`)).join('\n  ')
  }
  return v;
}`;
  // B[k, n] = W[fh, fw, n, co] with k = (fh, fw, co): contiguous along k (co)
  const bFn = `fn loadB(k : i32, n : i32, kEnd : i32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (n >= ${N}) { return v; }
  ${
    dv
      ? `if (k < kEnd) { let co = k % ${CO}; let tap = k / ${CO}; v = vec4<f32>(w[((tap * ${CI} + n) * ${CO} + co) / 4]); }`
      : `for (var j = 0; j < 4; j++) { let kj = k + j; if (kj < kEnd) { let co = kj % ${CO}; let tap = kj / ${CO}; v[j] = f32(w[(tap * ${CI} + n) * ${CO} + co]); } }`
  }
  return v;
}`;
  const declarations = [declare(0, 'dy', 'read', dv), declare(1, 'w', 'read', dv), declare(2, 'out', 'read_write', N % 4 === 0)].join('\n');
  if (epilogue === 'residual') throw new Error('convInputGrad takes epilogue set or add');
  const split = { slices: 1, kPerSlice: Math.ceil(K / tiles.TK) * tiles.TK };
  return {
    kind: 'conv input gradient',
    label,
    code: gemm({
      kind: 'conv input gradient',
      M,
      N,
      K,
      tiles,
      split,
      declarations,
      a: { fn: aFn, along: 'k' },
      b: { fn: bFn, along: 'k' },
      store: storeFn(M, N, epilogue, N % 4 === 0, false),
    }),
    bindings: [bind(io.a, 'read'), bind(io.b, 'read'), bind(io.out, 'read_write')],
    workgroups: [Math.ceil(N / tiles.TN), Math.ceil(M / tiles.TM), 1],
  };
}

/** The filter gradient's GEMM and its split of K (exported for the plan, which sizes the partials' scratch). */
export function filterGradShape(g: ConvGeometry): { M: number; N: number; K: number; tiles: Tiles; split: SplitK } {
  const M = g.kernel * g.kernel * g.cin;
  const N = g.cout;
  const K = g.batch * g.outSize * g.outSize;
  const tiles = chooseTiles(M, N);
  return { M, N, K, tiles, split: chooseSplitK(M, N, K, tiles) };
}

/**
 * The filter gradient dW = sum over batch and output pixels of x (im2col) times dy. With one slice it writes dW
 * (`io.out`); with several, `io.out` is the partials' scratch ([slices, M, N]) and `splitKReduce` finishes.
 */
export function convFilterGrad(label: string, g: ConvGeometry, io: ConvBindings): Kernel {
  const { inSize: IS, outSize: OS, cin: CI, cout: CO, kernel: KS, stride: S } = g;
  const P = samePadding(IS, OS, KS, S);
  const { M, N, K, tiles, split } = filterGradShape(g);
  const xv = CI % 4 === 0;
  const dv = CO % 4 === 0;
  // product k = (b, oh, ow), filter row m = (fh, fw, ci): x[b, oh*S + fh - P, ow*S + fw - P, ci]; contiguous along m
  const xAt = (m: string, assign: string) => `{
      let ci = ${m} % ${CI}; let t2 = ${m} / ${CI}; let fw = t2 % ${KS}; let fh = t2 / ${KS};
      let ih = oh * ${S} + fh - ${P}; let iw = ow * ${S} + fw - ${P};
      if (${m} < ${M} && ih >= 0 && ih < ${IS} && iw >= 0 && iw < ${IS}) { ${assign} }
    }`;
  const aFn = `fn loadA(m : i32, k : i32, kEnd : i32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (k >= kEnd) { return v; }
  let ow = k % ${OS}; let t = k / ${OS}; let oh = t % ${OS}; let b = t / ${OS};
  ${
    xv
      ? xAt('m', `v = vec4<f32>(x[(((b * ${IS} + ih) * ${IS} + iw) * ${CI} + ci) / 4]);`)
      : [0, 1, 2, 3].map((j) => xAt(`(m + ${j})`, `v[${j}] = f32(x[((b * ${IS} + ih) * ${IS} + iw) * ${CI} + ci]);`)).join('\n  ')
  }
  return v;
}`;
  const bFn = `fn loadB(k : i32, n : i32, kEnd : i32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (k >= kEnd) { return v; }
  ${
    dv
      ? `if (n < ${N}) { v = vec4<f32>(dy[(k * ${N} + n) / 4]); }`
      : `for (var j = 0; j < 4; j++) { if (n + j < ${N}) { v[j] = f32(dy[k * ${N} + n + j]); } }`
  }
  return v;
}`;
  const declarations = [declare(0, 'x', 'read', xv), declare(1, 'dy', 'read', dv), declare(2, 'out', 'read_write', N % 4 === 0)].join('\n');
  return {
    kind: 'conv filter gradient',
    label,
    code: gemm({
      kind: 'conv filter gradient',
      M,
      N,
      K,
      tiles,
      split,
      declarations,
      a: { fn: aFn, along: 'm' },
      b: { fn: bFn, along: 'n' },
      store: storeFn(M, N, 'set', N % 4 === 0, false),
    }),
    bindings: [bind(io.a, 'read'), bind(io.b, 'read'), bind(io.out, 'read_write')],
    workgroups: [Math.ceil(N / tiles.TN), Math.ceil(M / tiles.TM), split.slices],
  };
}

/** dW = the sum of the filter gradient's slices: partials [slices, size] -> out [size], 4 values per invocation. */
export function splitKReduce(label: string, size: number, slices: number, partials: Slice, out: Slice): Kernel {
  if (size % 4 !== 0) throw new Error(`${label}: split-K reduce needs a size divisible by 4, got ${size}`);
  const n4 = size / 4;
  const code = /* wgsl */ `// split-k sum: ${slices} slices of ${size}
${declare(0, 'partials', 'read', true)}
${declare(1, 'out', 'read_write', true)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) ngroups : vec3<u32>) {
  let i = i32(gid.y * ngroups.x * 64u + gid.x);
  if (i >= ${n4}) { return; }
  var s = vec4<f32>(0.0);
  for (var j = 0; j < ${slices}; j++) { s += vec4<f32>(partials[j * ${n4} + i]); }
  out[i] = vec4<f32>(s);
}
`;
  return { kind: 'split-k sum', label, code, bindings: [bind(partials, 'read'), bind(out, 'read_write')], workgroups: [Math.ceil(n4 / 64), 1, 1] };
}

/** Element helpers for other kernels (exported for the plan's generated code). */
export const wgslStorage = { declare, element };
