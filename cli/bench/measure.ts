/**
 * Measures one net on the current tfjs backend: the app's trainer against a bare `model.trainOnBatch` loop, the
 * dropout overhead, the host <-> device traffic of a step, the input pipeline alone, and a kernel profile.
 *
 * The compared loops (trainer without dropout, bare loop, trainer with dropout, optionally the trainer with the old
 * host-drawn mask) run interleaved, one metrics window each in turn (see baton.ts): first each loop's cold first
 * step, then their steady-state windows round-robin. Step times are medians over windows, so a burst of load from
 * elsewhere on a shared machine skews all loops alike instead of one.
 *
 * Runs unchanged in Node and in a browser worker: the caller has already chosen and initialised the backend. Every
 * part catches its own failure into `errors`, so one broken part (say, a kernel a backend lacks) leaves the rest.
 */
import * as tf from '@tensorflow/tfjs';
import { augmentBatch, drawAugmentation, toNormalisedImages } from '../../src/core/augment';
import { DEFAULT_CONFIG, netName, type Config } from '../../src/core/config';
import { RECORD_PIXELS } from '../../src/core/data/dataset';
import { applyDropout, BlockDropout, dropoutMask } from '../../src/core/dropout';
import { buildWrn, countTrainable, NUM_CLASSES } from '../../src/core/model';
import { mulberry32 } from '../../src/core/rng';
import { Trainer } from '../../src/core/trainer';
import { canCountDispatches } from '../../src/core/kernels/webgpu/dispatchCount';
import { installWebGpuKernels, kernelChoice, type KernelChoice } from '../../src/core/kernels/webgpu/install';
import { auditBackend, type AuditCounts, type BackendAudit } from './audit';
import { countStepDispatches } from './kernelCount';
import { Baton } from './baton';
import { measureBlocksOverhead } from './blocks';
import { syntheticSource } from './data';
import { profileStep } from './profile';
import { mean, median } from './stats';
import type { KernelsPerStep, LoopTiming, MaskCost, NetJob, NetResult, PipelineTiming, StepAudit } from './types';
import { messageOf } from '../../src/core/errors';

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

/** The input pipeline alone, as the trainer runs it per step, for `batches` batches. */
async function timePipeline(job: NetJob, trainerImagesPerSec: number): Promise<PipelineTiming> {
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

/**
 * What one small kernel costs, end to end: a chain of `tf.add`s on 4096 floats (above the size below which WebGPU
 * and WebGL hand tiny ops to the CPU), read back once. On a GPU backend this is the per-dispatch overhead (JS,
 * command encoding, submission) that a step pays ~1000 times; elementwise work on 16 KB is negligible.
 */
async function smallOpMs(ops = 200): Promise<number> {
  const one = tf.fill([64, 64], 1);
  let x = tf.fill([64, 64], 0);
  const chain = (n: number) => {
    for (let i = 0; i < n; i++) {
      const y = tf.add(x, one);
      x.dispose();
      x = y;
    }
  };
  chain(5);
  await x.data();
  const t = performance.now();
  chain(ops);
  await x.data();
  const ms = (performance.now() - t) / ops;
  tf.dispose([x, one]);
  return ms;
}

/** The activation the mask-cost comparison drops out of: WRN-16-4's first group at batch 64 (4.2M floats). */
export const MASK_COST_SHAPE = [64, 32, 32, 64];

/**
 * Dropout on one large activation, old mask against new, each followed by a sum read back (the same for both):
 * the old way draws `tf.randomUniform` on the host and uploads it, the new one is one kernel on the device.
 * Median of three after a warm-up each.
 */
async function maskCost(rate: number): Promise<MaskCost> {
  const x = tf.fill(MASK_COST_SHAPE, 1);
  const time = async (drop: (seed: number) => tf.Tensor): Promise<number> => {
    const ms: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = performance.now();
      const s = tf.tidy(() => tf.sum(drop(i)));
      await s.data();
      s.dispose();
      if (i > 0) ms.push(performance.now() - t);
    }
    return median(ms);
  };
  try {
    const newMs = await time((seed) => applyDropout(x, rate, seed));
    const oldMs = await time((seed) =>
      tf.mul(x, tf.cast(tf.less(tf.randomUniform(x.shape, 0, 1, 'float32', seed), 1 - rate), 'float32').mul(1 / (1 - rate))),
    );
    return { shape: MASK_COST_SHAPE, newMs, oldMs };
  } finally {
    x.dispose();
  }
}

