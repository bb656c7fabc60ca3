/**
 * The training loop: SGD on a WRN with the paper's recipe, one step at a time so that it can pause, resume and
 * stop between any two steps and change the learning rate between steps (hence no `model.fit`).
 *
 * Per step the host uploads one batch of bytes and a few augmentation numbers; everything else stays on the
 * device. Loss and accuracy tensors are kept and read back together every `readEvery` steps, so the GPU is not
 * drained after every step. Knows nothing of workers, DOM or files: callers pass data sources and callbacks.
 */
import * as tf from '@tensorflow/tfjs';
import { modelName, type Config, type ModelConfig } from './config';
import { trainFlopsPerImage } from './cost';
import { augmentBatch, drawAugmentation, toNormalisedImages } from './augment';
import { RECORD_PIXELS, type ImageSource } from './data/dataset';
import { evaluateModel } from './evaluate';
import type { EvalPoint, MetricPoint, RunSummary, StepPoint } from './metrics';
import { buildWrn, NUM_CLASSES } from './model';
import { mixSeed, mulberry32, permutation } from './rng';
import { learningRateAt, planRun, type RunPlan } from './schedule';

export type TrainerState = 'idle' | 'running' | 'paused' | 'done';

export interface TrainerOptions {
  /** the recipe (batch, epochs, lr, schedule, momentum, wd, augment, seed, evalEvery, test size...) */
  config: Config;
  /** the net to train; defaults to the config's main model */
  model?: ModelConfig;
  train: ImageSource;
  test: ImageSource;
  /** training images per epoch; defaults to config.train (capped by the source once it is complete) */
  trainImages?: number;
  /** stop after this many steps (CLI --steps); the schedule still spans the whole configured run */
  maxSteps?: number;
  /** read losses back every this many steps (default 5): fewer GPU drains, slightly staler metrics */
  readEvery?: number;
  /** called with each batch of new points, at most once per `readEvery` steps plus each evaluation */
  onMetrics?: (points: MetricPoint[]) => void;
  /** a clock in ms (tests may inject one); step times and `seconds` leave out the time the loop waits paused */
  now?: () => number;
  /** test images per forward pass in an evaluation (default: the batch size, at least 100) */
  evalChunk?: number;
}

/**
 * Steps slower than this are reported one by one: batching read-backs saves little when a step takes seconds
 * (an emulated GPU, a big net), and a person should not wait for several steps to see each point.
 */
const SLOW_STEP_MS = 1000;

/** Seeds for the independent random streams of a run, all derived from config.seed. */
const STREAM = { order: 1, augment: 2 } as const;

export class Trainer {
  readonly model: tf.LayersModel;
  readonly name: string;
  readonly plan: RunPlan;
  private readonly config: Config;
  private readonly train: ImageSource;
  private readonly test: ImageSource;
  private readonly optimizer: tf.MomentumOptimizer;
  private readonly flopsPerImage: number;
  private readonly now: () => number;
  private readonly readEvery: number;
  private readonly maxSteps: number;
  private readonly evalChunk: number;
  private readonly onMetrics: (points: MetricPoint[]) => void;

  private stateValue: TrainerState = 'idle';
  private stepValue = 0;
  private lrOverride: number | null = null;
  private appliedLr: number;
  private stopRequested = false;
  /** while paused: resolves on resume (or stop). The loop waits on it at its pause point. */
  private resumeGate: { promise: Promise<void>; open: () => void } | null = null;
  private activeMs = 0;
  /** mean step time of the last read-back window (ms) */
  private lastStepMs = 0;
  private order: { perm: Int32Array; next: number } = { perm: new Int32Array(0), next: 0 };

  constructor(opts: TrainerOptions) {
    this.config = opts.config;
    const m = opts.model ?? opts.config;
    this.name = modelName(m);
    this.train = opts.train;
    this.test = opts.test;
    this.plan = planRun(opts.config, opts.trainImages ?? opts.config.train);
    this.now = opts.now ?? (() => performance.now());
    this.readEvery = Math.max(1, opts.readEvery ?? 5);
    this.maxSteps = Math.min(opts.maxSteps ?? Infinity, this.plan.totalSteps);
    this.onMetrics = opts.onMetrics ?? (() => {});
    this.evalChunk = Math.max(1, opts.evalChunk ?? Math.max(this.plan.batch, 100));
    this.flopsPerImage = trainFlopsPerImage(m);
    this.model = buildWrn(m, { seed: opts.config.seed });
    this.optimizer = tf.train.momentum(opts.config.lr, opts.config.momentum, opts.config.nesterov);
    this.appliedLr = opts.config.lr;
  }

  get state(): TrainerState {
    return this.stateValue;
  }

  /** Finished steps. */
  get step(): number {
    return this.stepValue;
  }

