/**
 * The training loop: SGD on a WRN with the paper's recipe, one step at a time so that it can pause, resume and
 * stop between any two steps and change the learning rate between steps (hence no `model.fit`).
 *
 * Per step the host uploads one batch of bytes and a few augmentation numbers; everything else stays on the
 * device. Loss and accuracy tensors are kept and read back together every `readEvery` steps, so the GPU is not
 * drained after every step. Knows nothing of workers, DOM or files: callers pass data sources and callbacks.
 *
 * Two ways to drive it: `run()` trains to the end (the bench, tests), or `begin()`, then `advance(n)` for slices of
 * at most n steps, then `finish()` (the run driver, runner.ts, which checkpoints between slices and may train
 * several trainers in turns). Time between slices is no step's time. `snapshot()` / `restore()` save and set back
 * the whole training state at a step boundary (checkpoint.ts says what that is).
 */
import * as tf from '@tensorflow/tfjs';
import { modelName, type Config, type EngineInfo, type ModelConfig } from './config';
import { trainFlopsPerImage } from './cost';
import { augmentBatch, drawAugmentation, toNormalisedImages } from './augment';
import type { NamedArray } from './checkpoint';
import { RECORD_PIXELS, type ImageSource } from './data/dataset';
import { BlockDropout } from './dropout';
import { dropoutKeys } from './dropoutHash';
import { activeGpuDevice } from './deviceWatch';
import { CompiledEngine } from './compiled/engine';
import type { PlanSpec } from './compiled/plan';
import { type ClosedWindow, DeferredWindow } from './compiled/window';
import { messageOf } from './errors';
import { evaluateModel, type Evaluation } from './evaluate';
import type { BlockPoint, EvalPoint, MetricPoint, RunSummary, StepPoint } from './metrics';
import { MetricsWindow, type WindowReading } from './metricsWindow';
import { buildWrn, NUM_CLASSES } from './model';
import { wrnArchitecture, type WrnArchitecture } from './shape';
import { convKernels, convLayerNames, norms } from './insight/layerStats';
import { FusedMomentum } from './kernels/webgpu/momentum';
import { webGpuKernelsActive } from './kernels/webgpu/install';
import { DataOrder } from './dataOrder';
import { mixSeed } from './rng';
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
  /**
   * The run's length when a budget sets it instead of `epochs` (budget.ts): `steps` is what the schedule spans and,
   * unless `open`, where training ends (equal FLOPs). `open`: train until `conclude()` or `stop()` (equal time);
   * `replan()` then revises `steps` as the pace becomes known.
   */
  length?: { steps: number; open?: boolean };
  /** read losses back every this many steps (default 5): fewer GPU drains, slightly staler metrics */
  readEvery?: number;
  /** called with each batch of new points, at most once per `readEvery` steps plus each evaluation */
  onMetrics?: (points: MetricPoint[]) => void;
  /** a clock in ms (tests may inject one); step times and `seconds` leave out the time the loop waits paused */
  now?: () => number;
  /** test images per forward pass in an evaluation (default: the batch size, at least 100) */
  evalChunk?: number;
  /** makes the compiled step's plan (default CompiledEngine.create); tests inject a failure to see the fallback */
  planCompiled?: (device: GPUDevice, spec: PlanSpec) => Promise<CompiledEngine>;
  /**
   * The compiled step reads a window's metrics back while the next steps are encoded (default true). The bench
   * turns it off: its loops take turns window by window and time each window whole, as tfjs's path reads it.
   */
  deferReads?: boolean;
}

/** How a slice of training ended: its steps were done, the trainer reached its pause point, or the model is over. */
export type AdvanceResult = { status: 'slice' } | { status: 'over' } | { status: 'paused'; resumed: Promise<void> };

/** The training state at a step boundary (the model's part of a Checkpoint). Its arrays are fresh copies. */
export interface TrainerSnapshot {
  step: number;
  seconds: number;
  weights: NamedArray[];
  optimizer: NamedArray[];
  dataOrder: { perm: Int32Array; next: number };
  dropoutMasks: number[];
  lastEval: EvalPoint | null;
}

/**
 * Steps slower than this are reported one by one: batching read-backs saves little when a step takes seconds
 * (an emulated GPU, a big net), and a person should not wait for several steps to see each point.
 */
