/** The input pipeline alone (gather, upload, normalise, augment), as the trainer runs it per step. */
import * as tf from '@tensorflow/tfjs';
import { augmentBatch, drawAugmentation, toNormalisedImages } from '../../src/core/augment';
import { RECORD_PIXELS } from '../../src/core/data/dataset';
import { mulberry32 } from '../../src/core/rng';
import { syntheticSource } from './data';
import type { NetJob, PipelineTiming } from './types';

/** The input pipeline alone, as the trainer runs it per step, for `batches` batches. */
export async function timePipeline(job: NetJob, trainerImagesPerSec: number): Promise<PipelineTiming> {
  const n = job.batch;
  const data = syntheticSource(Math.max(n * 4, 64), job.seed);
  const rand = mulberry32(job.seed + 1);
  const idx = new Int32Array(n);
  const pixels = new Uint8Array(n * RECORD_PIXELS);
  const labels = new Int32Array(n);
  const hostBatch = (b: number) => {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rand() * data.available());
    data.gather(idx, pixels, labels);
    return drawAugmentation(n, b);
  };
  const deviceBatch = (b: number) => augmentBatch(toNormalisedImages(pixels, n), hostBatch(b));
  // Warm-up: compiles the pipeline's kernels once.
  const warm = tf.tidy(() => deviceBatch(0));
  await warm.data();
  warm.dispose();

  let t = performance.now();
  for (let b = 0; b < job.pipelineBatches; b++) hostBatch(b);
  const hostMs = performance.now() - t;

  t = performance.now();
  let last: tf.Tensor | null = null;
  for (let b = 0; b < job.pipelineBatches; b++) {
    last?.dispose();
    last = tf.tidy(() => deviceBatch(b));
  }
  // One read-back at the end: the device runs batches in order, so this waits for all of them.
  await last!.data();
  last!.dispose();
  const ms = performance.now() - t;
  const imagesPerSec = (job.pipelineBatches * n * 1000) / ms;
  return {
    hostImagesPerSec: (job.pipelineBatches * n * 1000) / Math.max(hostMs, 1e-3),
    imagesPerSec,
    headroom: imagesPerSec / trainerImagesPerSec,
  };
}
