/**
 * The counter-based random numbers behind dropout: element i of a mask is kept when hash(i, seed) falls below a
 * threshold. No state, no random buffer: every backend computes the same 32-bit integer function of (index, key)
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
 * step with `lowbias32` and `keepElement` (the kernel tests compare backends bit for bit).
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
  /** an element is kept when its hash is < threshold; threshold / 2^32 is the keep probability */
  threshold: number;
  /** the factor kept elements are scaled by: 1 / (1 - rate), rounded to float32 as every backend uses it */
  scale: number;
}

const TWO_32 = 4294967296;

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
  const lo = s % TWO_32 >>> 0;
  const hi = Math.floor(s / TWO_32) % TWO_32 >>> 0;
  // Distinct odd constants keep key0 and key1 unrelated even for seed 0; the sign bit separates -s from s.
  const sign = seed < 0 ? 0x9e3779b9 : 0;
  const key0 = lowbias32(lowbias32(lo ^ 0x68e31da4) + hi + sign);
  const key1 = lowbias32(key0 ^ lowbias32(hi ^ 0x1b56c4e9));
  const keep = 1 - rate;
  const threshold = Math.min(TWO_32 - 1, Math.round(keep * TWO_32));
  return { key0, key1, threshold, scale: Math.fround(1 / keep) };
}

/** The 32-bit hash of element `index` under `keys` (the host reference of the shader code). */
export function elementHash(index: number, keys: DropoutKeys): number {
  return lowbias32(lowbias32(index + keys.key0) ^ keys.key1);
}

/** Whether element `index` survives. */
export function keepElement(index: number, keys: DropoutKeys): boolean {
  return elementHash(index, keys) < keys.threshold;
}

/**
 * out[i] = keep(i) ? x[i] * scale : 0, on the host. `out` may be `x` (in place). Used by the CPU and WASM kernels,
 * and by any other backend through an upload (see dropout.ts).
 */
export function dropoutInto(x: ArrayLike<number>, out: Float32Array, keys: DropoutKeys): void {
  const { key0, key1, threshold, scale } = keys;
  for (let i = 0; i < out.length; i++) {
    // lowbias32 inlined twice: this loop is the CPU backends' whole dropout cost.
    let h = (i + key0) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    h ^= h >>> 15;
    h = Math.imul(h, 0x846ca68b);
    h ^= h >>> 16;
    h = (h ^ key1) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    h ^= h >>> 15;
    h = Math.imul(h, 0x846ca68b);
    h ^= h >>> 16;
    out[i] = h >>> 0 < threshold ? x[i]! * scale : 0;
  }
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
fn wrnElementHash(index : u32, key0 : u32, key1 : u32) -> u32 {
  return wrnLowbias32(wrnLowbias32(index + key0) ^ key1);
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
uint wrnElementHash(uint index, uint key0, uint key1) {
  return wrnLowbias32(wrnLowbias32(index + key0) ^ key1);
}
`;