const SLOW_STEP_MS = 1000;

/** Seeds for the independent random streams of a run, all derived from config.seed (dataOrder.ts has 1 and 3). */
const STREAM = { augment: 2 } as const;

export class Trainer {
  readonly model: tf.LayersModel;
  readonly name: string;
  private planValue: RunPlan;
  private readonly config: Config;
  private readonly train: ImageSource;
  private readonly test: ImageSource;
  private readonly optimizer: tf.MomentumOptimizer;
  /** on WebGPU with our kernels: momentum, Nesterov and weight decay in two dispatches per weight (kernels/webgpu) */
  private readonly fused: FusedMomentum | null;
  private readonly flopsPerImage: number;
  private readonly now: () => number;
  private readonly readEvery: number;
  private maxSteps: number;
  /** trains until concluded or stopped (a time budget), not to plan.totalSteps */
  private readonly openEnded: boolean;
  private readonly evalChunk: number;
  /** steps between evaluations (an epoch's when the config says 0) */
  readonly evalEvery: number;
  private readonly onMetrics: (points: MetricPoint[]) => void;
  /** steps taken and not yet read back */
  private readonly pending: MetricsWindow;

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
  /** which training records each step's batch holds (dataOrder.ts: the same whatever the data's arrival) */
  private readonly order: DataOrder;
  private firstStepMs = -1;
  private lastEval: { point: EvalPoint; predictions: Uint8Array | null } | null = null;
  /** the net layer by layer, for the block-wise measurements of `blocks` points */
  private readonly arch: WrnArchitecture;
  /** the convolutions whose norms `blocks` points report, and their kernels */
  private readonly convNames: string[];
  private readonly convVars: tf.Variable[];
  /** the convolutions' gradient norms of the last step before an evaluation (measured only there) */
  private gradNorms: { step: number; norms: Float32Array } | null = null;
  private readonly modelConfig: ModelConfig;
  private readonly planCompiled: (device: GPUDevice, spec: PlanSpec) => Promise<CompiledEngine>;
  /** the engine chosen by `prepare()` (null before) and, when it is the compiled step, the step and its metrics */
  private engineValue: EngineInfo | null = null;
  private preparing: Promise<EngineInfo | null> | null = null;
  /** time `prepare()` took (planning the compiled step compiles its kernels): counted in the first step's time */
  private planMs = 0;
  private compiled: { engine: CompiledEngine; window: DeferredWindow } | null = null;
  /** momentum buffers of a restored checkpoint, for the compiled step's plan (made after the restore) */
  private restoredMomentum: NamedArray[] | null = null;
  private readonly deferReads: boolean;
  /** JS time spent encoding and submitting steps (either engine), and the steps it covers */
  private hostValue = { steps: 0, ms: 0 };

  constructor(opts: TrainerOptions) {
    this.config = opts.config;
    const m = opts.model ?? opts.config;
    this.name = modelName(m);
    this.train = opts.train;
    this.test = opts.test;
    const trainImages = opts.trainImages ?? opts.config.train;
    const plan = planRun(opts.config, trainImages);
    this.planValue = opts.length ? { ...plan, totalSteps: Math.max(1, Math.floor(opts.length.steps)) } : plan;
    this.now = opts.now ?? (() => performance.now());
    this.readEvery = Math.max(1, opts.readEvery ?? 5);
    this.openEnded = opts.length?.open ?? false;
    this.maxSteps = Math.min(opts.maxSteps ?? Infinity, this.openEnded ? Infinity : this.plan.totalSteps);
    this.onMetrics = opts.onMetrics ?? (() => {});
    this.evalChunk = Math.max(1, opts.evalChunk ?? Math.max(this.plan.batch, 100));
    this.evalEvery = opts.config.evalEvery > 0 ? opts.config.evalEvery : this.plan.stepsPerEpoch;
    this.pending = new MetricsWindow(this.now);
    this.order = new DataOrder(this.train, opts.config.seed, { batch: plan.batch, stepsPerEpoch: plan.stepsPerEpoch }, trainImages);
    this.flopsPerImage = trainFlopsPerImage(m);
    this.modelConfig = m;
    this.deferReads = opts.deferReads ?? true;
    this.planCompiled = opts.planCompiled ?? ((device, spec) => CompiledEngine.create(device, spec));
    this.model = buildWrn(m, { seed: opts.config.seed });
    this.arch = wrnArchitecture(m);
    this.convNames = convLayerNames(this.arch);
    this.convVars = convKernels(this.model, this.convNames);
    this.optimizer = tf.train.momentum(opts.config.lr, opts.config.momentum, opts.config.nesterov);
    this.fused = webGpuKernelsActive() ? new FusedMomentum(opts.config.lr, opts.config.momentum, opts.config.nesterov, opts.config.wd) : null;
    this.appliedLr = opts.config.lr;
  }

