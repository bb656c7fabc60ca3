/**
 * The run driver: one run of a config (its main model, then the `compare` models) from data to saved weights, with
 * controls in (pause, resume, stop, setLearningRate) and typed events out (runEvents.ts). The worker and the CLI are
 * thin adapters around it: protocol messages in one, JSON Lines and files in the other. The bench drives `Trainer`
 * directly.
 *
 * Its second mode evaluates weights trained elsewhere (`evaluate`: train.py, `wrn train --out`, this page's download)
 * on the config's test subset instead of training: the run reports them as one model that trains nothing
 * (modelStarted, one evaluation at step 0, modelEnded with the predictions), so the page shows them in its
 * evaluation views as it shows a trained model. Loading, the device race and stop are the same; there is nothing to
 * pause, no rate and no checkpoint.
 *
 * What it owns: the check of the models before any data moves, the loading phase (the adapter supplies the loading,
 * the runner stops it), the race of every device read against the GPU failing (DeviceRace), checkpoints (every
 * `checkpointEvery` steps, by default at each evaluation; on pause; on stop; and at the start of each further model),
 * resuming from one (`resumeFrom`), and reading each model's weights back when it ends (`modelEnded.weights`).
 *
 * Scheduling policies, in `trainModels()`: the models are `runJobs(config)`, each net once per seed
 * (`seeds`), round by round. `order=sequential` trains them one after another; `order=interleaved` races the nets
 * of each round, `sliceSteps` steps each in turn on the same device (each net's time is its own active time). The
 * budget (budget.ts) sets each model's length: equal FLOPs fix its steps before it starts; equal time trains it
 * open-ended and concludes it after the slice in which its own seconds reach the budget.
 *
 * How they sit on the driver's extension points:
 * - `ModelSession` (modelSession.ts) is one model in training: `start()`, `advance(maxSteps)` (true once the model
 *   is over; checkpoints and pauses are handled inside), `end()`, `dispose()`; `trainer.seconds` and
 *   `trainer.flops` say what it has spent (its own active time: the time between its slices is not counted).
 * - Racing (`raceRound`) opens every session of a round and calls `advance(sliceSteps)` on each in turn;
 *   `this.sessions` lists every open session, so pause, stop and setLearningRate reach them all.
 * - A spent time budget ends a model with `trainer.conclude()`, not `stop()`: it ends as 'finished', with a last
 *   evaluation where it ended, and the run goes on (`BudgetWatch`).
 * - A Checkpoint holds one model (`modelIndex`, an index into `runJobs`), so racing runs take no checkpoints and a
 *   resume of one is refused as bad-config; sequential runs with seeds resume as before.
 * - A learning rate set by hand travels in every checkpoint (`lrOverride`), so a resumed run goes on with it.
 */
import type * as tf from '@tensorflow/tfjs';
import { estimateSteps, timeSpent, type Progress } from './budget';
import type { Checkpoint } from './checkpoint';
import { modelName, runJobs, type Config, type ModelConfig, type RunJob } from './config';
import { costOfName } from './cost';
import type { ImageSource } from './data/dataset';
import { DeviceRace } from './deviceWatch';
import { messageOf } from './errors';
import { evaluateModel } from './evaluate';
import { architectureOf } from './insight/forward';
import { convKernels, convLayerNames, norms } from './insight/layerStats';
import type { BlockPoint, EvalPoint } from './metrics';
import { countTrainable } from './model';
import { memoryProblem, type MemoryCapacity } from './memory';
import { ModelSession, startOfModel, type SessionContext } from './modelSession';
import type { RunEvent, RunOutcome } from './runEvents';
import { resumeMismatch } from './resumeCheck';
import { classifyError, RunFailure, type ClassifiedError } from './runErrors';
import { checkNet, type WrnArchitecture } from './shape';
import { yieldToEventLoop } from './trainer';
import { encodeConfig } from './url';
import { loadWeights, type SavedWeights } from './weights';

/** The data a run trains on; the sources may still be filling (the trainer waits for the records it needs). */
export interface RunData {
  train: ImageSource;
  test: ImageSource;
  /** training images per epoch, for every model's plan (a source may end up holding fewer than the config asks) */
  trainImages: number;
}

