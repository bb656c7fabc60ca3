/**
 * The compared training loops of a benchmark job: the app's trainer (with or without dropout, the recipe's optimizer
 * or plain SGD, the old host-drawn dropout mask, our WebGPU kernels or tfjs's) against a bare `model.trainOnBatch`
 * loop. They run interleaved, one metrics window each in turn (see baton.ts): first each loop's cold first step,
 * then their steady-state windows round-robin. Step times are medians over windows, so a burst of load from
 * elsewhere on a shared machine skews all loops alike instead of one.
 */
import * as tf from '@tensorflow/tfjs';
import { toNormalisedImages } from '../../src/core/augment';
import { DEFAULT_CONFIG, type Config } from '../../src/core/config';
import { BlockDropout } from '../../src/core/dropout';
import { messageOf } from '../../src/core/errors';
import { buildWrn, NUM_CLASSES } from '../../src/core/model';
import { Trainer } from '../../src/core/trainer';
import { installWebGpuKernels, type KernelChoice } from '../../src/core/kernels/webgpu/install';
import { auditBackend, type AuditCounts, type BackendAudit } from './audit';
import { Baton } from './baton';
import { syntheticSource } from './data';
import { mean, median } from './stats';
import type { LoopTiming, NetJob, NetResult, StepAudit } from './types';

/** What one compared loop collects. */
interface LoopRecord {
  firstStepMs: number;
  /** mean step time of each steady-state window */
  windowStepMs: number[];
  steps: number;
}

function timing(r: LoopRecord, batch: number): LoopTiming {
  if (process.env['BENCH_DEBUG']) console.error('windows', r.windowStepMs.map((x) => x.toFixed(0)).join(' '));
  const stepMs = median(r.windowStepMs);
  return {
    firstStepMs: r.firstStepMs,
    stepMs,
    meanStepMs: mean(r.windowStepMs),
    imagesPerSec: (batch * 1000) / stepMs,
    steps: r.steps,
    windows: r.windowStepMs.length,
  };
}

/**
 * The bare loop's optimizer in the trainer: SGD without momentum or weight decay. Trainer-with-this against the bare
 * loop isolates what the trainer adds around the model (input upload, normalisation, augmentation, metrics) from
 * what the paper's recipe adds (Nesterov momentum and weight decay: several more ops per weight tensor per step).
 */
const PLAIN_SGD: Partial<Config> = { momentum: 0, nesterov: false, wd: 0 };

/** The recipe the app trains with, sized to `steps + 1` steps of one epoch. */
function benchConfig(job: NetJob, dropout: number): Config {
  return {
    ...DEFAULT_CONFIG,
    depth: job.depth,
    width: job.width,
    dropout,
    batch: job.batch,
    epochs: 1,
    train: job.batch * (job.steps + 1),
    // One evaluation batch at the end (the trainer always evaluates at its last step); it is not timed.
    test: job.batch,
    evalEvery: 0,
    seed: job.seed,
  };
}

/**
 * The dropout layer as it was before the GPU-side mask: `tf.randomUniform` (a JavaScript loop filling a host buffer)
 * uploaded every step. Set on one model's layers only (an instance property shadows BlockDropout.prototype.call).
 */
function swapInLegacyDropout(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    if (!(layer instanceof BlockDropout)) continue;
    layer.call = (inputs, kwargs) => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (!kwargs['training']) return x;
      return tf.tidy(() => {
        const keep = 1 - layer.rate;
        const mask = tf.cast(tf.less(tf.randomUniform(x.shape, 0, 1, 'float32'), keep), 'float32').mul(1 / keep);
        return tf.mul(x, mask);
      });
    };
  }
}

/**
 * A clock that runs only while its loop holds the turn. The trainer takes it as its clock (TrainerOptions.now), so
 * its step times exclude other loops' turns even when a resume overtakes the trainer before it has parked (the
 * trainer checks for a pause only between steps, after yielding to the event loop, while the other loops may run
 * their whole turns in microtasks before that yield comes back).
 */
class TurnClock {
  private total = 0;
  private since: number | null = null;