  get state(): TrainerState {
    return this.stateValue;
  }

  /** Batch, steps per epoch, the steps the schedule spans, warm-up. */
  get plan(): RunPlan {
    return this.planValue;
  }

  /**
   * Sets the steps the schedule spans from the next step on (an open-ended run whose budget is time: the runner's
   * estimate of the steps that fit). The schedule's milestones move with it; steps already taken keep their rate.
   */
  replan(totalSteps: number): void {
    this.planValue = { ...this.planValue, totalSteps: Math.max(1, Math.round(totalSteps)) };
  }

  /**
   * Ends the model at the step reached, as finished rather than stopped (its budget is spent): call it between
   * slices; `finish()` then evaluates once more unless the last step was just evaluated.
   */
  conclude(): void {
    this.maxSteps = Math.min(this.maxSteps, this.stepValue);
  }

  /** Finished steps. */
  get step(): number {
    return this.stepValue;
  }

  /** The rate the next step will use. */
  currentLearningRate(): number {
    return this.lrOverride ?? learningRateAt(this.config, this.plan, this.stepValue);
  }

  /** The rate set by hand (`setLearningRate`), or null while the schedule rules. */
  get learningRateOverride(): number | null {
    return this.lrOverride;
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
    this.begin();
    try {
      for (;;) {
        const r = await this.advance();
        if (r.status === 'over') break;
        if (r.status === 'paused') await r.resumed;
      }
      return await this.finish();
    } finally {
      this.pending.dispose();
      this.stateValue = 'done';
    }
  }

  /**
   * Chooses the engine and, for the compiled step, makes its plan (compiling every kernel) from the model's current
   * weights and any restored momentum: call it after `restore()`, before training (`advance` calls it too).
   * On WebGPU with engine=compiled a plan that cannot be made falls back to tfjs's path, and the reason says why.
   * Null on other backends: they always train through tfjs (there is no engine to choose).
   */
  prepare(): Promise<EngineInfo | null> {
    if (!this.preparing) {
      const start = this.now();
      this.preparing = this.chooseEngine().then((info) => {
        this.planMs = this.now() - start;
        this.engineValue = info;
        return info;
      });
    }
    return this.preparing;
  }

  /** The engine `prepare()` chose on WebGPU; null before, and on other backends. */
  get engine(): EngineInfo | null {
    return this.engineValue;
  }

  /** The compiled step's engine when it trains (host time and dispatches per step, device memory), else null. */
  get compiledEngine(): CompiledEngine | null {
    return this.compiled?.engine ?? null;
  }

  private async chooseEngine(): Promise<EngineInfo | null> {
    if (tf.getBackend() !== 'webgpu') return null;
    if (this.config.engine === 'tfjs') return { engine: 'tfjs', reason: 'engine=tfjs was asked for' };
    const device = activeGpuDevice();
    if (!device) return { engine: 'tfjs', reason: 'the compiled step could not be planned: tfjs-webgpu holds no GPUDevice; tfjs trains instead' };
    let engine: CompiledEngine | null = null;
    try {
      engine = await this.planCompiled(device, {
        arch: wrnArchitecture(this.modelConfig),
        batch: this.plan.batch,
        recipe: { momentum: this.config.momentum, nesterov: this.config.nesterov, wd: this.config.wd },
        augment: this.config.augment,
        evalBatch: this.evalChunk,
        metricSlots: Math.max(this.readEvery, 1),
      });
      const weights = await Promise.all(
        this.model.weights.map(async (w) => ({
          name: w.originalName,
          shape: w.shape as number[],
          dtype: 'float32' as const,
          data: (await w.read().data()) as Float32Array,
        })),
      );
      engine.setState(weights, this.restoredMomentum);
    } catch (err) {
      engine?.dispose();
      return { engine: 'tfjs', reason: `the compiled step could not be planned here (${messageOf(err)}); tfjs trains instead` };
    }
    this.restoredMomentum = null;
    this.compiled = { engine, window: new DeferredWindow(engine, this.now) };
    return { engine: 'compiled', reason: `the whole step is planned once on the GPU: ${engine.dispatchesPerStep} dispatches and one submit a step` };
  }