  /** The rate the next step will use. */
  currentLearningRate(): number {
    return this.lrOverride ?? learningRateAt(this.config, this.plan, this.stepValue);
  }

  /** Takes effect from the next step; null returns to the schedule. */
  setLearningRate(lr: number | null): void {
    this.lrOverride = lr;
  }

  /**
   * Pauses before the next step: the step under way (and its read-back) finishes first, and counts as step time;
   * the time the loop then waits for `resume()` does not.
   */
  pause(): void {
    if (this.stateValue !== 'running') return;
    this.stateValue = 'paused';
    let open = () => {};
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.resumeGate = { promise, open };
  }

  /**
   * Resumes, also a pause the loop has not reached yet: it then goes on without waiting, and the pause changed
   * nothing (its steps took the time they took).
   */
  resume(): void {
    if (this.stateValue !== 'paused') return;
    this.stateValue = 'running';
    this.resumeGate?.open();
    this.resumeGate = null;
  }

  /** Ends the run after the current step; `run()` then resolves with status 'stopped'. */
  stop(): void {
    this.stopRequested = true;
    this.resume();
  }

  /** Trains until the configured run (or maxSteps) is done or `stop()` is called. */
  async run(): Promise<RunSummary> {
    if (this.stateValue !== 'idle') throw new Error('a Trainer runs once; make a new one for a new run');
    this.stateValue = 'running';
    const window: { loss: tf.Scalar; correct: tf.Scalar; lr: number }[] = [];
    let windowStart = this.now();
    let firstStepMs = -1;
    let lastEval: { point: EvalPoint; predictions: Uint8Array } | null = null;
    const evalEvery = this.config.evalEvery > 0 ? this.config.evalEvery : this.plan.stepsPerEpoch;
    try {
      while (this.stepValue < this.maxSteps && !this.stopRequested) {
        const gate = this.resumeGate;
        if (gate) {
          // Taken before the read-back: a resume (or stop) that arrives during it opens this gate, and the loop
          // goes on instead of waiting for a resume that already came.
          await this.flush(window, windowStart);
          await gate.promise;
          windowStart = this.now(); // the wait is no step's time
          continue;
        }
        const batch = await this.nextBatch();
        const lr = this.currentLearningRate();
        window.push({ ...this.trainStep(batch, lr), lr });
        this.stepValue++;
        if (firstStepMs < 0) {
          await window[0]!.loss.data(); // the first step includes kernel compilation: time it on its own
          firstStepMs = this.now() - windowStart;
          await this.flush(window, windowStart);
          windowStart = this.now();
        } else if (window.length >= (this.lastStepMs > SLOW_STEP_MS ? 1 : this.readEvery)) {
          await this.flush(window, windowStart);
          windowStart = this.now();
        }
        if (this.stepValue % evalEvery === 0 || this.stepValue === this.maxSteps) {
          await this.flush(window, windowStart);
          lastEval = await this.evaluate();
          this.onMetrics([lastEval.point]);
          windowStart = this.now();
        }
        await yieldToEventLoop(); // lets pause/stop messages in between steps
      }
      await this.flush(window, windowStart);
      if (this.stopRequested && this.stepValue > 0 && lastEval?.point.step !== this.stepValue) {
        lastEval = await this.evaluate();
        this.onMetrics([lastEval.point]);
      }
    } finally {
      for (const w of window) tf.dispose([w.loss, w.correct]);
      this.stateValue = 'done';
    }
    return {
      status: this.stopRequested ? 'stopped' : 'finished',
      steps: this.stepValue,
      seconds: this.activeMs / 1000,
      flops: this.stepValue * this.plan.batch * this.flopsPerImage,
      firstStepMs,
      finalEval: lastEval?.point ?? null,
      predictions: lastEval?.predictions ?? null,
    };
  }

