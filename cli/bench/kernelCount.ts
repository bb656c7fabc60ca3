/**
 * Compute dispatches of one training step, counted at WebGPU's `dispatchWorkgroups` (and queue submits), for the
 * app's trainer on the current backend (which must be webgpu). Load-independent: a count, not a time, so it is
 * valid on a loaded machine and on SwiftShader.
 *
 * One step as the app runs it with a metrics window of 1: upload and augment the batch, forward, backward, weight
 * decay and the optimizer, then the read-back of loss and accuracy (a stack of two scalars). Step 1 compiles and
 * creates the optimizer's state; the count is of step 3 (step 2 is the first steady one, kept as a check that
 * steps agree).
 */
import { DEFAULT_CONFIG, type Config, type KernelChoice } from '../../src/core/config';
import { Trainer } from '../../src/core/trainer';
import { countDispatches, diffCounts, type DispatchCounts } from '../../src/core/kernels/webgpu/dispatchCount';
import { withWebGpuKernels } from '../../src/core/kernels/webgpu/install';
import { syntheticSource } from './data';
import type { KernelsPerStep, NetJob } from './types';

export interface StepDispatches extends DispatchCounts {
  /** true when steps 2 and 3 made the same number of dispatches (they should: a step is a fixed graph) */
  steady: boolean;
}

/** Counts with `kernels` installed (the set installed before is put back after). */
export async function countStepDispatches(net: { depth: number; width: number }, batch: number, kernels: KernelChoice, seed = 0): Promise<StepDispatches> {
  const config: Config = {
    ...DEFAULT_CONFIG,
    depth: net.depth,
    width: net.width,
    dropout: 0,
    batch,
    epochs: 1,
    train: batch * 4,
    test: batch,
    evalEvery: 0,
    seed,
    kernels,
  };
  const data = syntheticSource(config.train, seed);
  const marks: DispatchCounts[] = [];
  // Installed before the trainer is made: it picks its optimizer from what is installed.
  await withWebGpuKernels(kernels, async () => {
    const counter = countDispatches();
    const trainer = new Trainer({
      config,
      train: data,
      test: data,
      maxSteps: 3,
      readEvery: 1,
      onMetrics: (points) => {
        if (points.some((p) => p.kind === 'step')) marks.push(counter.snapshot());
      },
    });
    try {
      await trainer.run();
    } finally {
      counter.stop();
      trainer.dispose();
    }
  });
  if (marks.length < 3) throw new Error(`expected 3 step read-backs, saw ${marks.length}`);
  const step2 = diffCounts(marks[0]!, marks[1]!);
  const step3 = diffCounts(marks[1]!, marks[2]!);
  return { ...step3, steady: step2.dispatches === step3.dispatches };
}

/** One trainer step's dispatches with our kernels and with tfjs's (3 steps each); the installed set stays. */
export async function countKernels(job: NetJob): Promise<KernelsPerStep> {
  const net = { depth: job.depth, width: job.width };
  const ours = await countStepDispatches(net, job.batch, 'ours', job.seed);
  const tfjs = await countStepDispatches(net, job.batch, 'tfjs', job.seed);
  const strip = ({ dispatches, submits, byProgram }: typeof ours) => ({ dispatches, submits, byProgram });
  return { batch: job.batch, ours: strip(ours), tfjs: strip(tfjs) };
}
