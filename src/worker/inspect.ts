/**
 * Looking inside trained weights in the worker: the lesion study over the config's test subset, or the feature maps
 * of one image (src/core/insight). The host queues a job after the current run, so it never competes with training
 * for the device, and cancels it when a new run starts. `execute()` never throws: it ends with 'inspectEnded'.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedArray } from '../core/checkpoint';
import type { Config, ModelConfig } from '../core/config';
import { loadCifar } from '../core/data/load';
import { messageOf } from '../core/errors';
import { featureMaps } from '../core/insight/features';
import { lesionStudy } from '../core/insight/lesion';
import { buildWrn } from '../core/model';
import { yieldToEventLoop } from '../core/trainer';
import { loadWeights } from '../core/weights';
import type { CloneableSource } from '../core/data/sources';
import type { FromWorker, InspectTask } from './protocol';

/** The weights of a job, resolved when it was asked for (a run's weights may be gone by the time it runs). */
export type JobWeights =
  | { kind: 'files'; name: string; modelJson: string; weights: ArrayBuffer }
  | { kind: 'arrays'; name: string; model: ModelConfig; weights: NamedArray[] };

/** Test images per forward pass of a lesion. */
const LESION_CHUNK = 100;

export class InspectJob {
  private readonly abort = new AbortController();

  constructor(
    readonly id: number,
    private readonly config: Config,
    private readonly source: CloneableSource,
    private readonly weights: JobWeights,
    private readonly task: InspectTask,
    private readonly post: (msg: FromWorker, transfer?: Transferable[]) => void,
  ) {}

  cancel(): void {
    this.abort.abort(new Error('cancelled'));
  }

  get cancelled(): boolean {
    return this.abort.signal.aborted;
  }

  /** @param deviceFailure rejects when the device fails under the job */
  async execute(deviceFailure: Promise<never> | null = null): Promise<void> {
    const jobId = this.id;
    const guard = <T>(p: Promise<T>): Promise<T> => (deviceFailure ? Promise.race([p, deviceFailure]) : p);
    let model: tf.LayersModel | null = null;
    let status: 'finished' | 'cancelled' | 'failed' = 'finished';
    let message: string | null = null;
    try {
      this.abort.signal.throwIfAborted();
      model = await guard(this.load());
      if (this.task.kind === 'features') {
        const groups = await guard(featureMaps(model, this.task.pixels));
        this.abort.signal.throwIfAborted();
        this.post(
          { type: 'features', jobId, groups },
          groups.flatMap((g) => g.maps.map((m) => m.values.buffer as ArrayBuffer)),
        );
      } else {
        const load = loadCifar(this.source, { train: 1, test: this.config.test, subset: this.config.subset, signal: this.abort.signal });
        load.done.catch(() => undefined); // a failure reaches us through the test split's waiter
        await guard(load.test.waitFor(this.config.test));
        const result = await guard(
          lesionStudy(model, load.test, {
            images: this.config.test,
            draws: this.task.draws,
            seed: this.task.seed,
            chunk: LESION_CHUNK,
            name: this.weights.name,
            signal: this.abort.signal,
            between: yieldToEventLoop,
            onProgress: (done, total) => this.post({ type: 'inspectProgress', jobId, done, total }),
          }),
        );
        this.post({ type: 'lesion', jobId, result });
      }
    } catch (err) {
      if (this.abort.signal.aborted) status = 'cancelled';
      else {
        status = 'failed';
        message = messageOf(err);
      }
    } finally {
      model?.dispose();
    }
    this.post({ type: 'inspectEnded', jobId, status, message });
  }

  private async load(): Promise<tf.LayersModel> {
    const w = this.weights;
    if (w.kind === 'files') return loadWeights(w);
    // A stored checkpoint's weights, by name, into the net its config builds.
    const model = buildWrn(w.model);
    const byName = new Map(w.weights.map((a) => [a.name, a]));
    for (const v of model.weights) {
      const a = byName.get(v.originalName);
      if (!a || a.shape.join('x') !== v.shape.join('x')) {
        model.dispose();
        throw new Error(`the stored weights do not fit ${w.name} (at ${v.originalName})`);
      }
      const t = tf.tensor(a.data, a.shape, 'float32');
      v.write(t);
      t.dispose();
    }
    return model;
  }
}