  /** Marks the trainer running (pause and stop apply from now on); a Trainer trains once. */
  begin(): void {
    if (this.stateValue !== 'idle') throw new Error('a Trainer runs once; make a new one for a new run');
    this.stateValue = 'running';
  }

  /**
   * Trains at most `maxSteps` more steps (evaluating where the config says), then reads back what is pending.
   * Returns early at the pause point (with the promise that resolves on resume or stop), or when the model is over
   * (all its steps done, or stopped). The time before this call and after it returns is not counted as step time.
   */
  async advance(maxSteps = Infinity): Promise<AdvanceResult> {
    if (this.stateValue === 'idle' || this.stateValue === 'done') throw new Error('advance() needs begin() first, and a model that is not over');
    await this.prepare();
    const until = Math.min(this.maxSteps, this.stepValue + maxSteps);
    this.pending.restart(); // the time since the last slice was no step's
    this.compiled?.window.restart();
    while (this.stepValue < until && !this.stopRequested) {
      const gate = this.resumeGate;
      if (gate) {
        // Taken before the read-back: a resume (or stop) that arrives during it opens this gate, and the caller
        // goes on instead of waiting for a resume that already came.
        await this.report();
        return { status: 'paused', resumed: gate.promise };
      }
      const lr = this.currentLearningRate();
      const measure = this.config.probe > 0 && this.evaluatesAt(this.stepValue + 1);
      let gradNorms: Promise<Float32Array> | null = null;
      if (this.compiled) {
        await this.compiledStep(this.compiled, lr);
        if (measure) gradNorms = this.compiledGradNorms(this.compiled.engine);
      } else {
        const batch = await this.nextBatch();
        const t = performance.now();
        const step = this.trainStep(batch, lr, measure);
        this.countHost(t);
        this.pending.push(step.loss, step.correct, lr);
        if (step.gradNorms) gradNorms = readAndDispose(step.gradNorms);
      }
      this.stepValue++;
      // Read now (the evaluation that follows reads the device anyway), so no tensor outlives the step.
      if (gradNorms) this.gradNorms = { step: this.stepValue, norms: await gradNorms };
      const held = this.compiled ? this.compiled.window.length : this.pending.length;
      if (this.firstStepMs < 0) {
        await this.pending.settleFirst(); // the first step includes kernel compilation: time it on its own
        const reading = await this.report();
        this.firstStepMs = (reading?.elapsedMs ?? 0) + this.planMs;
        this.activeMs += this.planMs;
      } else if (held >= (this.lastStepMs > SLOW_STEP_MS ? 1 : this.readEvery)) {
        if (this.compiled && this.deferReads) await this.reportLater(this.compiled.window);
        else await this.report();
      }
      if (this.evaluatesAt(this.stepValue)) {
        await this.report();
        const evaluation = await this.evaluate();
        this.lastEval = evaluation;
        this.onMetrics(evaluation.blocks ? [evaluation.point, evaluation.blocks] : [evaluation.point]);
        this.pending.restart();
        this.compiled?.window.restart();
      }
      await yieldToEventLoop(); // lets pause/stop messages in between steps
    }
    await this.report();
    return this.stepValue >= this.maxSteps || this.stopRequested ? { status: 'over' } : { status: 'slice' };
  }

  /** Whether finishing step `step` ends an evaluation window (or the run). */
  private evaluatesAt(step: number): boolean {
    return step % this.evalEvery === 0 || step === this.maxSteps;
  }

