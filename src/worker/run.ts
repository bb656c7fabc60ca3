/**
 * One run in the worker: the core's Runner (src/core/runner.ts) with the worker's loading (stream the data, send a
 * few test images) and its events turned into protocol messages. Wiring only: training, evaluating opened weights,
 * checkpoints, the device race and the weights are the Runner's, the loading `loadCifar`'s.
 *
 * Lifecycle: the host creates a Run when 'start' or 'evaluate' arrives (so that controls sent right after it are
 * kept), and calls `execute()` once the previous run has released the device. `execute()` never throws: every
 * failure is posted as an 'error' and the run ends with 'runEnded' { status: 'failed' }.
 *
 * Memory: each model's weights are copied to the worker's heap when it ends (for 'exportWeights'), then its
 * tensors are freed, so between models and after the run `tf.memory().numTensors` is back to its baseline.
 */
import { checkpointBuffers, type Checkpoint } from '../core/checkpoint';
import { modelName, runJobs, type Config, type RunJob } from '../core/config';
import { readTestSamples } from '../core/data/dataset';
import { loadCifar, type CifarLoad, type LoadProgress } from '../core/data/load';
import type { CloneableSource } from '../core/data/sources';
import type { MemoryCapacity } from '../core/memory';
import type { MetricPoint } from '../core/metrics';
import type { RunEvent } from '../core/runEvents';
import { Runner, type LoadContext, type RunData } from '../core/runner';
import type { SavedWeights } from '../core/weights';
import { MetricsBatcher } from './metricsBatcher';
import type { DataProgress, FromWorker } from './protocol';

/** Test images sent for the evaluation grid. */
export const SAMPLE_IMAGES = 100;

/** The least time between two 'data' messages (the loader's own throttle). */
const DATA_PROGRESS_MS = 200;

/** Posts a message of a run (the host drops it once the run is no longer current). */
export type PostMessage = (msg: FromWorker, transfer?: Transferable[]) => void;

/** What a run does: train the config (from a checkpoint of it, or from step 0), or evaluate weights trained elsewhere. */
export type RunMode = { resumeFrom: Checkpoint | null } | { evaluate: SavedWeights };

export class Run {
  private readonly runner: Runner;
  private readonly weights = new Map<number, SavedWeights>();
  /** the run's models: each net once per seed */
  private readonly models: RunJob[];
  /** the model whose metrics are being coalesced, and its batcher */
  private batch: { model: number; batcher: MetricsBatcher } | null = null;

  /** true for a run that evaluates opened weights */
  private readonly evaluating: boolean;

  constructor(
    readonly id: number,
    readonly config: Config,
    private readonly source: CloneableSource,
    private readonly post: PostMessage,
    mode: RunMode = { resumeFrom: null },
  ) {
    this.models = runJobs(config);
    this.evaluating = 'evaluate' in mode;
    this.runner = new Runner({ config, ...mode, onEvent: (e) => this.onEvent(e) });
  }

  /** The current model's finished steps (reported or not yet), or null when no model is training. */
  get step(): number | null {
    return this.runner.step;
  }

  /** True until the run has ended. */
  get active(): boolean {
    return this.runner.active;
  }

  /**
   * Loads and trains everything, posting as it goes; resolves when 'runEnded' has been posted.
   * @param deviceFailure rejects when the watched device fails under the run; null: no watched device
   * @param memory what the backend holds (BackendInfo.memory): a net that cannot fit is refused before any data moves
   */
  async execute(deviceFailure: Promise<never> | null, memory: MemoryCapacity | null = null): Promise<void> {
    await this.runner.run({ data: (ctx) => this.load(ctx), deviceFailure, memory });
  }

  pause(): void {
    this.runner.pause();
  }

  resume(): void {
    this.runner.resume();
  }

  /** Ends the run after the current step (the model then evaluates once more and ends as 'stopped'). */
  stop(): void {
    this.runner.stop();
  }

