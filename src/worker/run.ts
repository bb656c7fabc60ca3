/**
 * One run in the worker: stream the data, send a few test images, train each model of the config in turn, and
 * report it all as protocol messages. Wiring only: the training itself is `Trainer`'s, the loading `loadCifar`'s.
 *
 * Lifecycle: the host creates a Run when 'start' arrives (so that controls sent right after it are kept), and
 * calls `execute()` once the previous run has released the device. `execute()` never throws: every failure is
 * posted as an 'error' and the run ends with 'runEnded' { status: 'failed' }.
 *
 * Memory: each model's weights are copied to the worker's heap when it ends (for 'exportWeights'), then its
 * tensors are freed, so between models and after the run `tf.memory().numTensors` is back to its baseline.
 */
import { modelName, modelsOf, type Config, type ModelConfig } from '../core/config';
import { wrnCost } from '../core/cost';
import { loadCifar, type CifarLoad, type LoadProgress } from '../core/data/load';
import { RECORD_PIXELS } from '../core/data/dataset';
import type { MetricPoint } from '../core/metrics';
import { checkDepth } from '../core/shape';
import { Trainer } from '../core/trainer';
import { classifyError, RunFailure } from './errors';
import { MetricsBatcher } from './metricsBatcher';
import type { DataProgress, DataSourceSpec, FromWorker } from './protocol';
import { saveWeights, type SavedWeights } from './weights';

/** Test images sent for the evaluation grid. */
export const SAMPLE_IMAGES = 100;

/** The least time between two 'data' messages (the loader's own throttle). */
const DATA_PROGRESS_MS = 200;

/**
 * How long a run that failed on a watched GPU waits for the device to say it was lost: destroying a device fails
 * the pending buffer read at once ("Buffer was unmapped before mapping was resolved"), while `device.lost` may
 * resolve a second or more later on a busy machine.
 */
const DEVICE_FAILURE_GRACE_MS = 2_000;

/** What a run needs from the worker around it. */
export interface RunEnv {
  /** posts a message of this run (the host drops it if the run is no longer current) */
  post(msg: FromWorker, transfer?: Transferable[]): void;
  /** rejects when the device fails under the run (WebGPU loss or out of memory); never resolves; null: no watched device */
  deviceFailure: Promise<never> | null;
}

type Phase = 'waiting' | 'loading' | 'training' | 'ended';

export class Run {
  private phase: Phase = 'waiting';
  private paused = false;
  private stopRequested = false;
  private lrOverride: number | null = null;
  private trainer: Trainer | null = null;
  private readonly abort = new AbortController();
  private readonly weights = new Map<number, SavedWeights>();
  private readonly models: ModelConfig[];

  constructor(
    readonly id: number,
    readonly config: Config,
    private readonly source: DataSourceSpec,
  ) {
    this.models = modelsOf(config);
  }

  /** The current model's finished steps (reported or not yet), or null when no model is training. */
  get step(): number | null {
    return this.trainer?.step ?? null;
  }

  /** True until the run has ended. */
  get active(): boolean {
    return this.phase !== 'ended';
  }

  /** Trains everything, posting as it goes; resolves when 'runEnded' has been posted. */
  async execute(env: RunEnv): Promise<void> {
    if (this.phase !== 'waiting') throw new Error('a Run executes once');
    const post = env.post;
    let status: 'finished' | 'stopped' | 'failed' = 'finished';
    // A failure raised by the device while we await anything below ends the run at once.
    const failure = env.deviceFailure;
    const guard = <T>(p: Promise<T>): Promise<T> => (failure ? Promise.race([p, failure]) : p);
    try {
      if (this.stopRequested) throw new Stopped();
      this.phase = 'loading';
      post({ type: 'state', runId: this.id, state: this.paused ? 'paused' : 'loading' });
      for (const m of this.models) checkModel(m);
      const load = this.startLoading(post);
      await guard(this.sendSamples(load, post));
      this.phase = 'training';
      for (let i = 0; i < this.models.length && !this.stopRequested; i++) {
        await this.trainModel(i, this.models[i]!, load, env, guard);
      }
      if (this.stopRequested) status = 'stopped';
    } catch (err) {
      // A lost device first fails the pending read with some message, then says why: prefer its word.
      const cause = err instanceof RunFailure || !failure ? err : ((await failureWithin(failure, DEVICE_FAILURE_GRACE_MS)) ?? err);
      if (cause instanceof Stopped || (this.stopRequested && !(cause instanceof RunFailure))) {
        // Stopping aborts the loader, whose waiters then reject: that is the stop, not a failure.
        status = 'stopped';
      } else {
        status = 'failed';
        post({ type: 'error', runId: this.id, ...classifyError(cause) });
      }
    } finally {
      this.phase = 'ended';
      // The data is no longer needed; abort() after the loader finished is a no-op.
      this.abort.abort(new Stopped());
    }
    post({ type: 'runEnded', runId: this.id, status });
  }

