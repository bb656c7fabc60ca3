/**
 * Normalisation and augmentation on the device (CPU backend here: the ops are the same on every backend).
 * Crops are checked against an independent reflect-pad-and-slice written in plain JavaScript: every crop must equal
 * its window of the padded image exactly, so no sample falls between pixels or outside the padded image.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentBatch, CIFAR_MEAN, CIFAR_STD, CROP_PADDING, drawAugmentation, toNormalisedImages, type AugmentDraw } from './augment';
import { RECORD_PIXELS } from './data/dataset';
import { mulberry32 } from './rng';

const S = 32;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** x[n, y, x, c] of a flat NHWC array. */
const at = (v: ArrayLike<number>, n: number, y: number, x: number, c: number, C: number) => v[((n * S + y) * S + x) * C + c]!;

/** numpy-style 'reflect' (no edge repeat): index -1 -> 1, S -> S - 2. */
function reflect(i: number): number {
  if (i < 0) return -i;
  if (i >= S) return 2 * (S - 1) - i;
  return i;
}

/** The expected augmented pixel: the window of the reflect-padded image at (dy, dx), read right to left if flipped. */
function expected(src: ArrayLike<number>, n: number, draw: AugmentDraw, y: number, x: number, c: number, C: number): number {
  const xi = draw.flip[n] ? S - 1 - x : x;
  return at(src, n, reflect(y + draw.dy[n]! - CROP_PADDING), reflect(xi + draw.dx[n]! - CROP_PADDING), c, C);
}

function randomImages(n: number, c: number, seed: number): tf.Tensor4D {
  const rand = mulberry32(seed);
  return tf.tensor4d(
    Float32Array.from({ length: n * S * S * c }, () => rand() * 2 - 1),
    [n, S, S, c],
  );
}

describe('toNormalisedImages', () => {
  it('turns CHW bytes into NHWC floats, (x - mean) / std per channel', async () => {
    const n = 2;
    const pixels = new Uint8Array(n * RECORD_PIXELS);
    const rand = mulberry32(1);
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(rand() * 256);
    const t = toNormalisedImages(pixels, n);
    expect(t.shape).toEqual([n, S, S, 3]);
    const v = await t.data();
    t.dispose();
    for (const [r, y, x] of [
      [0, 0, 0],
      [1, 31, 31],
      [0, 5, 17],
      [1, 20, 3],
    ] as const) {
      for (let c = 0; c < 3; c++) {
        const byte = pixels[r * RECORD_PIXELS + c * S * S + y * S + x]!;
        expect(at(v, r, y, x, c, 3)).toBeCloseTo((byte - CIFAR_MEAN[c]!) / CIFAR_STD[c]!, 5);
      }
    }
  });
});

describe('drawAugmentation', () => {
  it('draws offsets in 0..2*pad and flip bits, reproducibly from the seed', () => {
    const a = drawAugmentation(500, 9);
    expect(drawAugmentation(500, 9)).toEqual(a);
    expect(drawAugmentation(500, 10)).not.toEqual(a);
    const offsets = [...a.dy, ...a.dx];
    expect(Math.min(...offsets)).toBe(0);
    expect(Math.max(...offsets)).toBe(2 * CROP_PADDING);
    expect(new Set(a.flip)).toEqual(new Set([0, 1]));
  });
});

describe('augmentBatch', () => {
  it('keeps the shape [n, 32, 32, c]', () => {
    const x = randomImages(3, 5, 2);
    const y = augmentBatch(x, drawAugmentation(3, 1));
    expect(y.shape).toEqual([3, S, S, 5]);
    tf.dispose([x, y]);
  });

  it('the centre crop without flip is the image itself; with flip, the image mirrored left to right', async () => {
    const x = randomImages(2, 3, 3);
    const centre = CROP_PADDING;
    const same = augmentBatch(x, { dy: Int32Array.of(centre, centre), dx: Int32Array.of(centre, centre), flip: Uint8Array.of(0, 0) });
    const flipped = augmentBatch(x, { dy: Int32Array.of(centre, centre), dx: Int32Array.of(centre, centre), flip: Uint8Array.of(1, 1) });
    const mirror = tf.reverse(x, 2);
    expect(await same.data()).toEqual(await x.data());
    expect(await flipped.data()).toEqual(await mirror.data());
    expect(await flipped.data()).not.toEqual(await x.data());
    tf.dispose([x, same, flipped, mirror]);
  });

  it('every offset and flip gives exactly its window of the reflect-padded image (crops stay in bounds)', async () => {
    // All 9 x 9 offsets, each with and without flip: 162 images in one batch.
    const dy: number[] = [];
    const dx: number[] = [];
    const flip: number[] = [];
    for (let a = 0; a <= 2 * CROP_PADDING; a++) {
      for (let b = 0; b <= 2 * CROP_PADDING; b++) {
        for (const f of [0, 1]) {
          dy.push(a);
          dx.push(b);
          flip.push(f);
        }
      }
    }
    const n = dy.length;
    const C = 2;
    const x = randomImages(n, C, 4);
    const draw: AugmentDraw = { dy: Int32Array.from(dy), dx: Int32Array.from(dx), flip: Uint8Array.from(flip) };
    const y = augmentBatch(x, draw);
    const [src, out] = await Promise.all([x.data(), y.data()]);
    tf.dispose([x, y]);
    let mismatches = 0;
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < S; r++) {
        for (let col = 0; col < S; col++) {
          for (let c = 0; c < C; c++) if (at(out, i, r, col, c, C) !== expected(src, i, draw, r, col, c, C)) mismatches++;
        }
      }
    }
    expect(mismatches).toBe(0);
  });

  it('matches tf.mirrorPad + slice for a drawn batch (the op the trainer runs)', async () => {
    const n = 16;
    const x = randomImages(n, 3, 5);
    const draw = drawAugmentation(n, 77);
    const y = augmentBatch(x, draw);
    const padded = tf.mirrorPad(
      x,
      [
        [0, 0],
        [CROP_PADDING, CROP_PADDING],
        [CROP_PADDING, CROP_PADDING],
        [0, 0],
      ],
      'reflect',
    );
    const windows = tf.concat(
      Array.from({ length: n }, (_, i) => {
        const w = tf.slice(padded, [i, draw.dy[i]!, draw.dx[i]!, 0], [1, S, S, 3]);
        return draw.flip[i] ? tf.reverse(w, 2) : w;
      }),
    );
    expect(await y.data()).toEqual(await windows.data());
    tf.dispose([x, y, padded, windows]);
  });
});
