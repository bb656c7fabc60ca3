/**
 * What a net sees in one image: the activations after each of the three groups (the group's output after batch
 * norm and ReLU), reduced to the channels that respond most, as small grayscale maps.
 */
import * as tf from '@tensorflow/tfjs';
import { toNormalisedImages } from '../augment';
import { RECORD_PIXELS } from '../data/dataset';
import { architectureOf, wrnForward } from './forward';

/** One group's most active channels for one image. */
export interface GroupFeatures {
  /** 1, 2 or 3 */
  group: number;
  /** the maps' side in pixels: 32, 16, 8 */
  size: number;
  /** channels the group has (16k, 32k, 64k) */
  channels: number;
  /** the most active channels, most active first */
  maps: {
    channel: number;
    /** the channel's mean activation over the map */
    mean: number;
    /** size * size activations (>= 0, after ReLU), row-major */
    values: Float32Array;
  }[];
  /** the largest activation among `maps`: one scale for the group's tiles */
  max: number;
}

export const FEATURE_CHANNELS = 16;

/**
 * The `channels` most active channels (by mean activation) after each group, for one image given as a CIFAR record's
 * 3072 pixel bytes (CHW planes).
 */
export async function featureMaps(model: tf.LayersModel, pixels: Uint8Array, channels = FEATURE_CHANNELS): Promise<GroupFeatures[]> {
  if (pixels.length < RECORD_PIXELS) throw new RangeError(`an image is ${RECORD_PIXELS} bytes; got ${pixels.length}`);
  const arch = architectureOf(model);
  const picked = tf.tidy(() => {
    const out: { group: number; size: number; channels: number; means: tf.Tensor1D; maps: tf.Tensor2D; order: tf.Tensor1D }[] = [];
    wrnForward(model, arch, toNormalisedImages(pixels, 1), {
      onGroup: (group, a) => {
        const [, size, , c] = a.shape;
        const picked = tf.tidy(() => {
          const top = tf.topk(tf.mean(a, [0, 1, 2]) as tf.Tensor1D, Math.min(channels, c));
          // [k, size*size]: the picked channels' maps
          const maps = tf.gather(tf.transpose(tf.reshape(a, [size * size, c])), top.indices) as tf.Tensor2D;
          return { means: top.values as tf.Tensor1D, maps, order: top.indices as tf.Tensor1D };
        });
        out.push({ group, size, channels: c, means: tf.keep(picked.means), maps: tf.keep(picked.maps), order: tf.keep(picked.order) });
      },
    });
    return out;
  });
  try {
    return await Promise.all(
      picked.map(async (p): Promise<GroupFeatures> => {
        const [means, maps, order] = await Promise.all([p.means.data(), p.maps.data(), p.order.data()]);
        const n = p.size * p.size;
        const tiles = Array.from(order, (channel, i) => ({
          channel,
          mean: means[i]!,
          values: Float32Array.from(maps.subarray(i * n, (i + 1) * n)),
        }));
        let max = 0;
        for (const v of maps) if (v > max) max = v;
        return { group: p.group, size: p.size, channels: p.channels, maps: tiles, max };
      }),
    );
  } finally {
    for (const p of picked) tf.dispose([p.means, p.maps, p.order]);
  }
}
