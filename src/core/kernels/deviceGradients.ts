/**
 * Gradients of `Mean` and `Sum` that stay on the device.
 *
 * Why: tfjs-core 4.22's gradients for Mean and Sum multiply dy by `ones(x.shape)`, and `tf.ones` builds its tensor
 * on the host (a JavaScript typed array of x's full size) and uploads it. Batch norm in training takes the batch
 * mean and variance with `tf.moments` (two Means over [N, H, W]), so every BN layer made two activation-sized
 * host buffers and uploads per step: 15 tensors and 4.8 MB per step for WRN-10-1 at batch 8, and hundreds of MB
 * for WRN-16-4 at batch 128, in the backward pass of every backend (bench audit, BENCHMARKS.md).
 *
 * Here dy is reshaped to x's rank (reduced axes of size 1) and broadcast with `tf.broadcastTo` (the backend's Tile
 * kernel, on the device). Values are bit-identical to tfjs's: Mean divides dy by the reduced size before
 * broadcasting instead of after multiplying by ones, which is the same float operation on the same numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { replaceGradient, restoreGradient } from './registry';

/** x's shape with the reduced axes set to 1: the shape dy is reshaped to before broadcasting. */
function keptDimsShape(shape: number[], axis: tf.Attribute | undefined): { expanded: number[]; reduceSize: number } {
  const rank = shape.length;
  const raw = axis === undefined || axis === null ? shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis];
  const axes = (raw as number[]).map((a) => (a < 0 ? a + rank : a));
  const expanded = shape.slice();
  let reduceSize = 1;
  for (const a of axes) {
    reduceSize *= shape[a]!;
    expanded[a] = 1;
  }
  return { expanded, reduceSize };
}

const meanGradient: tf.GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { expanded, reduceSize } = keptDimsShape(x!.shape, attrs['axis']);
    return { x: () => tf.broadcastTo(tf.div(tf.reshape(dy as tf.Tensor, expanded), reduceSize), x!.shape) };
  },
};

const sumGradient: tf.GradConfig = {
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { expanded } = keptDimsShape(x!.shape, attrs['axis']);
    // Sum of an int tensor still has a float gradient in tfjs (its ones are float32): cast like it does.
    return { x: () => tf.broadcastTo(tf.cast(tf.reshape(dy as tf.Tensor, expanded), 'float32'), x!.shape) };
  },
};

/** Replaces tfjs's Mean and Sum gradients with device-side ones. Idempotent; ./index.ts's installKernels calls it. */
export function registerDeviceGradients(): void {
  replaceGradient(meanGradient);
  replaceGradient(sumGradient);
}

/** Puts tfjs's own Mean and Sum gradients back (for tests and the benchmark's before/after). */
export function restoreTfjsGradients(): void {
  restoreGradient('Mean');
  restoreGradient('Sum');
}