  now(): number {
    return this.total + (this.since === null ? 0 : performance.now() - this.since);
  }

  start(): void {
    this.since ??= performance.now();
  }

  stop(): void {
    if (this.since !== null) this.total += performance.now() - this.since;
    this.since = null;
  }
}

/**
 * The app's Trainer for 1 + steps steps, taking turns: it pauses after each metrics window and resumes when its
 * turn comes back. The trainer times its first step itself (firstStepMs) and each window excluding pauses (stepMs).
 * With an `audit`, counts host <-> device traffic during its steady-state windows.
 */
async function trainerLoop(
  job: NetJob,
  dropout: number,
  baton: Baton,
  opts: { legacy?: boolean; audit?: BackendAudit; recipe?: Partial<Config>; kernels?: KernelChoice } = {},
): Promise<{ rec: LoopRecord; audit?: StepAudit }> {
  // WebGPU: the kernel set is process-wide, so each loop puts its own back whenever it gets the turn (and before
  // the trainer is made: it picks its optimizer from what is installed).
  const applyKernels = () => {
    if (opts.kernels) installWebGpuKernels(opts.kernels);
  };
  applyKernels();
  const config = { ...benchConfig(job, dropout), ...opts.recipe };
  const data = syntheticSource(config.train, job.seed);
  const rec: LoopRecord = { firstStepMs: NaN, windowStepMs: [], steps: 0 };
  const lastStep = job.steps + 1;
  const counted: AuditCounts = { reads: 0, uploads: 0, uploadBytes: 0 };
  let windowStart: AuditCounts | null = null;
  const clock = new TurnClock();
  const trainer: Trainer = new Trainer({
    config,
    train: data,
    test: data,
    maxSteps: lastStep,
    readEvery: job.readEvery,
    now: () => clock.now(),
    onMetrics: (points) => {
      const last = points[points.length - 1];
      if (last?.kind !== 'step') return;
      if (last.step > 1) {
        rec.windowStepMs.push(last.stepMs);
        rec.steps += points.length;
        if (opts.audit && windowStart) {
          const now = opts.audit.snapshot();
          counted.reads += now.reads - windowStart.reads;
          counted.uploads += now.uploads - windowStart.uploads;
          counted.uploadBytes += now.uploadBytes - windowStart.uploadBytes;
        }
      }
      // The last window is followed by the trainer's final evaluation: finish it on this turn.
      if (last.step >= lastStep) return;
      trainer.pause();
      clock.stop();
      baton.release();
      void baton.acquire().then(() => {
        applyKernels();
        clock.start();
        windowStart = opts.audit?.snapshot() ?? null;
        trainer.resume();
      });
    },
  });
  if (opts.legacy) swapInLegacyDropout(trainer.model);
  await baton.acquire();
  applyKernels();
  clock.start();
  try {
    const summary = await trainer.run();
    rec.firstStepMs = summary.firstStepMs;
  } finally {
    trainer.dispose();
    baton.release();
  }
  const audit = opts.audit && rec.steps ? opts.audit.perStep(counted, rec.steps, job.readEvery) : undefined;
  return { rec, ...(audit ? { audit } : {}) };
}

/**
 * The reference: `model.trainOnBatch` on the same architecture, batch and backend, with plain SGD and softmax
 * cross-entropy from logits, on one batch already on the device. trainOnBatch reads its loss back every step.
 */
async function bareLoop(job: NetJob, baton: Baton, kernels?: KernelChoice): Promise<LoopRecord> {
  const applyKernels = () => {
    if (kernels) installWebGpuKernels(kernels);
  };
  await baton.acquire();
  applyKernels();
  const model = buildWrn({ depth: job.depth, width: job.width, dropout: 0 }, { seed: job.seed });
  const optimizer = tf.train.sgd(0.05);
  model.compile({ optimizer, loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred) });
  const data = syntheticSource(job.batch, job.seed);
  const x = toNormalisedImages(data.pixels, job.batch);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from(data.labels), 'int32'), NUM_CLASSES);
  const rec: LoopRecord = { firstStepMs: NaN, windowStepMs: [], steps: 0 };
  try {
    let t = performance.now();
    await model.trainOnBatch(x, y);
    rec.firstStepMs = performance.now() - t;
    for (let done = 0; done < job.steps; ) {
      baton.release();
      await baton.acquire();
      applyKernels();
      const k = Math.min(job.readEvery, job.steps - done);
      t = performance.now();
      for (let s = 0; s < k; s++) await model.trainOnBatch(x, y);
      rec.windowStepMs.push((performance.now() - t) / k);
      done += k;
      rec.steps += k;
    }
  } finally {
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
    baton.release();
  }
  return rec;
}