  /** Frees the model and optimizer state on the device. */
  dispose(): void {
    this.optimizer.dispose();
    // tfjs 4.22's MomentumOptimizer.dispose forgets the learning-rate scalar its SGD base class keeps as `c`.
    (this.optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
    this.model.dispose();
  }

  /**
   * One SGD step. Weight decay follows the paper's convention (Torch's optim.sgd): the gradient of every
   * parameter gains wd * w, which equals an L2 penalty (wd / 2) * |w|^2 in the loss.
   * Returns the batch's mean loss and its count of right answers, kept for a later read-back.
   */
  private trainStep(batch: { pixels: Uint8Array; labels: Int32Array; seed: number }, lr: number) {
    if (this.appliedLr !== lr) {
      this.optimizer.setLearningRate(lr);
      this.appliedLr = lr;
    }
    const n = this.plan.batch;
    return tf.tidy(() => {
      let x = toNormalisedImages(batch.pixels, n);
      if (this.config.augment) x = augmentBatch(x, drawAugmentation(n, batch.seed));
      const labels = tf.tensor1d(batch.labels, 'int32');
      const oneHot = tf.oneHot(labels, NUM_CLASSES);
      let correct: tf.Scalar | null = null;
      const { value: loss, grads } = tf.variableGrads(() => {
        const logits = this.model.apply(x, { training: true }) as tf.Tensor2D;
        correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'))) as tf.Scalar;
        return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
      }, this.trainableVariables());
      const wd = this.config.wd;
      const decayed = this.trainableVariables().map((v) => {
        const g = grads[v.name]!;
        return { name: v.name, tensor: wd > 0 ? tf.add(g, tf.mul(v, wd)) : g };
      });
      this.optimizer.applyGradients(decayed);
      return { loss: tf.keep(loss), correct: tf.keep(correct! as tf.Scalar) };
    });
  }

  private trainableVariables(): tf.Variable[] {
    return this.model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** Reads the kept per-step scalars in one go and reports them. */
  private async flush(window: { loss: tf.Scalar; correct: tf.Scalar; lr: number }[], since: number): Promise<void> {
    if (!window.length) return;
    const packed = tf.tidy(() => tf.stack([...window.map((w) => w.loss), ...window.map((w) => w.correct)]));
    const values = await packed.data();
    packed.dispose();
    const elapsed = this.now() - since;
    this.activeMs += elapsed;
    const k = window.length;
    this.lastStepMs = elapsed / k;
    const mem = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
    const first = this.stepValue - k + 1;
    const points: StepPoint[] = window.map((w, i) => ({
      kind: 'step',
      step: first + i,
      epoch: (first + i) / this.plan.stepsPerEpoch,
      loss: values[i]!,
      trainAccuracy: values[k + i]! / this.plan.batch,
      lr: w.lr,
      imagesPerSec: (k * this.plan.batch) / (elapsed / 1000),
      stepMs: elapsed / k,
      numTensors: mem.numTensors - 2 * k, // the window's own kept scalars are about to go
      deviceBytes: mem.numBytesInGPU ?? mem.numBytes,
      seconds: (this.activeMs - elapsed + ((i + 1) * elapsed) / k) / 1000,
      flops: (first + i) * this.plan.batch * this.flopsPerImage,
    }));
    for (const w of window) tf.dispose([w.loss, w.correct]);
    window.length = 0;
    this.onMetrics(points);
  }

  /**
   * Draws the next batch: each epoch walks a seeded permutation of the records that have arrived by then.
   * While data still streams in, a permutation that runs out is redrawn over what has arrived since.
   */
  private async nextBatch(): Promise<{ pixels: Uint8Array; labels: Int32Array; seed: number }> {
    const n = this.plan.batch;
    const epochStep = this.stepValue % this.plan.stepsPerEpoch;
    if (epochStep === 0 || this.order.next + n > this.order.perm.length) {
      await this.train.waitFor(n);
      const have = this.train.available();
      if (have < n) throw new Error(`the training data ended with ${have} images, fewer than one batch of ${n}`);
      const epoch = Math.floor(this.stepValue / this.plan.stepsPerEpoch);
      this.order = { perm: permutation(have, mulberry32(mixSeed(this.config.seed, STREAM.order, epoch, this.stepValue))), next: 0 };
    }
    const idx = this.order.perm.subarray(this.order.next, this.order.next + n);
    this.order.next += n;
    const pixels = new Uint8Array(n * RECORD_PIXELS);
    const labels = new Int32Array(n);
    this.train.gather(idx, pixels, labels);
    return { pixels, labels, seed: mixSeed(this.config.seed, STREAM.augment, this.stepValue) };
  }

  /**
   * Test loss and accuracy over the test subset with BN in inference mode (running statistics) and dropout off.
   * Predictions are read back once at the end; accuracy is counted on the host from them.
   */
  async evaluate(): Promise<{ point: EvalPoint; predictions: Uint8Array }> {
    const start = this.now();
    await this.test.waitFor(this.config.test);
    const { predictions, ...result } = await evaluateModel(this.model, this.test, this.config.test, this.evalChunk, yieldToEventLoop);
    this.activeMs += this.now() - start;
    const point: EvalPoint = {
      kind: 'eval',
      step: this.stepValue,
      epoch: this.stepValue / this.plan.stepsPerEpoch,
      ...result,
      seconds: this.activeMs / 1000,
      flops: this.stepValue * this.plan.batch * this.flopsPerImage,
    };
    return { point, predictions };
  }
}

/**
 * Gives queued events (worker messages, timers, Ctrl-C) a turn between steps. Not `setTimeout(0)` in a browser:
 * chained timers are clamped to about 4 ms there (measured 3.7 ms per step in a Chromium worker, against 0.03 ms
 * through a MessageChannel), which is a real share of a small step on a GPU.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') {
      setImmediate(resolve);
      return;
    }
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