/**
 * What the adapter's loading gets: the race to guard its own device work with, a signal that aborts on stop, and the
 * records the run needs (the config's subsets; one training record when it only evaluates, the least a loader fills).
 */
export interface LoadContext {
  guard<T>(p: Promise<T>): Promise<T>;
  signal: AbortSignal;
  records: { train: number; test: number };
}

/** What `run()` needs that controls sent before it do not: the data and the device. */
export interface RunInput {
  /** the data, or how to load it (the run is in its 'loading' phase meanwhile; stop aborts `signal`) */
  data: RunData | ((ctx: LoadContext) => Promise<RunData>);
  /** rejects when the device fails under the run (WebGPU loss, out of memory); null or absent: no watched device */
  deviceFailure?: Promise<never> | null;
  /**
   * what the backend can hold (backend.ts's `currentCapacity`): each net's training memory is held against it before
   * any data moves (memory.ts); null or absent: not known, no check
   */
  memory?: MemoryCapacity | null;
}

export interface RunnerOptions {
  config: Config;
  onEvent(event: RunEvent): void;
  /**
   * stop each model at this step (CLI --steps), counted from the model's start, also when resumed from a checkpoint;
   * the schedule still spans the whole configured run
   */
  maxSteps?: number;
  /** go on from this checkpoint (of this config): its model and step; earlier models are not trained again */
  resumeFrom?: Checkpoint | null;
  /** evaluate these weights on the config's test subset instead of training (see the file comment) */
  evaluate?: SavedWeights | null;
  /** a checkpoint every this many steps; default (undefined): at each evaluation; 0: only on pause and stop */
  checkpointEvery?: number;
  /** read each model's weights back when it ends, for 'modelEnded' (default true) */
  exportWeights?: boolean;
  /** passed to each Trainer */
  readEvery?: number;
  /**
   * Steps per turn when models take turns (order=interleaved) or when a time budget is checked: small enough that
   * the curves grow together and a budget is not overrun by much, large enough that switching costs little.
   * Default 5; never more than an evaluation window.
   */
  sliceSteps?: number;
  now?: () => number;
}

type Phase = 'waiting' | 'loading' | 'training' | 'ended';

export class Runner {
  private phase: Phase = 'waiting';
  private paused = false;
  private stopRequested = false;
  private lrOverride: number | null = null;
  /** the sessions training now (one, under the sequential policy) */
  private sessions: ModelSession[] = [];
  private readonly abort = new AbortController();
  /** every model the run trains: each net of the config once per seed */
  private readonly jobs: RunJob[];

  constructor(private readonly options: RunnerOptions) {
    this.jobs = runJobs(options.config);
    // A rate set by hand before the checkpoint still holds (checkpoints from before it was kept have none); a
    // setLearningRate() before run() replaces it. A checkpoint that is not usable fails the run in checkResume().
    this.lrOverride = options.resumeFrom?.lrOverride ?? null;
  }

  /** The current model's finished steps (reported or not yet), or null when no model is training. */
  get step(): number | null {
    return this.sessions[0]?.trainer.step ?? null;
  }

  /** True until the run has ended. */
  get active(): boolean {
    return this.phase !== 'ended';
  }

  /** The rate the current model's next step will use, or null when no model is training. */
  currentLearningRate(): number | null {
    return this.sessions[0]?.trainer.currentLearningRate() ?? null;
  }

  /**
   * Loads, then trains everything, reporting as it goes; resolves after 'runEnded' (never rejects). Controls may
   * come before it: a run stopped before it began ends at once as 'stopped'; one paused starts paused.
   */
  async run(input: RunInput): Promise<RunOutcome> {
    if (this.phase !== 'waiting') throw new Error('a Runner runs once');
    const race = new DeviceRace(input.deviceFailure ?? null);
    let status: RunOutcome = 'finished';
    let error: ClassifiedError | null = null;
    try {
      if (this.stopRequested) throw new Stopped();
      this.phase = 'loading';
      this.emit({ type: 'state', state: this.paused ? 'paused' : 'loading' });
      const weights = this.options.evaluate;
      if (weights) await this.evaluateWeights(weights, input, race);
      else await this.train(input, race, input.memory ?? null);
      if (this.stopRequested) status = 'stopped';
    } catch (err) {
      this.phase = 'ended'; // from here on nothing the abandoned model computes is reported
      // A lost device first fails the pending read with some message, then says why: prefer its word.
      const cause = await race.causeOf(err);
      if (cause instanceof Stopped || (this.stopRequested && !(cause instanceof RunFailure))) {
        // Stopping aborts the loader, whose waiters then reject: that is the stop, not a failure.
        status = 'stopped';
      } else {
        status = 'failed';
        error = classifyError(cause);
      }
    } finally {
      this.phase = 'ended';
      // The data is no longer needed; abort() after the loader finished is a no-op.
      this.abort.abort(new Stopped());
    }
    this.options.onEvent({ type: 'runEnded', status, error });
    return status;
  }