  /**
   * Ends the model: reports what is pending, evaluates once more if it was stopped since the last evaluation,
   * and says how it went. The trainer is 'done' afterwards (its weights stay until `dispose()`).
   */
  async finish(): Promise<RunSummary> {
    try {
      await this.report();
      // A stopped or concluded model ends between evaluations: evaluate where it ended.
      if (this.stepValue > 0 && this.lastEval?.point.step !== this.stepValue) {
        const evaluation = await this.evaluate();
        this.lastEval = evaluation;
        this.onMetrics(evaluation.blocks ? [evaluation.point, evaluation.blocks] : [evaluation.point]);
      }
      await this.syncModel();
    } finally {
      this.stateValue = 'done';
    }
    return {
      status: this.stopRequested ? 'stopped' : 'finished',
      steps: this.stepValue,
      seconds: this.activeMs / 1000,
      flops: this.stepValue * this.plan.batch * this.flopsPerImage,
      firstStepMs: this.firstStepMs,
      finalEval: this.lastEval?.point ?? null,
      predictions: this.lastEval?.predictions ?? null,
    };
  }

  /** Active training time so far (s): step time and evaluations, pauses and time between slices excluded. */
  get seconds(): number {
    return this.activeMs / 1000;
  }

  /** Training FLOPs spent so far. */
  get flops(): number {
    return this.stepValue * this.plan.batch * this.flopsPerImage;
  }

  /**
   * The whole training state at this step boundary, read back from the device. Call it between slices (not while
   * `advance` runs): the steps taken are then all reported, and nothing changes under the read.
   */
  async snapshot(): Promise<TrainerSnapshot> {
    if (this.compiled) {
      const state = await this.compiled.engine.readState();
      return {
        step: this.stepValue,
        seconds: this.activeMs / 1000,
        weights: state.weights,
        optimizer: state.momentum,
        dataOrder: this.order.snapshot(),
        dropoutMasks: this.dropoutLayers().map((l) => l.masksDrawn),
        lastEval: this.lastEval?.point ?? null,
      };
    }
    const weights = await Promise.all(
      this.model.weights.map(async (w) => {
        const v = w.read();
        return { name: w.originalName, shape: v.shape.slice(), dtype: 'float32' as const, data: Float32Array.from(await v.data()) };
      }),
    );
    const trainable = this.model.trainableWeights;
    // [iterations, ...momentum buffers in trainable order]; on WebGPU with our kernels the fused optimizer holds them
    const named = this.fused ? null : await this.optimizer.getWeights();
    const buffers = this.fused ? this.fused.accumulationsOf(this.trainableVariables()) : named!.slice(1).map((b) => b.tensor);
    const optimizer = await Promise.all(
      buffers.map(async (b, i) => ({
        name: `${trainable[i]!.originalName}/momentum`,
        shape: b.shape.slice(),
        dtype: 'float32' as const,
        data: Float32Array.from(await b.data()),
      })),
    );
    named?.[0]?.tensor.dispose(); // the iteration count is a new scalar; the buffers are the optimizer's own
    return {
      step: this.stepValue,
      seconds: this.activeMs / 1000,
      weights,
      optimizer,
      dataOrder: this.order.snapshot(),
      dropoutMasks: this.dropoutLayers().map((l) => l.masksDrawn),
      lastEval: this.lastEval?.point ?? null,
    };
  }

