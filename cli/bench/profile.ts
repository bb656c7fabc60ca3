/**
 * Where a training step's time goes, kernel by kernel, with `tf.profile`.
 *
 * The step mirrors the trainer's (trainer.ts `trainStep`): upload and normalise a batch, augment it, forward and
 * backward with dropout, weight decay folded into the gradients, Nesterov momentum. It runs once unprofiled (so
 * kernel/shader compilation is not counted) and once profiled. Kernel times come from GPU timestamps where the
 * backend has them (WebGPU with 'timestamp-query', WebGL with EXT_disjoint_timer_query); otherwise tfjs times each
 * kernel by reading its output back, which inflates small kernels but still ranks the big ones.
 */
import * as tf from '@tensorflow/tfjs';
import { augmentBatch, drawAugmentation, toNormalisedImages } from '../../src/core/augment';
import { RECORD_PIXELS } from '../../src/core/data/dataset';
import { buildWrn, NUM_CLASSES } from '../../src/core/model';
import { syntheticSource } from './data';
import { SMALL_OUTPUT, type KernelShare, type NetJob, type StepProfile } from './types';

/** How many kernels the report lists. */
const TOP = 12;

/** The part of KernelBackend that says whether kernel timing uses device timers. */
interface TimedBackend {
  timerAvailable(): boolean;
}

export async function profileStep(job: NetJob): Promise<StepProfile> {
  const n = job.batch;
  const model = buildWrn({ depth: job.depth, width: job.width, dropout: job.dropout }, { seed: job.seed });
  const optimizer = tf.train.momentum(0.1, 0.9, true);
  const data = syntheticSource(n, job.seed);
  const pixels = data.pixels.subarray(0, n * RECORD_PIXELS);
  const labels = Int32Array.from(data.labels);
  const vars = () => model.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = async (seed: number) => {
    const loss = tf.tidy(() => {
      const x = augmentBatch(toNormalisedImages(pixels, n), drawAugmentation(n, seed));
      const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), NUM_CLASSES);
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(oneHot, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        vars(),
      );
      optimizer.applyGradients(vars().map((v) => ({ name: v.name, tensor: tf.add(grads[v.name]!, tf.mul(v, 5e-4)) })));
      return tf.keep(value);
    });
    await loss.data();
    loss.dispose();
  };
  try {
    await step(1);
    const info = await tf.profile(() => step(2));
    type Entry = Omit<KernelShare, 'kernel' | 'share'>;
    const byKernel = new Map<string, Entry>();
    const size = (s: number[] | undefined) => (s ?? []).reduce((a, b) => a * b, 1);
    for (const k of info.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      const entry = byKernel.get(k.name) ?? { calls: 0, ms: 0, smallCalls: 0, smallMs: 0, broadcastCalls: 0, broadcastMs: 0 };
      entry.calls++;
      entry.ms += ms;
      const outputSize = Math.max(0, ...k.outputShapes.map(size));
      if (outputSize < SMALL_OUTPUT) {
        entry.smallCalls++;
        entry.smallMs += ms;
      }
      if (k.inputShapes.length > 1 && new Set(k.inputShapes.map(size)).size > 1) {
        entry.broadcastCalls++;
        entry.broadcastMs += ms;
      }
      byKernel.set(k.name, entry);
    }
    const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
    const top: KernelShare[] = [...byKernel]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, TOP)
      .map(([kernel, e]) => ({ kernel, ...e, share: total > 0 ? e.ms / total : 0 }));
    const backend = tf.getBackend();
    // Narrow cast: every KernelBackend has timerAvailable().
    const gpuTimer = (tf.backend() as unknown as TimedBackend).timerAvailable();
    const timer: StepProfile['timer'] = backend === 'cpu' || backend === 'wasm' ? 'host' : gpuTimer ? 'gpu-timestamps' : 'wall-with-sync';
    return { timer, kernels: info.kernels.length, totalKernelMs: total, top };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
