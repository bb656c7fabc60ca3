/**
 * A fast `Tile` for tfjs's WASM backend: block copies on the WASM heap instead of the shipped per-element loop.
 *
 * Why: the batch-norm gradient in tfjs-core (FusedBatchNorm_grad) tiles 1/sqrt(var + eps) from [1, 1, 1, C] up to
 * the activation's full [N, H, W, C] for every BN layer. The shipped WASM `Tile` computes an index per element and
 * took 330 ms of a 900 ms WRN-10-1 step (batch 32, one thread) here, more than all the convolutions' forward passes.
 * Tiling is pure data movement: with the output built from the innermost axis outwards, every repetition is one
 * `copyWithin` (a memmove), and repeating a block r times takes log2(r) copies by doubling.
 */
import * as tf from '@tensorflow/tfjs';
import type { Heap, WasmBackend } from './backendShapes';
import { replaceKernel, shippedKernel } from './registry';

const BACKEND = 'wasm';

/** Repeats out[start, start + len) `times` times in place, right after itself (doubling: log2(times) memmoves). */
function repeatBlock(out: Heap, start: number, len: number, times: number): void {
  let filled = len;
  const total = len * times;
  while (filled < total) {
    const chunk = Math.min(filled, total - filled);
    out.copyWithin(start + filled, start, start + chunk);
    filled += chunk;
  }
}

/**
 * Writes x tiled by reps into out. Along axis d the output is reps[d] copies of an x-sized slab, so: fill one slab
 * (recursing into the next axis for each of x's indices on this axis), then repeat it.
 */
function tileInto(
  x: Heap,
  out: Heap,
  shape: readonly number[],
  reps: readonly number[],
  xStrides: readonly number[],
  outStrides: readonly number[],
  axis: number,
  xOff: number,
  outOff: number,
): void {
  const size = shape[axis]!;
  const rep = reps[axis]!;
  if (axis === shape.length - 1) {
    out.set(x.subarray(xOff, xOff + size), outOff);
    repeatBlock(out, outOff, size, rep);
    return;
  }
  const xStride = xStrides[axis]!;
  const outStride = outStrides[axis]!;
  for (let i = 0; i < size; i++) {
    tileInto(x, out, shape, reps, xStrides, outStrides, axis + 1, xOff + i * xStride, outOff + i * outStride);
  }
  repeatBlock(out, outOff, size * outStride, rep);
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  return strides;
}

/** Tile: input x of any rank, attrs.reps (one count per axis); returns x.shape[d] * reps[d] along each axis. */
function tile(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs;
  if (!x) throw new Error('Tile needs input x');
  const reps = (args.attrs as { reps: number[] }).reps; // NamedAttrMap is untyped; tfjs-core passes TileAttrs
  const outShape = x.shape.map((s, d) => s * reps[d]!);
  // Strings live off the heap and rank 0 has no axis to copy along: leave those to the shipped kernel.
  if (x.dtype === 'string' || x.shape.length === 0) {
    const shipped = shippedKernel(tf.Tile, BACKEND);
    if (!shipped) throw new Error(`wasm Tile: no kernel for dtype ${x.dtype}, rank ${x.shape.length}`);
    return shipped(args);
  }
  // args.backend is typed `{}` by tfjs's KernelFunc; on 'wasm' it is a BackendWasm.
  const backend = args.backend as WasmBackend;
  const out = backend.makeOutput(outShape, x.dtype);
  if (outShape.some((s) => s === 0)) return out;
  // Views are taken after makeOutput, which may grow (and so detach) the heap.
  const outHeap = backend.typedArrayFromHeap(out);
  const xHeap = backend.typedArrayFromHeap(x);
  tileInto(xHeap, outHeap, x.shape, reps, stridesOf(x.shape), stridesOf(outShape), 0, 0, 0);
  return out;
}

/**
 * Replaces the WASM backend's `Tile` with the block-copy one (idempotent; ./index.ts's installKernels('wasm') calls
 * it). The shipped kernel, registered by `@tensorflow/tfjs-backend-wasm`'s import, is kept for string tensors.
 */
export function registerWasmTile(): void {
  replaceKernel(tf.Tile, BACKEND, tile);
}