  pause(post: (msg: FromWorker) => void): void {
    if (!this.active || this.paused || this.stopRequested) return;
    this.paused = true;
    this.trainer?.pause();
    post({ type: 'state', runId: this.id, state: 'paused' });
  }

  resume(post: (msg: FromWorker) => void): void {
    if (!this.active || !this.paused || this.stopRequested) return;
    this.paused = false;
    this.trainer?.resume();
    post({ type: 'state', runId: this.id, state: this.phase === 'training' ? 'running' : 'loading' });
  }

  /**
   * Ends the run after the current step (the trainer then evaluates once more and the model ends as 'stopped').
   * While loading, it aborts the loader at once.
   */
  stop(post: (msg: FromWorker) => void): void {
    if (!this.active || this.stopRequested) return;
    this.stopRequested = true;
    post({ type: 'state', runId: this.id, state: 'stopping' });
    if (this.trainer) this.trainer.stop();
    else this.abort.abort(new Stopped());
  }

  /** Overrides the schedule from the next step, for this and the following models; null returns to it. */
  setLearningRate(lr: number | null): void {
    this.lrOverride = lr;
    this.trainer?.setLearningRate(lr);
  }

  /** Posts the saved weights of an ended model, or an error saying why there are none. */
  exportWeights(model: number, post: RunEnv['post']): void {
    const saved = this.weights.get(model);
    if (!saved) {
      const why =
        model < 0 || model >= this.models.length
          ? `there is no model ${model} in this run`
          : `model ${model} (${modelName(this.models[model]!)}) has not ended yet, or its weights could not be read back`;
      post({ type: 'error', runId: this.id, code: 'internal', message: `cannot export weights: ${why}`, suggestion: 'Export a model after it has finished or been stopped.' });
      return;
    }
    // A copy is transferred so that the same model can be exported again.
    const weights = saved.weights.slice(0);
    post({ type: 'weights', runId: this.id, model, name: saved.name, modelJson: saved.modelJson, weights }, [weights]);
  }

  private startLoading(post: RunEnv['post']): CifarLoad {
    return loadCifar(this.source, {
      train: this.config.train,
      test: this.config.test,
      subset: this.config.subset,
      signal: this.abort.signal,
      progressMs: DATA_PROGRESS_MS,
      onProgress: (p) => post({ type: 'data', runId: this.id, progress: toDataProgress(p) }),
    });
  }

  /** Waits for the first test records and sends them, for the evaluation grid. */
  private async sendSamples(load: CifarLoad, post: RunEnv['post']): Promise<void> {
    await load.test.waitFor(Math.min(SAMPLE_IMAGES, this.config.test));
    const n = Math.min(SAMPLE_IMAGES, load.test.available());
    const pixels = new Uint8Array(n * RECORD_PIXELS);
    const labels = new Int32Array(n);
    load.test.gather(Int32Array.from({ length: n }, (_, i) => i), pixels, labels);
    post({ type: 'samples', runId: this.id, samples: { pixels, labels: Uint8Array.from(labels) } }, [pixels.buffer]);
  }

