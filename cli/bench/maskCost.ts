/** The dropout mask: what the old host-drawn one cost against ours on the device, and a checksum of its bits. */
import * as tf from '@tensorflow/tfjs';
import { applyDropout, dropoutMask } from '../../src/core/dropout';
import { median } from './stats';
import type { MaskCost } from './types';

/** The activation the mask-cost comparison drops out of: WRN-16-4's first group at batch 64 (4.2M floats). */
export const MASK_COST_SHAPE = [64, 32, 32, 64];

/**
 * Dropout on one large activation, old mask against new, each followed by a sum read back (the same for both):
 * the old way draws `tf.randomUniform` on the host and uploads it, the new one is one kernel on the device.
 * Median of three after a warm-up each.
 */
export async function maskCost(rate: number): Promise<MaskCost> {
  const x = tf.fill(MASK_COST_SHAPE, 1);
  const time = async (drop: (seed: number) => tf.Tensor): Promise<number> => {
    const ms: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = performance.now();
      const s = tf.tidy(() => tf.sum(drop(i)));
      await s.data();
      s.dispose();
      if (i > 0) ms.push(performance.now() - t);
    }
    return median(ms);
  };
  try {
    const newMs = await time((seed) => applyDropout(x, rate, seed));
    const oldMs = await time((seed) =>
      tf.mul(x, tf.cast(tf.less(tf.randomUniform(x.shape, 0, 1, 'float32', seed), 1 - rate), 'float32').mul(1 / (1 - rate))),
    );
    return { shape: MASK_COST_SHAPE, newMs, oldMs };
  } finally {
    x.dispose();
  }
}

/** FNV-1a over a fixed mask's bytes: equal strings mean bit-identical masks across backends. */
export async function maskChecksum(): Promise<string> {
  const mask = dropoutMask([2, 16, 16, 16], 0.3, 20261127);
  const bytes = new Uint8Array(((await mask.data()) as Float32Array).buffer);
  mask.dispose();
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
