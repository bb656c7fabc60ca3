/**
 * A "run" that trains nothing: it loads weights trained elsewhere (train.py, `wrn train --out`, this page's
 * download), evaluates them on the test subset, and reports them in the messages of a run (samples, modelStarted,
 * one evaluation point, modelEnded with the predictions, runEnded), so the page's evaluation views show them as
 * they show a trained model. The host runs it in place of a `Run` (same controls; only stop does anything).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Config } from '../core/config';
import { wrnCost } from '../core/cost';
import { loadCifar } from '../core/data/load';
import { RECORD_PIXELS } from '../core/data/dataset';
import { evaluateModel } from '../core/evaluate';
import { yieldToEventLoop } from '../core/trainer';
import { loadSavedModel } from '../core/weights';
import { classifyError, RunFailure } from '../core/runErrors';
import type { DataSourceSpec, ForeignWeights } from './protocol';
import { SAMPLE_IMAGES, toDataProgress, type PostMessage } from './run';

/** Test images per forward pass. */
const EVAL_CHUNK = 100;

export class WeightsEvaluation {
  private ended = false;
  private readonly abort = new AbortController();

  /** @param post posts a message of this run (the host drops it once the run is no longer current) */
  constructor(
    readonly id: number,
    readonly config: Config,
    private readonly source: DataSourceSpec,
    private readonly weights: ForeignWeights,
    private readonly post: PostMessage,
  ) {}

  get active(): boolean {
    return !this.ended;
  }

  /** Nothing trains, so there is no step. */
  get step(): number | null {
    return null;
  }

  /** @param deviceFailure rejects when the device fails under the evaluation (WebGPU loss, out of memory) */
  async execute(deviceFailure: Promise<never> | null): Promise<void> {
    const post = this.post;
    const guard = <T>(p: Promise<T>): Promise<T> => (deviceFailure ? Promise.race([p, deviceFailure]) : p);
    let status: 'finished' | 'stopped' | 'failed' = 'finished';
    let model: tf.LayersModel | null = null;
    try {
      post({ type: 'state', runId: this.id, state: 'loading' });
      model = await loadForeignModel(this.weights); // before any download: bad files fail at once
      const load = loadCifar(this.source, {
        train: 1, // the loader fills both splits; one training record is the least it takes
        test: this.config.test,
        subset: this.config.subset,
        signal: this.abort.signal,
        progressMs: 200,
        onProgress: (p) => post({ type: 'data', runId: this.id, progress: toDataProgress(p) }),
      });
      load.done.catch(() => undefined); // its failure reaches us through the test split's waiters
      await load.test.waitFor(this.config.test);
      const n = Math.min(SAMPLE_IMAGES, load.test.available());
      const pixels = new Uint8Array(n * RECORD_PIXELS);
      const labels = new Int32Array(n);
      load.test.gather(
        Int32Array.from({ length: n }, (_, i) => i),
        pixels,
        labels,
      );
      post({ type: 'samples', runId: this.id, samples: { pixels, labels: Uint8Array.from(labels) } }, [pixels.buffer]);

      const cost = costOfName(this.weights.name);
      post({
        type: 'modelStarted',
        runId: this.id,
        model: 0,
        name: this.weights.name,
        params: countTrainable(model),
        macs: cost,
        stepsPerEpoch: 1,
        totalSteps: 0,
        batch: 0,
        net: 0,
        seed: this.config.seed,
      });
      post({ type: 'state', runId: this.id, state: 'running' });
      const started = performance.now();
      const { predictions, ...result } = await guard(evaluateModel(model, load.test, this.config.test, EVAL_CHUNK, yieldToEventLoop));
      const seconds = (performance.now() - started) / 1000;
      const point = { kind: 'eval' as const, step: 0, epoch: 0, ...result, seconds, flops: 0 };
      post({ type: 'metrics', runId: this.id, model: 0, points: [point] });
      post({
        type: 'modelEnded',
        runId: this.id,
        model: 0,
        summary: { status: 'finished', steps: 0, seconds, flops: 0, firstStepMs: 0, finalEval: point, predictions },
      });
    } catch (err) {
      if (this.abort.signal.aborted && !(err instanceof RunFailure)) status = 'stopped';
      else {
        status = 'failed';
        post({ type: 'error', runId: this.id, ...classifyError(err) });
      }
    } finally {
      model?.dispose();
      this.ended = true;
      this.abort.abort();
    }
    post({ type: 'runEnded', runId: this.id, status });
  }

  stop(): void {
    if (this.ended || this.abort.signal.aborted) return;
    this.post({ type: 'state', runId: this.id, state: 'stopping' });
    this.abort.abort();
  }

  // A short evaluation has nothing to pause, no rate and no weights of its own to export.
  pause(): void {}
  resume(): void {}
  setLearningRate(): void {}
  exportWeights(): void {
    this.post({
      type: 'error',
      runId: this.id,
      code: 'internal',
      message: 'these weights were opened, not trained here',
      suggestion: 'Use the files you opened.',
    });
  }
}

/**
 * The tfjs model in `model.json` + `weights.bin`, checked to be a CIFAR-10 classifier of 32x32x3 images.
 * Throws RunFailure('bad-data') saying what is wrong.
 */
export function loadForeignModel(w: ForeignWeights): Promise<tf.LayersModel> {
  return loadSavedModel(w);
}

function countTrainable(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}

/** Forward MACs of a model named WRN-d-k (the page's and train.py's names), else 0. */
function costOfName(name: string): number {
  const m = /WRN-(\d+)-(\d+)/.exec(name);
  try {
    return m ? wrnCost({ depth: Number(m[1]), width: Number(m[2]), dropout: 0 }).macs : 0;
  } catch {
    return 0;
  }
}
