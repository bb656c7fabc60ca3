/**
 * Turning raw CIFAR records into a normalised, augmented batch, on the device.
 *
 * The host only uploads the bytes and draws 3 numbers per image (crop offsets and a flip bit, seeded); every
 * per-pixel operation (layout change, normalisation, reflect padding, crop, flip) is a tfjs op.
 */
import * as tf from '@tensorflow/tfjs';
import { RECORD_PIXELS } from './data/dataset';
import { mulberry32 } from './rng';

/** Per-channel mean and std on the 0-255 scale (reference code). */
export const CIFAR_MEAN = [125.3, 123.0, 113.9] as const;
export const CIFAR_STD = [63.0, 62.1, 66.7] as const;
/** Pixels of reflect padding before the random 32x32 crop (paper: 4). */
export const CROP_PADDING = 4;

/**
 * Uploads records and normalises them.
 * @param pixels [n * 3072] uint8, each record CHW (R plane, G plane, B plane) as in the file
 * @returns [n, 32, 32, 3] float32 NHWC, (x - mean) / std per channel
 */
export function toNormalisedImages(pixels: Uint8Array, n: number): tf.Tensor4D {
  const floats = new Float32Array(n * RECORD_PIXELS);
  floats.set(pixels.subarray(0, n * RECORD_PIXELS)); // uint8 -> float32 widening copy
  return tf.tidy(() => {
    const chw = tf.tensor4d(floats, [n, 3, 32, 32]);
    const nhwc = tf.transpose(chw, [0, 2, 3, 1]);
    return tf.div(tf.sub(nhwc, tf.tensor1d(CIFAR_MEAN as unknown as number[])), tf.tensor1d(CIFAR_STD as unknown as number[])) as tf.Tensor4D;
  });
}

/** Crop offsets (0..2*pad each) and flip bits for a batch, from a seed. */
export interface AugmentDraw {
  dy: Int32Array;
  dx: Int32Array;
  flip: Uint8Array;
}

export function drawAugmentation(n: number, seed: number, pad = CROP_PADDING): AugmentDraw {
  const rand = mulberry32(seed);
  const draw: AugmentDraw = { dy: new Int32Array(n), dx: new Int32Array(n), flip: new Uint8Array(n) };
  for (let i = 0; i < n; i++) {
    draw.dy[i] = Math.floor(rand() * (2 * pad + 1));
    draw.dx[i] = Math.floor(rand() * (2 * pad + 1));
    draw.flip[i] = rand() < 0.5 ? 1 : 0;
  }
  return draw;
}

/**
 * Random crop of the reflect-padded image plus horizontal flip, in one `cropAndResize` with nearest sampling:
 * a box whose x1 > x2 samples right to left, which is the flip. Box coordinates are chosen so that the samples
 * land exactly on pixel centres, so the crop is exact (no interpolation).
 * @param x [n, 32, 32, c]
 * @returns [n, 32, 32, c]
 */
export function augmentBatch(x: tf.Tensor4D, draw: AugmentDraw, pad = CROP_PADDING): tf.Tensor4D {
  const [n, h, w] = x.shape;
  return tf.tidy(() => {
    const padded = tf.mirrorPad(
      x,
      [
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ],
      'reflect',
    );
    const ph = h + 2 * pad - 1; // normalised coordinates divide by (size - 1)
    const pw = w + 2 * pad - 1;
    const boxes = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) {
      const y0 = draw.dy[i]!;
      const x0 = draw.dx[i]!;
      const [xa, xb] = draw.flip[i] ? [x0 + w - 1, x0] : [x0, x0 + w - 1];
      boxes.set([y0 / ph, xa / pw, (y0 + h - 1) / ph, xb / pw], i * 4);
    }
    const boxInd = tf.range(0, n, 1, 'int32') as tf.Tensor1D;
    return tf.image.cropAndResize(padded, tf.tensor2d(boxes, [n, 4]), boxInd, [h, w], 'nearest');
  });
}
