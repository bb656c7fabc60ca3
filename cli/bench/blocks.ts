/**
 * What the `blocks` points cost (src/core/insight): at each evaluation the probe images' chunks run block by block
 * with each block's ||F(x)|| / ||s(x)|| computed alongside, the convolutions' weight norms are read back, and the
 * step before computes its gradients' norms. Each part is timed against the same work without it, interleaved
 * (median of a few rounds), and set against one epoch at the app's default evaluation interval (an evaluation per
 * epoch of the default config's training images, over its test images).
 */
import * as tf from '@tensorflow/tfjs';
import { toNormalisedImages } from '../../src/core/augment';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { RECORD_PIXELS } from '../../src/core/data/dataset';
import { forwardWithRatios } from '../../src/core/insight/forward';
import { convKernels, convLayerNames, norms } from '../../src/core/insight/layerStats';
import { buildWrn, NUM_CLASSES } from '../../src/core/model';
import { mulberry32 } from '../../src/core/rng';
import { wrnArchitecture } from '../../src/core/shape';
import { median } from './stats';
import type { BlocksOverhead, NetJob } from './types';

const ROUNDS = 5;

/** @param trainerStepMs the trainer's median step at the job's batch (measured beside it) */
export async function measureBlocksOverhead(job: NetJob, trainerStepMs: number): Promise<BlocksOverhead> {
  const m = { depth: job.depth, width: job.width, dropout: 0 };
  const model = buildWrn(m, { seed: job.seed });
  const arch = wrnArchitecture(m);
  const kernels = convKernels(model, convLayerNames(arch));
  const probe = DEFAULT_CONFIG.probe;
  const chunk = Math.max(DEFAULT_CONFIG.batch, 100); // the trainer's evaluation chunk at the default batch
  const rand = mulberry32(job.seed);
  const pixels = Uint8Array.from({ length: probe * RECORD_PIXELS }, () => Math.floor(rand() * 256));
  try {
    /** One pass over the probe images as the evaluation runs it, with or without the ratios; ms. */
    const pass = async (ratios: boolean): Promise<number> => {
      const t = performance.now();
      const parts: tf.Tensor[] = [];
      for (let start = 0; start < probe; start += chunk) {
        const n = Math.min(chunk, probe - start);
        parts.push(
          tf.tidy(() => {
            const x = toNormalisedImages(pixels.subarray(start * RECORD_PIXELS), n);
            if (!ratios) return tf.argMax(model.apply(x, { training: false }) as tf.Tensor, 1);
            const out = forwardWithRatios(model, arch, x);
            return tf.concat([tf.cast(tf.argMax(out.logits, 1), 'float32'), tf.sum(out.ratios, 1)]);
          }),
        );
      }
      await Promise.all(parts.map((p) => p.data()));
      tf.dispose(parts);
      return performance.now() - t;
    };
    const weightNorms = async (): Promise<number> => {
      const t = performance.now();
      const w = norms(kernels);
      await w.data();
      w.dispose();
      return performance.now() - t;
    };
    // The gradient norms: one backward pass's conv gradients, normed (the step computes these only before an evaluation).
    const grads = tf.tidy(() => {
      const x = toNormalisedImages(pixels, Math.min(job.batch, probe));
      const y = tf.oneHot(tf.zeros([Math.min(job.batch, probe)], 'int32') as tf.Tensor1D, NUM_CLASSES);
      const { grads: g } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, kernels);
      return kernels.map((k) => g[k.name]!);
    });
    const gradNorms = async (): Promise<number> => {
      const t = performance.now();
      const g = norms(grads);
      await g.data();
      g.dispose();
      return performance.now() - t;
    };
    await pass(false);
    await pass(true); // warm-up: kernels compiled for both
    const plain: number[] = [];
    const withRatios: number[] = [];
    const weights: number[] = [];
    const gradients: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      plain.push(await pass(false));
      withRatios.push(await pass(true));
      weights.push(await weightNorms());
      gradients.push(await gradNorms());
    }
    tf.dispose(grads);
    const c = DEFAULT_CONFIG;
    const forwardMsPerImage = median(plain) / probe;
    const extraMsPerEval = Math.max(0, median(withRatios) - median(plain)) + median(weights) + median(gradients);
    const stepsPerEpoch = Math.floor(c.train / job.batch);
    const epochMs = stepsPerEpoch * trainerStepMs + c.test * forwardMsPerImage;
    // The least an epoch can take: its training images at 3 forward passes each (forward + backward), at the
    // evaluation's per-image forward speed (a large batch's), plus the evaluation.
    const leanEpochMs = (3 * c.train + c.test) * forwardMsPerImage;
    return {
      probeImages: probe,
      chunk,
      trainImages: c.train,
      testImages: c.test,
      forwardMs: median(plain),
      forwardWithRatiosMs: median(withRatios),
      weightNormsMs: median(weights),
      gradNormsMs: median(gradients),
      extraMsPerEval,
      epochMs,
      overhead: extraMsPerEval / epochMs,
      leanEpochMs,
      leanOverhead: extraMsPerEval / leanEpochMs,
    };
  } finally {
    model.dispose();
  }
}
