/**
 * The counter-based random numbers behind dropout: element i of a mask is kept when its 16 bits of hash(i / 2, seed)
 * fall below a threshold (one 32-bit hash serves two neighbouring elements: the low half for even i, the high half
 * for odd i; 16 bits set the keep probability to within 1/65536). No state, no random buffer: every backend computes the same 32-bit integer function of (index, key)
 * wherever the data lives (a WGSL or GLSL shader on the GPU, a JavaScript loop on the CPU), so
 *   - no mask is drawn on the host and uploaded each step (what `tf.randomUniform` does on every backend), and
 *   - the same seed gives bit-for-bit the same mask on WebGPU, WebGL, WASM and CPU.
 *
 * The mixing function is Chris Wellons' "lowbias32" (two xorshift-multiply rounds; full avalanche, a bijection on
 * 32 bits), applied twice: once to (index + key0), once more after xor-ing in key1. Only unsigned 32-bit adds,
 * multiplies, xors and shifts, whose wrap-around results are identical in JavaScript (`Math.imul`, `>>>`), WGSL
 * (`u32`) and GLSL ES 3.00 (`uint`, `highp`).
 *
 * This module is pure (no tfjs) so that tests and kernels share one definition; the shader text below must stay in
 * step with `lowbias32` and `keepElement` (the kernel tests compare backends bit for bit). Two elements per hash
 * halves the CPU backends' cost (a JavaScript loop: ~12 ns per element with one hash each on this machine's cores).
 */

/** One lowbias32 round: x -> x', a bijection on unsigned 32-bit integers with good avalanche. */
export function lowbias32(x: number): number {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** What a dropout kernel needs, all derived on the host from (seed, rate). */
export interface DropoutKeys {
  /** first 32-bit key, added to the element index before the first round */
  key0: number;
  /** second 32-bit key, xor-ed in before the second round */
  key1: number;
  /** an element is kept when its 16 hash bits are < threshold; threshold / 65536 is the keep probability */
  threshold: number;
  /** the factor kept elements are scaled by: 1 / (1 - rate), rounded to float32 as every backend uses it */
  scale: number;
}

const TWO_32 = 4294967296;
/** 16 bits of hash per element. */
const TWO_16 = 65536;

/**
 * Keys for one mask. Any finite seed works, including ones above 2^32 (the layer's seed times a call counter):
 * its low and high 32-bit words are mixed into both keys.
 * @param seed a finite number; its integer part is used
 * @param rate drop probability in (0, 1)
 */
export function dropoutKeys(seed: number, rate: number): DropoutKeys {
  if (!(rate > 0 && rate < 1)) throw new RangeError(`dropout rate must be in (0, 1); got ${rate}`);
  if (!Number.isFinite(seed)) throw new RangeError(`dropout seed must be finite; got ${seed}`);
  const s = Math.trunc(Math.abs(seed));
  const lo = (s % TWO_32) >>> 0;
  const hi = (Math.floor(s / TWO_32) % TWO_32) >>> 0;
  // Distinct odd constants keep key0 and key1 unrelated even for seed 0; the sign bit separates -s from s.
  const sign = seed < 0 ? 0x9e3779b9 : 0;
  const key0 = lowbias32(lowbias32(lo ^ 0x68e31da4) + hi + sign);
  const key1 = lowbias32(key0 ^ lowbias32(hi ^ 0x1b56c4e9));
  const keep = 1 - rate;
  const threshold = Math.round(keep * TWO_16);
  return { key0, key1, threshold, scale: Math.fround(1 / keep) };
}

/** The 32-bit hash of pair `pair` (elements 2 * pair and 2 * pair + 1) under `keys`: the reference of the shaders. */
export function pairHash(pair: number, keys: DropoutKeys): number {
  return lowbias32(lowbias32(pair + keys.key0) ^ keys.key1);
}

/** The 16 hash bits of element `index`: the low half of its pair's hash for even indices, the high half for odd. */
export function elementBits(index: number, keys: DropoutKeys): number {
  const h = pairHash(Math.floor(index / 2), keys);
  return index % 2 === 0 ? h & 0xffff : h >>> 16;
}

/** Whether element `index` survives. */
export function keepElement(index: number, keys: DropoutKeys): boolean {
  return elementBits(index, keys) < keys.threshold;
}

/**
 * out[i] = keep(i) ? x[i] * scale : 0, on the host. `out` may be `x` (in place). Used by the CPU and WASM kernels,
 * and by any other backend through an upload (see dropout.ts).
 */
export function dropoutInto(x: ArrayLike<number>, out: Float32Array, keys: DropoutKeys): void {
  // Tuned for V8 (5.5 ns per element here, from 15 for the straightforward loop): the arithmetic stays in signed
  // 32-bit integers (unsigned values above 2^31 would be heap doubles), one hash serves two elements, and the keep
  // test picks the factor from a table instead of branching (a random 30% branch mispredicts often). `+ 0` turns the
  // -0 of a dropped negative value into the +0 the GPU kernels write. (A dropped NaN or infinity stays NaN here,
  // where the GPU kernels write 0: by then training has diverged anyway.)
  const key0 = keys.key0 | 0;
  const key1 = keys.key1 | 0;
  const threshold = keys.threshold;
  const factor = new Float64Array([0, keys.scale]);
  const n = out.length;
  const even = n - (n % 2);
  let pair = 0;
  for (let i = 0; i < even; i += 2, pair++) {
    const h = pairBits(pair, key0, key1);
    // (bits - threshold) >>> 31 is 1 exactly when bits < threshold (both are below 2^17).
    out[i] = x[i]! * factor[((h & 0xffff) - threshold) >>> 31]! + 0;
    out[i + 1] = x[i + 1]! * factor[((h >>> 16) - threshold) >>> 31]! + 0;
  }
  if (even < n) out[even] = x[even]! * factor[((pairBits(pair, key0, key1) & 0xffff) - threshold) >>> 31]! + 0;
}

/** pairHash with int32 keys, as a signed 32-bit integer (lowbias32 twice, inlined for the loop above). */
function pairBits(pair: number, key0: number, key1: number): number {
  let h = (pair + key0) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  h ^= key1;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return h ^ (h >>> 16);
}

/** The same hash in WGSL (u32 arithmetic wraps modulo 2^32 as in JavaScript). */
export const WGSL_HASH = /* wgsl */ `
fn wrnLowbias32(v : u32) -> u32 {
  var x = v;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  x = x ^ (x >> 16u);
  return x;
}
// The 16 hash bits of element index: its pair's hash, low half for even indices, high half for odd.
fn wrnElementBits(index : u32, key0 : u32, key1 : u32) -> u32 {
  let h = wrnLowbias32(wrnLowbias32((index >> 1u) + key0) ^ key1);
  return select(h & 0xffffu, h >> 16u, (index & 1u) == 1u);
}
`;

/** The same hash in GLSL ES 3.00 (WebGL 2; `uint` arithmetic wraps modulo 2^32). */
export const GLSL_HASH = /* glsl */ `
uint wrnLowbias32(uint v) {
  uint x = v;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  x = x ^ (x >> 16u);
  return x;
}
// The 16 hash bits of element index: its pair's hash, low half for even indices, high half for odd.
uint wrnElementBits(uint index, uint key0, uint key1) {
  uint h = wrnLowbias32(wrnLowbias32((index >> 1u) + key0) ^ key1);
  return (index & 1u) == 1u ? h >> 16u : h & 0xffffu;
}
`;