  /** Overrides the schedule from the next step, for this and the following models; null returns to it. */
  setLearningRate(lr: number | null): void {
    this.runner.setLearningRate(lr);
  }

  /** The weights of an ended model, as read back when it ended; undefined before (or when they could not be read). */
  savedWeights(model: number): SavedWeights | undefined {
    return this.weights.get(model);
  }

  /** Posts the saved weights of an ended model, or an error saying why there are none. */
  exportWeights(model: number): void {
    const post = this.post;
    const saved = this.weights.get(model);
    if (this.evaluating) {
      post({
        type: 'error',
        runId: this.id,
        code: 'internal',
        message: 'these weights were opened, not trained here',
        suggestion: 'Use the files you opened.',
      });
      return;
    }
    if (!saved) {
      const why =
        model < 0 || model >= this.models.length
          ? `there is no model ${model} in this run`
          : `model ${model} (${modelName(this.models[model]!.model)}, seed ${this.models[model]!.seed}) has not ended yet, or its weights could not be read back`;
      post({
        type: 'error',
        runId: this.id,
        code: 'internal',
        message: `cannot export weights: ${why}`,
        suggestion: 'Export a model after it has finished or been stopped.',
      });
      return;
    }
    // A copy is transferred so that the same model can be exported again.
    const weights = saved.weights.slice(0);
    post({ type: 'weights', runId: this.id, model, name: saved.name, modelJson: saved.modelJson, weights }, [weights]);
  }

  /** A runner event as the protocol's message(s). Metrics are coalesced (MetricsBatcher); anything else flushes them first. */
  private onEvent(e: RunEvent): void {
    const runId = this.id;
    const post = this.post;
    if (e.type === 'metrics') {
      if (this.batch?.model !== e.model) {
        this.batch?.batcher.flush();
        const model = e.model;
        this.batch = { model, batcher: new MetricsBatcher((points: MetricPoint[]) => post({ type: 'metrics', runId, model, points })) };
      }
      this.batch.batcher.push(e.points);
      return;
    }
    this.batch?.batcher.flush();
    switch (e.type) {
      case 'state':
        return post({ type: 'state', runId, state: e.state });
      case 'modelStarted': {
        const { type: _t, ...info } = e;
        return post({ type: 'modelStarted', runId, ...info });
      }
      case 'checkpoint':
        // Its arrays are fresh copies the runner keeps no reference to: moved, not copied, to the page.
        return post({ type: 'checkpoint', runId, checkpoint: e.checkpoint }, checkpointBuffers(e.checkpoint));
      case 'modelEnded':
        if (e.weights) this.weights.set(e.model, e.weights);
        return post({ type: 'modelEnded', runId, model: e.model, summary: e.summary });
      case 'runEnded':
        if (e.error) post({ type: 'error', runId, ...e.error });
        return post({ type: 'runEnded', runId, status: e.status });
    }
  }

  /** Starts the loader, sends the first test images, and hands the (still filling) splits to the runner. */
  private async load(ctx: LoadContext): Promise<RunData> {
    const post = this.post;
    const load = loadCifar(this.source, {
      train: ctx.records.train,
      test: ctx.records.test,
      subset: this.config.subset,
      signal: ctx.signal,
      progressMs: DATA_PROGRESS_MS,
      onProgress: (p) => post({ type: 'data', runId: this.id, progress: toDataProgress(p) }),
    });
    await ctx.guard(this.sendSamples(load, post));
    // Training images per epoch: what the train split will hold (a source may hold fewer than asked), known once it
    // is complete or once the files' sizes say; else the configured count.
    return { train: load.train, test: load.test, trainImages: load.progress().train.expected ?? this.config.train };
  }

  /** Waits for the first test records and sends them, for the evaluation grid. */
  private async sendSamples(load: CifarLoad, post: PostMessage): Promise<void> {
    const samples = await readTestSamples(load.test, Math.min(SAMPLE_IMAGES, this.config.test));
    post({ type: 'samples', runId: this.id, samples }, [samples.pixels.buffer]);
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