/**
 * A full garbage collection where the runtime allows it (Node with --expose-gc, Chromium with
 * --js-flags=--expose-gc; both set by the benchmark). Run at each hand-over between interleaved loops so that one
 * loop's garbage (tensors, WebGPU bind groups and buffers behind JS wrappers) is not collected, and paid for, in
 * the next loop's window: without it the later loops of each round ran up to 1.8x slower on WRN-16-1.
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Runs the compared loops of `job` interleaved and puts their timings and ratios into `result`. On WebGPU the loops
 * run `kernels`, and with ours a trainer with tfjs's kernels takes its turns among them (the row's set is installed
 * again at the end). A loop that fails leaves its field out and its error in `result.errors`.
 */
export async function interleavedLoops(job: NetJob, kernels: KernelChoice | undefined, result: NetResult): Promise<void> {
  const baton = new Baton(collectGarbage);
  const audit = auditBackend();
  const settle = <T>(p: Promise<T>, name: string) =>
    p.catch((err: unknown) => {
      result.errors.push(`${name}: ${messageOf(err)}`);
      return undefined;
    });
  try {
    const k = kernels ? { kernels } : {};
    const [plain, sgd, bare, dropped, legacy, tfjsKernels] = await Promise.all([
      settle(trainerLoop(job, 0, baton, { audit, ...k }), 'trainer'),
      settle(trainerLoop(job, 0, baton, { recipe: PLAIN_SGD, ...k }), 'trainer with plain SGD'),
      settle(bareLoop(job, baton, kernels), 'bare loop'),
      job.dropout > 0 ? settle(trainerLoop(job, job.dropout, baton, k), `dropout ${job.dropout}`) : undefined,
      job.dropout > 0 && job.legacyDropout ? settle(trainerLoop(job, job.dropout, baton, { legacy: true, ...k }), 'old dropout mask') : undefined,
      kernels === 'ours' ? settle(trainerLoop(job, 0, baton, { kernels: 'tfjs', recipe: { kernels: 'tfjs' } }), 'trainer with tfjs kernels') : undefined,
    ]);
    if (tfjsKernels) result.trainerTfjsKernels = timing(tfjsKernels.rec, job.batch);
    if (plain) result.trainer = timing(plain.rec, job.batch);
    if (plain?.audit) result.audit = plain.audit;
    if (sgd) result.trainerSgd = timing(sgd.rec, job.batch);
    if (bare) result.bare = timing(bare, job.batch);
    if (dropped) result.dropout = timing(dropped.rec, job.batch);
    if (legacy) result.legacyDropout = timing(legacy.rec, job.batch);
  } finally {
    audit.stop();
    if (kernels) installWebGpuKernels(kernels);
  }
  const { trainer, trainerSgd, bare, dropout, legacyDropout } = result;
  if (trainer && bare) result.trainerVsBare = trainer.imagesPerSec / bare.imagesPerSec;
  if (trainerSgd && bare) result.trainerSgdVsBare = trainerSgd.imagesPerSec / bare.imagesPerSec;
  if (trainer && dropout) result.dropoutRatio = dropout.stepMs / trainer.stepMs;
  if (trainer && legacyDropout) result.legacyDropoutRatio = legacyDropout.stepMs / trainer.stepMs;
  if (trainer && result.trainerTfjsKernels) result.oursVsTfjsKernels = trainer.imagesPerSec / result.trainerTfjsKernels.imagesPerSec;
}