/** FNV-1a over a fixed mask's bytes: equal strings mean bit-identical masks across backends. */
async function maskChecksum(): Promise<string> {
  const mask = dropoutMask([2, 16, 16, 16], 0.3, 20261127);
  const bytes = new Uint8Array(((await mask.data()) as Float32Array).buffer);
  mask.dispose();
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
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

/** One trainer step's dispatches with our kernels and with tfjs's (3 steps each), then the run's choice back. */
async function countKernels(job: NetJob, restore: KernelChoice): Promise<KernelsPerStep> {
  const net = { depth: job.depth, width: job.width };
  try {
    const ours = await countStepDispatches(net, job.batch, 'ours', job.seed);
    const tfjs = await countStepDispatches(net, job.batch, 'tfjs', job.seed);
    const strip = ({ dispatches, submits, byProgram }: typeof ours) => ({ dispatches, submits, byProgram });
    return { batch: job.batch, ours: strip(ours), tfjs: strip(tfjs) };
  } finally {
    installWebGpuKernels(restore);
  }
}

/** Runs every part of a job on the current backend. `log` gets one line per finished part. */
export async function measureNet(job: NetJob, adapter: NetResult['adapter'], log: (line: string) => void): Promise<NetResult> {
  const started = performance.now();
  const net = netName(job);
  const probe = buildWrn({ depth: job.depth, width: job.width, dropout: 0 }, { seed: job.seed });
  const params = countTrainable(probe);
  probe.dispose();
  const result: NetResult = { job, net, params, backend: tf.getBackend(), adapter, errors: [], seconds: 0 };
  const part = async <T>(name: string, f: () => Promise<T>): Promise<T | undefined> => {
    const t = performance.now();
    try {
      const value = await f();
      log(`${job.target} ${net} ${name}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
      return value;
    } catch (err) {
      result.errors.push(`${name}: ${messageOf(err)}`);
      log(`${job.target} ${net} ${name} FAILED: ${messageOf(err)}`);
      return undefined;
    }
  };

  // A part that failed leaves its field out (its error is listed), as JSON would drop an undefined one anyway.
  const checksum = await part('mask checksum', maskChecksum);
  if (checksum !== undefined) result.maskChecksum = checksum;
  const smallOp = await part('small-op cost', () => smallOpMs());
  if (smallOp !== undefined) result.smallOpMs = smallOp;

  // The compared loops, interleaved. The trainer goes first: in a fresh process/worker its first step is the cold
  // start a user sees (kernel and shader compilation); the others' first steps reuse what it compiled.
  // WebGPU: the timed loops run the kernels the environment chose (WRN_KERNELS; ours by default), and with ours a
  // trainer with tfjs's kernels takes its turns among them.
  const webgpu = tf.getBackend() === 'webgpu';
  const kernels = webgpu ? kernelChoice() : undefined;
  if (kernels) result.kernels = kernels;
  await part('interleaved loops', async () => {
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
    }
    const { trainer, trainerSgd, bare, dropout, legacyDropout } = result;
    if (trainer && bare) result.trainerVsBare = trainer.imagesPerSec / bare.imagesPerSec;
    if (trainerSgd && bare) result.trainerSgdVsBare = trainerSgd.imagesPerSec / bare.imagesPerSec;
    if (trainer && dropout) result.dropoutRatio = dropout.stepMs / trainer.stepMs;
    if (trainer && legacyDropout) result.legacyDropoutRatio = legacyDropout.stepMs / trainer.stepMs;
    if (trainer && result.trainerTfjsKernels) result.oursVsTfjsKernels = trainer.imagesPerSec / result.trainerTfjsKernels.imagesPerSec;
  });

  if (webgpu && canCountDispatches()) {
    const counted = await part('dispatches per step', () => countKernels(job, kernels ?? 'ours'));
    if (counted) result.kernelsPerStep = counted;
  }

  if (result.trainer) {
    const stepMs = result.trainer.stepMs;
    const blocks = await part('blocks overhead', () => measureBlocksOverhead(job, stepMs));
    if (blocks) result.blocksOverhead = blocks;
  }
  if (result.trainer) {
    const consumed = result.trainer.imagesPerSec;
    const pipeline = await part('pipeline', () => timePipeline(job, consumed));
    if (pipeline) result.pipeline = pipeline;
  }
  const masks = job.maskCost && job.dropout > 0 ? await part('mask cost', () => maskCost(job.dropout)) : undefined;
  if (masks) result.maskCost = masks;
  if (job.profile) {
    // The trainer's own step; on WebGPU with the row's kernel set, and with ours also with tfjs's, then the row's back.
    const profile = await part('profile', () => profileStep(job, kernels));
    if (profile) result.profile = profile;
    if (kernels === 'ours') {
      const theirs = await part('profile with tfjs kernels', () => profileStep(job, 'tfjs'));
      if (theirs) result.profileTfjs = theirs;
    }
    if (kernels) installWebGpuKernels(kernels);
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