  pause(): void {
    if (!this.active || this.paused || this.stopRequested || this.options.evaluate) return;
    this.paused = true;
    for (const s of this.sessions) s.trainer.pause();
    this.emit({ type: 'state', state: 'paused' });
  }

  resume(): void {
    if (!this.active || !this.paused || this.stopRequested) return;
    this.paused = false;
    for (const s of this.sessions) s.trainer.resume();
    this.emit({ type: 'state', state: this.phase === 'training' ? 'running' : 'loading' });
  }

  /**
   * Ends the run after the current step (the model then evaluates once more, is checkpointed and ends as 'stopped').
   * While loading, it aborts the loading at once.
   */
  stop(): void {
    if (!this.active || this.stopRequested) return;
    this.stopRequested = true;
    this.emit({ type: 'state', state: 'stopping' });
    if (this.sessions.length) for (const s of this.sessions) s.trainer.stop();
    else this.abort.abort(new Stopped());
  }

  /** Overrides the schedule from the next step, for this and the following models; null returns to it. */
  setLearningRate(lr: number | null): void {
    this.lrOverride = lr;
    for (const s of this.sessions) s.trainer.setLearningRate(lr);
  }

  /** The training mode: checks the models and the checkpoint before any data moves, loads, trains. */
  private async train(input: RunInput, race: DeviceRace, capacity: MemoryCapacity | null): Promise<void> {
    const config = this.options.config;
    for (const j of this.jobs) checkModel(j.model);
    const resume = this.checkResume();
    const tooBig = memoryProblem(config, capacity, resume?.trainImages ?? config.train);
    if (tooBig) throw new RunFailure('out-of-memory', tooBig, 'Choose a smaller batch (or a smaller net), or a backend with more memory.');
    const data = await this.load(input, race, { train: config.train, test: config.test });
    this.phase = 'training';
    await this.trainModels(data, race, resume);
  }

  /**
   * The evaluation mode: the weights' model first (bad files fail before any download), then the test subset, then
   * one evaluation in chunks, between which a stop ends the run.
   */
  private async evaluateWeights(weights: SavedWeights, input: RunInput, race: DeviceRace): Promise<void> {
    const config = this.options.config;
    const model = await race.guard(loadWeights(weights));
    try {
      const data = await this.load(input, race, { train: 1, test: config.test });
      await race.guard(data.test.waitFor(config.test));
      this.phase = 'training';
      this.emit({
        type: 'modelStarted',
        model: 0,
        name: weights.name,
        params: countTrainable(model),
        macs: costOfName(weights.name)?.macs ?? 0,
        stepsPerEpoch: 1,
        totalSteps: 0,
        batch: 0,
        net: 0,
        seed: config.seed,
      });
      this.emit({ type: 'state', state: 'running' });
      const now = this.options.now ?? (() => performance.now());
      const started = now();
      const between = async () => {
        await yieldToEventLoop();
        if (this.stopRequested) throw new Stopped();
      };
      // Inside the net too (blocks point), where the weights are a WRN as the builder names its layers.
      const arch = config.probe > 0 ? architectureOrNull(model) : null;
      const probe = arch ? { arch, images: config.probe } : null;
      const { predictions, residualRatio, probeImages, ...result } = await race.guard(
        evaluateModel(model, data.test, config.test, EVAL_CHUNK, between, probe),
      );
      const blocks = arch && residualRatio ? await race.guard(weightsBlockPoint(model, arch, residualRatio, probeImages)) : null;
      const seconds = (now() - started) / 1000;
      const point: EvalPoint = { kind: 'eval', step: 0, epoch: 0, ...result, seconds, flops: 0 };
      this.emit({ type: 'metrics', model: 0, points: blocks ? [point, { ...blocks, seconds }] : [point] });
      const summary = { status: 'finished' as const, steps: 0, seconds, flops: 0, firstStepMs: 0, finalEval: point, predictions };
      this.emit({ type: 'modelEnded', model: 0, summary, weights: null });
    } finally {
      model.dispose();
    }
  }

