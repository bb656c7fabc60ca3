/**
 * Dropout between the two convolutions of a WRN block (paper Fig. 1d), seeded and reproducible.
 *
 * Inverted dropout: in training each value is kept with probability 1 - rate and scaled by 1 / (1 - rate);
 * at inference the layer is the identity. Each call draws a fresh mask from (seed, call counter), so the same
 * seed gives the same sequence of masks.
 *
 * The mask is never drawn on the host: `tf.dropout` / `tf.randomUniform` fill a CPU buffer in a JavaScript loop and
 * upload it every step. Here one `WrnDropout` kernel per backend computes a counter-based hash of (element index,
 * seed) where the data lives and applies the mask in the same pass (kernels/dropoutKernels.ts, dropoutHash.ts), so
 * the same seed gives the same mask on every backend, and the backward pass recomputes the mask instead of storing it.
 */
import * as tf from '@tensorflow/tfjs';
import { dropoutInto, dropoutKeys } from './dropoutHash';
import { DROPOUT_KERNEL, type DropoutAttrs } from './kernels/dropoutKernels';

// The `WrnDropout` kernels are installed with the backend (kernels/index.ts's installKernels, from backend.ts).

/**
 * x with each element kept with probability 1 - rate (scaled by 1 / (1 - rate)) or zeroed, from `seed`.
 * Differentiable: the gradient passes through the same mask. rate 0 returns x itself.
 */
export function applyDropout<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  if (rate === 0) return x;
  const attrs: DropoutAttrs = { ...dropoutKeys(seed, rate) };
  if (tf.getKernel(DROPOUT_KERNEL, tf.getBackend())) {
    return tf.engine().runKernel(DROPOUT_KERNEL, { x }, attrs) as T;
  }
  // A backend without the kernel (e.g. tfjs-node): the same mask, made on the host and uploaded.
  return tf.tidy(() => tf.mul(x, hostMask(x.shape, attrs)) as T);
}

/** The same mask as a constant tensor, made on the host (the fallback path; also what tests compare against). */
function hostMask(shape: number[], keys: DropoutAttrs): tf.Tensor {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1);
  dropoutInto(out, out, keys);
  return tf.tensor(out, shape, 'float32');
}

/** A {0, 1/(1-rate)} mask of the given shape, from a seed: the mask `applyDropout` multiplies by. */
export function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor {
  // tf.fill runs the backend's Fill kernel; tf.ones would build the array on the host and upload it.
  if (rate === 0) return tf.fill(shape, 1);
  return tf.tidy(() => applyDropout(tf.fill(shape, 1), rate, seed));
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

  /**
   * Masks drawn so far: the layer's only state besides its seed. A checkpoint saves it and a resumed run sets it
   * back, so that the steps after a resume draw the masks an uninterrupted run would have drawn.
   */
  get masksDrawn(): number {
    return this.calls;
  }

  set masksDrawn(n: number) {
    if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`masksDrawn must be a whole number >= 0; got ${n}`);
    this.calls = n;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (!kwargs.training || this.rate === 0) return x;
    return applyDropout(x, this.rate, this.seed * 1_000_003 + this.calls++);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(BlockDropout);