  /** Sets the trainer back to a snapshot of the same net and recipe, before `begin()`. Throws on a mismatch. */
  async restore(s: TrainerSnapshot): Promise<void> {
    if (this.stateValue !== 'idle') throw new Error('restore() comes before the trainer begins');
    if (!this.openEnded && s.step > this.plan.totalSteps)
      throw new RangeError(`the checkpoint is at step ${s.step}, past this run's ${this.plan.totalSteps} steps`);
    const byName = new Map(s.weights.map((w) => [w.name, w]));
    const weights = this.model.weights;
    if (s.step > 0 || s.weights.length) {
      if (byName.size !== weights.length) throw new RangeError(`the checkpoint holds ${byName.size} weights; ${this.name} has ${weights.length}`);
      for (const w of weights) {
        const a = byName.get(w.originalName);
        if (!a || a.shape.join('x') !== w.shape.join('x')) throw new RangeError(`the checkpoint's weights do not fit ${this.name} (at ${w.originalName})`);
      }
    }
    const trainable = this.model.trainableWeights;
    if (s.optimizer.length && s.optimizer.length !== trainable.length)
      throw new RangeError(`the checkpoint holds ${s.optimizer.length} momentum buffers; ${this.name} trains ${trainable.length} weights`);
    const dropout = this.dropoutLayers();
    if (s.dropoutMasks.length && s.dropoutMasks.length !== dropout.length)
      throw new RangeError(`the checkpoint holds ${s.dropoutMasks.length} dropout counters; ${this.name} has ${dropout.length} dropout layers`);
    await this.order.restore(s.dataOrder); // waits for the records it names, and refuses records the data lacks

    for (const w of weights) {
      const a = byName.get(w.originalName);
      if (!a) continue;
      const t = tf.tensor(a.data, a.shape, 'float32');
      w.write(t);
      t.dispose();
    }
    if (s.optimizer.length) {
      const tensors = s.optimizer.map((b, i) => {
        if (b.shape.join('x') !== trainable[i]!.shape.join('x'))
          throw new RangeError(`momentum buffer ${b.name} does not fit ${trainable[i]!.originalName}`);
        return tf.tensor(b.data, b.shape, 'float32');
      });
      const iterations = tf.scalar(s.step, 'int32');
      // Buffer i goes with trainable weight i (the optimizer matches them by position); names are for people.
      if (this.fused) this.fused.setAccumulations(this.trainableVariables(), tensors);
      else
        await this.optimizer.setWeights([
          { name: 'iter', tensor: iterations },
          ...tensors.map((tensor, i) => ({ name: `${(trainable[i]!.read() as tf.Variable).name}/momentum`, tensor })),
        ]);
      tf.dispose([iterations, ...tensors]); // setWeights made variables of their own from them
    }
    dropout.forEach((l, i) => (l.masksDrawn = s.dropoutMasks[i] ?? 0));
    // The compiled step takes its weights from the model when it is planned, and its momentum from here.
    this.restoredMomentum = s.optimizer.length ? s.optimizer : null;
    if (this.compiled && s.weights.length) {
      this.compiled.engine.setState(s.weights, this.restoredMomentum);
      this.restoredMomentum = null;
    }
    this.stepValue = s.step;
    this.activeMs = s.seconds * 1000;
    this.lastEval = s.lastEval ? { point: s.lastEval, predictions: null } : null;
  }

  private dropoutLayers(): BlockDropout[] {
    return this.model.layers.filter((l): l is BlockDropout => l instanceof BlockDropout);
  }

  /** Frees the model and optimizer state on the device. */
  dispose(): void {
    this.pending.dispose();
    this.gradNorms = null;
    this.compiled?.window.dispose();
    this.compiled?.engine.dispose();
    this.fused?.dispose();
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
  private trainStep(batch: { pixels: Uint8Array; labels: Int32Array; seed: number }, lr: number, measureGradients: boolean) {
    if (this.appliedLr !== lr) {
      this.optimizer.setLearningRate(lr);
      this.fused?.setLearningRate(lr);
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
      // The convolutions' gradient norms, only before an evaluation: a few small reductions, read with its results.
      const gradNorms = measureGradients ? tf.keep(norms(this.convVars.map((v) => grads[v.name]!))) : undefined;
      if (this.fused) {
        this.fused.applyGradients(this.trainableVariables(), grads);
        return { loss: tf.keep(loss), correct: tf.keep(correct! as tf.Scalar), gradNorms };
      }
      const wd = this.config.wd;
      const decayed = this.trainableVariables().map((v) => {
        const g = grads[v.name]!;
        return { name: v.name, tensor: wd > 0 ? tf.add(g, tf.mul(v, wd)) : g };
      });
      this.optimizer.applyGradients(decayed);
      return { loss: tf.keep(loss), correct: tf.keep(correct! as tf.Scalar), gradNorms };
    });
  }