  /** The adapter's data, or its loading (the run is in its 'loading' phase meanwhile; stop aborts it). */
  private async load(input: RunInput, race: DeviceRace, records: LoadContext['records']): Promise<RunData> {
    const source = input.data;
    const data = typeof source === 'function' ? await source({ guard: (p) => race.guard(p), signal: this.abort.signal, records }) : source;
    if (this.stopRequested) throw new Stopped();
    return data;
  }

  /** The scheduling policy: the order and the budget of the config (see the file comment). */
  private async trainModels(data: RunData, race: DeviceRace, resume: Checkpoint | null): Promise<void> {
    const config = this.options.config;
    const encodedConfig = encodeConfig(config);
    const interleaved = config.order === 'interleaved' && modelsPerRound(config) > 1;
    const ctx: SessionContext = {
      config,
      encodedConfig,
      train: data.train,
      test: data.test,
      trainImages: resume?.trainImages ?? data.trainImages,
      // Racing models cannot be resumed yet (a checkpoint holds one model), so they take none.
      checkpointEvery: interleaved ? 0 : this.checkpointEvery(),
      checkpoints: !interleaved,
      exportWeights: this.options.exportWeights ?? true,
      race,
      emit: (e) => this.emit(e),
      ...(this.options.maxSteps === undefined ? {} : { maxSteps: this.options.maxSteps }),
      ...(this.options.readEvery === undefined ? {} : { readEvery: this.options.readEvery }),
      ...(this.options.now === undefined ? {} : { now: this.options.now }),
    };
    if (interleaved) {
      const perRound = modelsPerRound(config);
      for (let r = 0; r * perRound < this.jobs.length && !this.stopRequested; r++) {
        await this.raceRound(ctx, this.jobs.slice(r * perRound, (r + 1) * perRound));
      }
      return;
    }
    const first = resume?.modelIndex ?? 0;
    for (let i = first; i < this.jobs.length && !this.stopRequested; i++) {
      const session = new ModelSession(ctx, this.jobs[i]!);
      this.sessions = [session];
      try {
        await session.start(i === first ? resume : null, this.lrOverride, this.paused);
        const budget = new BudgetWatch(config, session);
        // Under an epochs or FLOPs budget the model ends by itself; a time budget is checked between slices.
        while (!(await session.advance(budget.timed ? this.sliceSteps(session) : Infinity)) && !budget.check());
        const summary = await session.end();
        const next = this.jobs[i + 1];
        // Where a stopped or interrupted run goes on when this model is done: the next one, from scratch.
        if (summary.status === 'finished' && next)
          this.emit({ type: 'checkpoint', checkpoint: startOfModel(encodedConfig, i + 1, modelName(next.model), ctx.trainImages, this.lrOverride) });
      } finally {
        this.sessions = [];
        session.dispose();
      }
    }
  }

  /**
   * Races the models of one round: each advances `sliceSteps` steps in turn until all are over; a model that is
   * over (its steps done, its budget spent, or stopped) ends and frees its memory at once while the others go on.
   */
  private async raceRound(ctx: SessionContext, jobs: readonly RunJob[]): Promise<void> {
    const open = jobs.map((job) => new ModelSession(ctx, job));
    this.sessions = open.slice();
    try {
      for (const s of open) await s.start(null, this.lrOverride, this.paused);
      const budgets = new Map(open.map((s) => [s, new BudgetWatch(ctx.config, s)]));
      while (this.sessions.length) {
        for (const s of [...this.sessions]) {
          const over = (await s.advance(this.sliceSteps(s))) || budgets.get(s)!.check();
          if (!over) continue;
          await s.end();
          this.sessions = this.sessions.filter((x) => x !== s);
          s.dispose();
        }
      }
    } finally {
      for (const s of this.sessions) s.dispose(); // a failure mid-round: free what is still open
      this.sessions = [];
    }
  }

