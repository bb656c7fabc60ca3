/**
 * Dropout between the two convolutions of a WRN block (paper Fig. 1d), seeded and reproducible.
 *
 * Inverted dropout: in training each value is kept with probability 1 - rate and scaled by 1 / (1 - rate);
 * at inference the layer is the identity. Each call draws a fresh mask from (seed, call counter), so the same
 * seed gives the same sequence of masks.
 */
import * as tf from '@tensorflow/tfjs';

/** A {0, 1/(1-rate)} mask of the given shape, from a seed. */
export function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor {
  return tf.tidy(() => {
    const keep = 1 - rate;
    const u = tf.randomUniform(shape, 0, 1, 'float32', seed);
    return tf.cast(tf.less(u, keep), 'float32').mul(1 / keep);
  });
}

export interface BlockDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
}

export class BlockDropout extends tf.layers.Layer {
  static className = 'WrnBlockDropout';
  readonly rate: number;
  readonly seed: number;
  /** how many masks this layer has drawn; part of each mask's seed */
  private calls = 0;

  constructor(args: BlockDropoutArgs) {
    super(args.name === undefined ? {} : { name: args.name });
    this.rate = args.rate;
    this.seed = args.seed;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (!kwargs.training || this.rate === 0) return x;
    const mask = dropoutMask(x.shape, this.rate, this.seed * 1_000_003 + this.calls++);
    return tf.mul(x, mask);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(BlockDropout);