  private async trainModel(
    index: number,
    model: ModelConfig,
    load: CifarLoad,
    env: RunEnv,
    guard: <T>(p: Promise<T>) => Promise<T>,
  ): Promise<void> {
    const post = env.post;
    const batcher = new MetricsBatcher((points: MetricPoint[]) => post({ type: 'metrics', runId: this.id, model: index, points }));
    const trainer = new Trainer({
      config: this.config,
      model,
      train: load.train,
      test: load.test,
      // Every model of a run gets the same plan, so that their curves line up step for step.
      trainImages: this.trainImages(load),
      onMetrics: (points) => batcher.push(points),
    });
    this.trainer = trainer;
    try {
      const cost = wrnCost(model);
      post({
        type: 'modelStarted',
        runId: this.id,
        model: index,
        name: trainer.name,
        params: cost.params,
        macs: cost.macs,
        stepsPerEpoch: trainer.plan.stepsPerEpoch,
        totalSteps: trainer.plan.totalSteps,
        batch: trainer.plan.batch,
        net: index,
        seed: this.config.seed,
      });
      if (this.lrOverride !== null) trainer.setLearningRate(this.lrOverride);
      const running = trainer.run(); // sets the trainer's state to 'running' before its first await
      running.catch(() => undefined); // if the device fails, the race below ends the model and this is abandoned
      if (this.paused) trainer.pause();
      else post({ type: 'state', runId: this.id, state: 'running' });
      const summary = await guard(running);
      batcher.flush();
      // Read the weights back before freeing them; a failure here costs the export, not the run.
      await guard(saveWeights(trainer.model, trainer.name)).then(
        (saved) => this.weights.set(index, saved),
        (err: unknown) => {
          if (err instanceof RunFailure) throw err;
        },
      );
      post({ type: 'modelEnded', runId: this.id, model: index, summary });
    } finally {
      batcher.flush();
      this.trainer = null;
      trainer.stop(); // a no-op unless the device failed mid-step and the run was abandoned
      trainer.dispose();
    }
  }

  private trainImagesValue: number | null = null;

  /**
   * Training images per epoch, fixed at the first model: what the train split will hold (a source may hold fewer
   * than asked), known once it is complete or once the files' sizes say; else the configured count.
   */
  private trainImages(load: CifarLoad): number {
    this.trainImagesValue ??= load.progress().train.expected ?? this.config.train;
    return this.trainImagesValue;
  }
}

/** Thrown (and caught) inside a run when the person stops it before training began. */
class Stopped extends Error {
  override name = 'Stopped';
  constructor() {
    super('the run was stopped');
  }
}

/** The device's failure if it is reported within `ms` (at once if it already was), else null. */
function failureWithin(failure: Promise<never>, ms: number): Promise<unknown> {
  return Promise.race([failure.catch((e: unknown) => e), new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]);
}

/** Fails fast, before any download, on a model the builder would refuse. */
function checkModel(m: ModelConfig): void {
  try {
    checkDepth(m.depth);
    if (!Number.isInteger(m.width) || m.width < 1) throw new RangeError(`WRN width k must be a whole number >= 1; got ${m.width}`);
  } catch (err) {
    throw new RunFailure('bad-config', err instanceof Error ? err.message : String(err));
  }
}

/** The loader's snapshot in the protocol's shape, with a phase sentence for people. */
export function toDataProgress(p: LoadProgress): DataProgress {
  return {
    bytesLoaded: p.bytesLoaded,
    bytesTotal: p.bytesTotal,
    trainRecords: p.train.records,
    testRecords: p.test.records,
    trainTarget: p.train.target,
    testTarget: p.test.target,
    done: p.phase === 'done',
    phase: phaseText(p),
  };
}

function phaseText(p: LoadProgress): string {
  switch (p.phase) {
    case 'connecting':
      return 'connecting to the data source';
    case 'server-download': {
      const s = p.server;
      if (s?.status === 'extracting') return 'unpacking CIFAR-10 on the server';
      const pct = s?.bytesTotal ? ` (${Math.floor((100 * s.bytesLoaded) / s.bytesTotal)}%)` : '';
      return `downloading CIFAR-10 on the server${pct}`;
    }
    case 'streaming':
      return 'loading images';
    case 'done':
      return 'data ready';
    case 'failed':
      return `loading failed: ${p.error ?? 'unknown error'}`;
  }
}