  /** Steps per turn: the option (default 5), within one evaluation window of the model. */
  private sliceSteps(s: ModelSession): number {
    return Math.max(1, Math.min(this.options.sliceSteps ?? DEFAULT_SLICE_STEPS, s.trainer.evalEvery));
  }

  /** Steps between checkpoints: the option, else at each evaluation (each trainer knows its interval). */
  private checkpointEvery(): number | 'eval' {
    const every = this.options.checkpointEvery;
    return every === undefined ? 'eval' : Math.max(0, Math.floor(every));
  }

  /** The checkpoint to resume from, checked against this run (resumeCheck.ts); a foreign one fails the run as bad-config. */
  private checkResume(): Checkpoint | null {
    const c = this.options.resumeFrom ?? null;
    if (!c) return null;
    const mismatch = resumeMismatch(c, this.options.config);
    if (mismatch) throw new RunFailure('bad-config', `cannot resume: ${mismatch}`);
    return c;
  }

  /** Reports an event of a run that has not failed: after a device error nothing computed can be trusted. */
  private emit(event: RunEvent): void {
    if (this.phase === 'ended') return;
    this.options.onEvent(event);
  }
}

/** Steps per turn of racing models, and between two looks at a time budget (RunnerOptions.sliceSteps). */
const DEFAULT_SLICE_STEPS = 5;

/** Test images per forward pass when evaluating weights trained elsewhere. */
const EVAL_CHUNK = 100;

/** Models in one round of a run: the main net and the compared ones (each round is one seed). */
function modelsPerRound(c: Config): number {
  return 1 + c.compare.length;
}

/**
 * A model's time budget, looked at between slices: concludes the model once its own active seconds reach the
 * budget, and meanwhile keeps the schedule's length at the steps the budget will hold at the pace so far.
 * Inert under epochs and FLOPs budgets (the trainer's own length ends those).
 */
class BudgetWatch {
  readonly timed: boolean;
  /** the first look after the first step (whose time includes compiling kernels): the pace is measured from here */
  private from: Progress | null = null;

  constructor(
    private readonly config: Config,
    private readonly session: ModelSession,
  ) {
    this.timed = config.budget.kind === 'time';
  }

  /** True when the budget is spent (the model is concluded: it then ends as finished). */
  check(): boolean {
    const budget = this.config.budget;
    if (budget.kind !== 'time') return false;
    const t = this.session.trainer;
    const now = { step: t.step, seconds: t.seconds };
    if (timeSpent(this.config, now.seconds)) {
      t.conclude();
      return true;
    }
    if (this.from === null) {
      if (now.step > 0) this.from = now;
    } else {
      const steps = estimateSteps(budget.seconds, this.from, now);
      if (steps !== null) t.replan(steps);
    }
    return false;
  }
}

/** Thrown (and caught) inside a run when it is stopped before training began. */
class Stopped extends Error {
  override name = 'Stopped';
  constructor() {
    super('the run was stopped');
  }
}

/** Fails fast, before any download, on a model the builder would refuse. */
function checkModel(m: ModelConfig): void {
  try {
    checkNet(m);
  } catch (err) {
    throw new RunFailure('bad-config', messageOf(err));
  }
}

function architectureOrNull(model: tf.LayersModel): WrnArchitecture | null {
  try {
    return architectureOf(model);
  } catch {
    return null;
  }
}

/** The blocks point of weights evaluated as they are: their ratios and kernel norms (no training step: no gradient). */
async function weightsBlockPoint(model: tf.LayersModel, arch: WrnArchitecture, residualRatio: number[], probeImages: number): Promise<BlockPoint> {
  const layers = convLayerNames(arch);
  const w = norms(convKernels(model, layers));
  const weightNorm = Array.from(await w.data());
  w.dispose();
  return {
    kind: 'blocks',
    step: 0,
    epoch: 0,
    seconds: 0,
    flops: 0,
    blocks: arch.blocks.map((b) => b.id),
    residualRatio,
    probeImages,
    layers,
    weightNorm,
    gradNorm: null,
  };
}
