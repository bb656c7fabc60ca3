/**
 * Where a training step's time goes, kernel by kernel, with `tf.profile`.
 *
 * The step is the app's own: src/core/trainer.ts's, run through `Trainer.advance` with a metrics window of 1, so it
 * includes the batch's upload, normalisation and augmentation, forward and backward with dropout, weight decay and
 * the optimizer (on WebGPU with our kernels, the fused momentum kernel), and the read-back of loss and accuracy.
 * Steps 1 and 2 run unprofiled (kernel/shader compilation, the optimizer's state), step 3 is profiled. On WebGPU the
 * kernel set is the one asked for (ours or tfjs's), and the one installed before is put back after.
 *
 * Kernel times come from GPU timestamps where the backend has them (WebGPU with 'timestamp-query', WebGL with
 * EXT_disjoint_timer_query); WebGL without them times each kernel by reading its output back, which inflates small
 * kernels but still ranks the big ones. WebGPU without timestamp-query has no per-kernel time at all (tfjs reports
 * 0 for every kernel): the profile then says 'unavailable' and keeps only the calls.
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, type Config, type KernelChoice } from '../../src/core/config';
import { withWebGpuKernels } from '../../src/core/kernels/webgpu/install';
import { Trainer } from '../../src/core/trainer';
import { syntheticSource } from './data';
import { SMALL_OUTPUT, type KernelShare, type NetJob, type StepProfile } from './types';

/** How many kernels a profile keeps (the report lists the first 12). */
const TOP = 24;

/** The part of KernelBackend that says whether kernel timing uses device timers. */
interface TimedBackend {
  timerAvailable(): boolean;
  /** tfjs-webgpu: whether the device has 'timestamp-query' (without it, every kernel time is 0) */
  supportTimestampQuery?: boolean;
}

/** How the current backend's kernel times in tf.profile are taken. */
export function profileTimer(): StepProfile['timer'] {
  const backend = tf.getBackend();
  if (backend === 'cpu' || backend === 'wasm') return 'host';
  // Narrow cast: every KernelBackend has timerAvailable(); tfjs-webgpu's says true even without timestamps.
  const b = tf.backend() as unknown as TimedBackend;
  if (backend === 'webgpu') return b.supportTimestampQuery === true ? 'gpu-timestamps' : 'unavailable';
  return b.timerAvailable() ? 'gpu-timestamps' : 'wall-with-sync';
}

/** The profiled kernels, summed per kernel name, largest first (pure). */
export function shareByKernel(kernels: readonly { name: string; kernelTimeMs: unknown; inputShapes: number[][]; outputShapes: number[][] }[]): {
  total: number;
  top: KernelShare[];
} {
  type Entry = Omit<KernelShare, 'kernel' | 'share'>;
  const byKernel = new Map<string, Entry>();
  const size = (s: number[] | undefined) => (s ?? []).reduce((a, b) => a * b, 1);
  for (const k of kernels) {
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
    .sort((a, b) => b[1].ms - a[1].ms || b[1].calls - a[1].calls)
    .slice(0, TOP)
    .map(([kernel, e]) => ({ kernel, ...e, share: total > 0 ? e.ms / total : 0 }));
  return { total, top };
}

/** Profiles step 3 of the app's trainer on this job's net and batch; on WebGPU with the given kernel set. */
export async function profileStep(job: NetJob, kernels?: KernelChoice): Promise<StepProfile> {
  const steps = 10; // no evaluation before step 10 (one epoch of 10 steps), and the profiled step is 3
  const config: Config = {
    ...DEFAULT_CONFIG,
    depth: job.depth,
    width: job.width,
    dropout: job.dropout,
    batch: job.batch,
    epochs: 1,
    train: job.batch * steps,
    test: job.batch,
    evalEvery: 0,
    seed: job.seed,
    ...(kernels ? { kernels } : {}),
  };
  const data = syntheticSource(config.train, job.seed);
  const profile = async (): Promise<StepProfile> => {
    const trainer = new Trainer({ config, train: data, test: data, maxSteps: steps, readEvery: 1 });
    try {
      trainer.begin();
      await trainer.advance(2);
      const info = await tf.profile(async () => {
        await trainer.advance(1);
      });
      const { total, top } = shareByKernel(info.kernels);
      return { timer: profileTimer(), ...(kernels ? { kernelSet: kernels } : {}), kernels: info.kernels.length, totalKernelMs: total, top };
    } finally {
      trainer.dispose();
    }
  };
  // Installed before the trainer is made: it picks its optimizer from what is installed.
  return kernels ? withWebGpuKernels(kernels, profile) : profile();
}
