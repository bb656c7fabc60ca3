/** WGSL pieces the compiled step's kernels share: literals, the per-step uniform block, and binding helpers. */
import type { Binding, Slice } from './gpu';

/** A number as a WGSL float literal that converts to exactly Math.fround(x) (9 significant digits round-trip f32). */
export function f32(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number for WGSL: ${x}`);
  const s = Math.fround(x).toPrecision(9);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

/**
 * The per-step uniform block, written once a step: the learning rate, the slot of the metrics ring the step writes
 * its loss and accuracy to, and the dropout keys of each block that has dropout (key0, key1 in .x, .y).
 */
export function stepUniformStruct(dropoutBlocks: number): string {
  return `struct Step { lr : f32, slot : u32, step : u32, pad : u32, keys : array<vec4<u32>, ${Math.max(1, dropoutBlocks)}> }`;
}

/** Bytes of the per-step uniform block. */
export function stepUniformBytes(dropoutBlocks: number): number {
  return 16 + 16 * Math.max(1, dropoutBlocks);
}

/** WGSL declaration of binding `i` (storage of `type` with `access`, or the step's uniform block). */
export function declareBinding(i: number, name: string, b: Binding['access'], type: string): string {
  return b === 'uniform'
    ? `@group(0) @binding(${i}) var<uniform> ${name} : Step;`
    : `@group(0) @binding(${i}) var<storage, ${b}> ${name} : array<${type}>;`;
}

/** A sub-range of a slice, in floats from its start (bindings of one tensor inside a flat buffer). */
export function sub(s: Slice, offsetFloats: number, floats: number): Slice {
  const offset = s.offset + offsetFloats * 4;
  const size = Math.ceil((floats * 4) / 16) * 16;
  if (offset + size > s.offset + s.size)
    throw new RangeError(`a binding of ${floats} floats at ${offsetFloats} runs past its buffer (${s.size / 4} floats)`);
  return { buffer: s.buffer, offset, size };
}

/** The entry point's built-ins for a flat grid (see gpu.ts grid1d / flatIndex). */
export const FLAT_MAIN = '@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) ngroups : vec3<u32>';

/** WGSL: `index`, the flat invocation index of a grid from grid1d with workgroups of `size`. */
export function flatIndex(size: number): string {
  return `let index = i32(gid.y * ngroups.x * ${size}u + gid.x);`;
}
