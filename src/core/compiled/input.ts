/**
 * The batch's input on the device, from the uint8 records as the file has them (each image CHW, 3072 bytes) to the
 * normalised NHWC floats the stem reads: (x - mean) / std per channel, and in training the random crop of the
 * 4-pixel reflect-padded image and the horizontal flip, with the offsets and flip bits the host drew from the
 * step's seed (augment.ts's drawAugmentation: the same choices as the tfjs path's `augmentBatch`).
 *
 * The batch buffer holds u32 words: labels [batch], crop rows [batch], crop columns [batch], flips [batch], then the
 * records' bytes, four to a word.
 */
import { CIFAR_MEAN, CIFAR_STD, CROP_PADDING } from '../augment';
import { IMAGE_SIZE } from '../shape';
import type { Kernel, Slice } from './gpu';
import { grid1d } from './gpu';
import { f32, FLAT_MAIN, flatIndex } from './wgsl';

/** Word offsets of a batch buffer's parts (see the file comment), and its size in words. */
export function batchLayout(batch: number): { labels: number; dy: number; dx: number; flip: number; pixels: number; words: number } {
  const pixels = Math.ceil((4 * batch) / 64) * 64; // the records start on a 256-byte boundary
  return { labels: 0, dy: batch, dx: 2 * batch, flip: 3 * batch, pixels, words: pixels + (batch * 3 * IMAGE_SIZE * IMAGE_SIZE) / 4 };
}

const WG = 64;

/**
 * One invocation per output pixel (3 channels). `augment`: crop and flip (training with augmentation); otherwise the
 * image as it is.
 */
export function inputKernel(label: string, batch: number, augment: boolean, io: { batch: Slice; out: Slice }): Kernel {
  const S = IMAGE_SIZE;
  const P = CROP_PADDING;
  const L = batchLayout(batch);
  const n = batch * S * S;
  const source = augment
    ? `let flip = words[${L.flip} + b] != 0u;
  let py = y + i32(words[${L.dy} + b]) - ${P};
  let px = select(x, ${S - 1} - x, flip) + i32(words[${L.dx} + b]) - ${P};
  let sy = reflect(py);
  let sx = reflect(px);`
    : 'let sy = y; let sx = x;';
  const code = /* wgsl */ `// input: ${batch} images${augment ? ', crop + flip' : ''}
@group(0) @binding(0) var<storage, read> words : array<u32>;
@group(0) @binding(1) var<storage, read_write> out : array<f32>;
// reflect padding (the edge pixel is not repeated): -1 -> 1, S -> S - 2
fn reflect(i : i32) -> i32 { return select(select(i, ${2 * (S - 1)} - i, i > ${S - 1}), -i, i < 0); }
fn byteAt(i : i32) -> f32 { return f32((words[${L.pixels} + i / 4] >> (8u * u32(i % 4))) & 255u); }
@compute @workgroup_size(${WG})
fn main(${FLAT_MAIN}) {
  ${flatIndex(WG)}
  if (index >= ${n}) { return; }
  let x = index % ${S};
  let y = (index / ${S}) % ${S};
  let b = index / ${S * S};
  ${source}
  let src = b * ${3 * S * S} + sy * ${S} + sx;
  out[3 * index] = (byteAt(src) - ${f32(CIFAR_MEAN[0])}) / ${f32(CIFAR_STD[0])};
  out[3 * index + 1] = (byteAt(src + ${S * S}) - ${f32(CIFAR_MEAN[1])}) / ${f32(CIFAR_STD[1])};
  out[3 * index + 2] = (byteAt(src + ${2 * S * S}) - ${f32(CIFAR_MEAN[2])}) / ${f32(CIFAR_STD[2])};
}
`;
  return {
    kind: 'input',
    label,
    code,
    bindings: [
      { slice: io.batch, access: 'read' },
      { slice: io.out, access: 'read_write' },
    ],
    workgroups: grid1d(n, WG),
  };
}
