/**
 * Per-convolution statistics over training: each convolution's weight norm and the norm of its loss gradient. A
 * layer whose gradient vanishes, or whose weights stop moving, shows here first.
 */
import * as tf from '@tensorflow/tfjs';
import { forEachLayer, type WrnArchitecture } from '../shape';

/** Every convolution of the net, in the builder's order: conv1, then per block conv1, conv2 and its projection. */
export function convLayerNames(arch: WrnArchitecture): string[] {
  const names: string[] = [];
  forEachLayer(arch, { conv: (c) => names.push(c.name) });
  return names;
}

/** The kernel variable of each named convolution of a model. */
export function convKernels(model: tf.LayersModel, names: readonly string[]): tf.Variable[] {
  return names.map((n) => model.getLayer(n).weights[0]!.read() as tf.Variable);
}

/**
 * The Frobenius (L2) norm of each tensor, as one [n] tensor (one read-back for all). The squares are summed per
 * output channel first, then over the channels: float32 sums of a few thousand terms each, not one of tens of
 * thousands (the norm then agrees with a float64 one to about 1e-6 of its size).
 */
export function norms(tensors: readonly tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(
    () =>
      tf.stack(
        tensors.map((t) => {
          const squares = tf.square(t.rank > 1 ? t.reshape([-1, t.shape.at(-1)!]) : t);
          return tf.sqrt(tf.sum(t.rank > 1 ? tf.sum(squares, 0) : squares));
        }),
      ) as tf.Tensor1D,
  );
}