  private trainableVariables(): tf.Variable[] {
    return this.model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** Reads the pending steps back in one go, reports them, and starts the next window's clock. */
  private async report(): Promise<WindowReading | null> {
    if (this.compiled) {
      const windows = await this.compiled.window.drain(this.stepValue);
      for (const w of windows) this.emitWindow(w, w.lastStep);
      return windows.length ? { ...windows[windows.length - 1]!, elapsedMs: windows.reduce((a, w) => a + w.elapsedMs, 0) } : null;
    }
    const reading = await this.pending.read();
    this.pending.restart();
    if (!reading) return null;
    this.emitWindow(reading, this.stepValue);
    return reading;
  }

  /** Starts reading the compiled step's window back without waiting for it; reports the windows read by now. */
  private async reportLater(window: DeferredWindow): Promise<void> {
    await window.close(this.stepValue);
    for (const w of window.settled()) this.emitWindow(w, w.lastStep);
  }

  /** Reports a window of steps ending at `lastStep`, and counts its time as active. */
  private emitWindow(reading: WindowReading | ClosedWindow, lastStep: number): void {
    const { losses, correct, lrs, elapsedMs: elapsed } = reading;
    this.activeMs += elapsed;
    const k = losses.length;
    this.lastStepMs = elapsed / k;
    const mem = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
    const deviceBytes = (mem.numBytesInGPU ?? mem.numBytes) + (this.compiled?.engine.memory.bytes ?? 0);
    const first = lastStep - k + 1;
    const points: StepPoint[] = lrs.map((lr, i) => ({
      kind: 'step',
      step: first + i,
      epoch: (first + i) / this.plan.stepsPerEpoch,
      loss: losses[i]!,
      trainAccuracy: correct[i]! / this.plan.batch,
      lr,
      imagesPerSec: (k * this.plan.batch) / (elapsed / 1000),
      stepMs: elapsed / k,
      numTensors: mem.numTensors, // the window's own scalars are already freed
      deviceBytes,
      seconds: (this.activeMs - elapsed + ((i + 1) * elapsed) / k) / 1000,
      flops: (first + i) * this.plan.batch * this.flopsPerImage,
    }));
    this.onMetrics(points);
  }

  /**
   * One step of the compiled engine: the batch's records gathered straight into the buffer it uploads, the step's
   * augmentation draws and dropout keys (each dropout layer's next mask, as the tfjs path draws them), then the step.
   */
  private async compiledStep(c: { engine: CompiledEngine; window: DeferredWindow }, lr: number): Promise<void> {
    const n = this.plan.batch;
    const idx = await this.order.batch(this.stepValue);
    const views = c.engine.batchViews();
    this.train.gather(idx, views.pixels, views.labels);
    const draw = this.config.augment ? drawAugmentation(n, mixSeed(this.config.seed, STREAM.augment, this.stepValue)) : null;
    const keys = this.dropoutLayers().map((l) => dropoutKeys(l.seed * 1_000_003 + l.masksDrawn++, l.rate));
    const t = performance.now();
    c.engine.step(lr, draw, keys);
    this.countHost(t);
    c.window.push(lr);
  }

  private countHost(since: number): void {
    this.hostValue.steps++;
    this.hostValue.ms += performance.now() - since;
  }

  /**
   * The JS thread's time to encode and submit the steps taken so far (ms) and their count: the compiled step's two
   * writes, its encoding and submit; on tfjs's path the step as tfjs records it, op by op (the batch's widening to
   * floats and the augmentation draws included; tfjs submits the last ops at the read-back, which is not counted).
   * Gathering the batch's records is outside it for both.
   */
  get hostTime(): { steps: number; ms: number } {
    return { ...this.hostValue };
  }

  /** The convolutions' gradient norms of the compiled step's last step, in `convNames`' order. */
  private async compiledGradNorms(engine: CompiledEngine): Promise<Float32Array> {
    const grads = await engine.readGradients();
    return Float32Array.from(this.convNames, (name) => {
      const g = grads.get(`${name}/kernel`);
      if (!g) throw new Error(`no gradient of ${name} in the compiled step`);
      let sum = 0;
      for (const v of g) sum += v * v;
      return Math.sqrt(sum);
    });
  }

  /** Writes the compiled step's weights into the tfjs model (for saved weights, export and evaluation views). */
  private async syncModel(): Promise<void> {
    if (!this.compiled || this.compiled.engine.isDisposed) return;
    const { weights } = await this.compiled.engine.readState();
    const byName = new Map(weights.map((w) => [w.name, w]));
    for (const w of this.model.weights) {
      const a = byName.get(w.originalName);
      if (!a) continue;
      const t = tf.tensor(a.data, a.shape, 'float32');
      w.write(t);
      t.dispose();
    }
  }

  /** Draws the next batch: the records the order (dataOrder.ts) names for this step, and the step's augmentation seed. */
  private async nextBatch(): Promise<{ pixels: Uint8Array; labels: Int32Array; seed: number }> {
    const n = this.plan.batch;
    const idx = await this.order.batch(this.stepValue);
    const pixels = new Uint8Array(n * RECORD_PIXELS);
    const labels = new Int32Array(n);
    this.train.gather(idx, pixels, labels);
    return { pixels, labels, seed: mixSeed(this.config.seed, STREAM.augment, this.stepValue) };
  }

  /**
   * Test loss and accuracy over the test subset with BN in inference mode (running statistics) and dropout off.
   * Predictions are read back once at the end; accuracy is counted on the host from them.
   */
  async evaluate(): Promise<{ point: EvalPoint; predictions: Uint8Array; blocks: BlockPoint | null }> {
    const start = this.now();
    await this.test.waitFor(this.config.test);
    const probe = this.config.probe > 0 ? { arch: this.arch, images: this.config.probe } : null;
    let evaluation: Evaluation;
    if (this.compiled && probe) {
      // The probe images are evaluated block by block on tfjs's model (with the compiled step's weights written into
      // it), the rest by the compiled step: one forward pass per test image either way.
      await this.syncModel();
      const probed = Math.min(probe.images, this.config.test);
      const head = await evaluateModel(this.model, this.test, probed, this.evalChunk, yieldToEventLoop, probe);
      const tail = await this.compiled.engine.evaluate(this.test, this.config.test, yieldToEventLoop, probed);
      evaluation = joinEvaluations(head, tail);
    } else if (this.compiled) {
      const r = await this.compiled.engine.evaluate(this.test, this.config.test, yieldToEventLoop);
      evaluation = { ...r, residualRatio: null, probeImages: 0 };
    } else {
      evaluation = await evaluateModel(this.model, this.test, this.config.test, this.evalChunk, yieldToEventLoop, probe);
    }
    const { predictions, residualRatio, probeImages, ...result } = evaluation;
    let layerNorms: { weightNorm: number[]; gradNorm: number[] | null } | null = null;
    if (residualRatio) {
      const weights = norms(this.convVars);
      const w = await weights.data();
      weights.dispose();
      const g = this.gradNorms?.step === this.stepValue ? this.gradNorms.norms : null;
      layerNorms = { weightNorm: Array.from(w), gradNorm: g ? Array.from(g) : null };
    }
    this.activeMs += this.now() - start;
    const common = {
      step: this.stepValue,
      epoch: this.stepValue / this.plan.stepsPerEpoch,
      seconds: this.activeMs / 1000,
      flops: this.stepValue * this.plan.batch * this.flopsPerImage,
    };
    const point: EvalPoint = { kind: 'eval', ...common, ...result };
    const blocks: BlockPoint | null =
      residualRatio && layerNorms
        ? {
            kind: 'blocks',
            ...common,
            blocks: this.arch.blocks.map((b) => b.id),
            residualRatio,
            probeImages,
            layers: this.convNames,
            ...layerNorms,
          }
        : null;
    return { point, predictions, blocks };
  }
}

/** One evaluation of the test images `head` covers and then those `tail` covers (the head's probe measurements kept). */
function joinEvaluations(head: Evaluation, tail: Omit<Evaluation, 'residualRatio' | 'probeImages'>): Evaluation {
  const images = head.testImages + tail.testImages;
  const mean = (a: number, b: number) => (images ? (a * head.testImages + b * tail.testImages) / images : Number.NaN);
  const predictions = new Uint8Array(images);
  predictions.set(head.predictions);
  predictions.set(tail.predictions, head.testImages);
  return {
    testLoss: tail.testImages ? mean(head.testLoss, tail.testLoss) : head.testLoss,
    testAccuracy: images ? mean(head.testAccuracy, tail.testAccuracy) : 0,
    testImages: images,
    confusion: head.confusion.map((c, i) => c + (tail.confusion[i] ?? 0)),
    predictions,
    residualRatio: head.residualRatio,
    probeImages: head.probeImages,
  };
}

/** A tensor's values, read back; the tensor is disposed either way. */
async function readAndDispose(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
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
