/**
 * A whole WRN's gradients with our WebGPU kernels against tfjs's own kernels: the same net, batch and labels through
 * one training-mode forward and backward pass each way. Shared by the Node test (webgpuTraining.test.ts) and the
 * Chromium test (e2e/kernels.spec.ts), which assert on what it returns.
 */
import * as tf from '@tensorflow/tfjs';
import { buildWrn, NUM_CLASSES } from '../../model';
import type { KernelChoice } from './install';
import { relError, withKernels } from './kernelCases';

/** Runs f with one set of kernels installed (withKernels; a caller may wrap it, e.g. to count each pass's dispatches). */
export type KernelRunner = <T>(choice: KernelChoice, f: () => T) => T;

export interface GradientComparison {
  /** e.g. "WRN-10-1, batch 3" */
  label: string;
  /** the softmax cross-entropy of the batch, ours and tfjs's */
  lossOurs: number;
  lossTfjs: number;
  /** relative error (max |ours - theirs| / max |theirs|) of each trainable weight's gradient, by weight name */
  errors: Record<string, number>;
  /** the largest of them */
  worst: number;
}

/**
 * Builds WRN-depth-width (seeded, no dropout) on the current backend and compares its weight gradients on a seeded
 * random batch; frees everything it made.
 */
export async function compareWrnGradients(
  depth: number,
  width: number,
  batch: number,
  { seed = 3, runWith = withKernels }: { seed?: number; runWith?: KernelRunner } = {},
): Promise<GradientComparison> {
  const model = buildWrn({ depth, width, dropout: 0 }, { seed });
  const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', seed + 2);
  const classes = Array.from({ length: batch }, (_, i) => (i * 7 + 1) % NUM_CLASSES);
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(classes, 'int32'), NUM_CLASSES));
  const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const gradsNow = () =>
    tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, weights);
  // the running statistics move in each training-mode call: save and restore them so both passes see the same
  const stats = model.weights.filter((w) => !w.trainable);
  const saved = stats.map((w) => w.read().clone());
  const ours = runWith('ours', gradsNow);
  stats.forEach((w, i) => w.write(saved[i]!)); // shares the saved buffers, freed below: the variables keep them alive
  const theirs = runWith('tfjs', gradsNow);
  try {
    const errors: Record<string, number> = {};
    for (const w of weights) {
      const [a, b] = [ours.grads[w.name], theirs.grads[w.name]];
      if (!a || !b) throw new Error(`no gradient for ${w.name}`);
      errors[w.name] = await relError(a, b);
    }
    return {
      label: `WRN-${depth}-${width}, batch ${batch}`,
      lossOurs: (await ours.value.data())[0]!,
      lossTfjs: (await theirs.value.data())[0]!,
      errors,
      worst: Math.max(...Object.values(errors)),
    };
  } finally {
    tf.dispose([x, labels, ours.value, theirs.value, ...Object.values(ours.grads), ...Object.values(theirs.grads), ...saved]);
    model.dispose();
  }
}
