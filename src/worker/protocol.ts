/**
 * The messages between the page and the training worker: two discriminated unions, nothing else crosses.
 *
 * Every message about a run carries its `runId` (chosen by the page); the page drops messages whose runId is
 * not the current one, so a late message from a stopped run never lands in a new run's charts. A run trains
 * the config's models one after another (`compare`), on the same data and seed; `model` indexes them.
 */
import type { BackendChoice } from '../core/backend';
import type { Checkpoint, NamedArray } from '../core/checkpoint';
import type { Config, ModelConfig } from '../core/config';
import type { TestSamples } from '../core/data/dataset';
import type { CloneableSource } from '../core/data/sources';
import type { MetricPoint, RunSummary } from '../core/metrics';
import type { GroupFeatures } from '../core/insight/features';
import type { LesionResult } from '../core/insight/lesion';
import type { ErrorCode } from '../core/runErrors';
import type { NetSpeed } from '../core/speedProbe';
import type { ModelInfo, RunOutcome, RunState } from '../core/runEvents';
import type { SavedWeights } from '../core/weights';

/** The backend the worker trains on, and why (the core's choice as it is: backend, reason, adapter, threads...). */
export type BackendInfo = BackendChoice;

/** Where the data is in its journey: download, parse, ready. */
export interface DataProgress {
  /** bytes received so far, and in all when known */
  bytesLoaded: number;
  bytesTotal: number | null;
  trainRecords: number;
  testRecords: number;
  /** the subset sizes being filled */
  trainTarget: number;
  testTarget: number;
  done: boolean;
  /** e.g. "downloading CIFAR-10 on the server (48%)", "parsing data_batch_1.bin" */
  phase: string;
}

/**
 * Weights to look inside (lesions, feature maps): an ended model of the worker's current run, files the person
 * opened, or the weights of a stored checkpoint (the run history's).
 */
export type InspectWeights =
  | { kind: 'run'; runId: number; model: number }
  | { kind: 'files'; weights: SavedWeights }
  | { kind: 'arrays'; name: string; model: ModelConfig; weights: NamedArray[] };

/**
 * What to compute: the lesion study over the config's test subset (from `source`), or the feature maps of one
 * image (a CIFAR record's 3072 pixel bytes, CHW).
 */
export type InspectTask = { kind: 'lesion'; draws: number; seed: number } | { kind: 'features'; pixels: Uint8Array };

export type { GroupFeatures, LesionResult };

export type ToWorker =
  | { type: 'init'; backend: Config['backend'] }
  /** times a few steps of every net of `config` at its batch, on its backend; answered by 'speed' with the same probeId */
  | { type: 'measureSpeed'; probeId: number; config: Config }
  /** resumeFrom: a checkpoint of this config (from a 'checkpoint' message) to go on from instead of step 0 */
  | { type: 'start'; runId: number; config: Config; source: CloneableSource; resumeFrom?: Checkpoint }
  /** a run that trains nothing: evaluates weights trained elsewhere on the config's test subset, reported as a model's run */
  | { type: 'evaluate'; runId: number; config: Config; source: CloneableSource; weights: SavedWeights }
  | { type: 'pause'; runId: number }
  | { type: 'resume'; runId: number }
  | { type: 'stop'; runId: number }
  | { type: 'setLearningRate'; runId: number; lr: number | null }
  | { type: 'exportWeights'; runId: number; model: number }
  /**
   * looks inside trained weights; runs after the current run (a new run cancels it). `jobId` is the page's; the
   * answers carry it.
   */
  | { type: 'inspect'; jobId: number; config: Config; source: CloneableSource; weights: InspectWeights; task: InspectTask }
  | { type: 'cancelInspect'; jobId: number };

export type FromWorker =
  | { type: 'backend'; info: BackendInfo }
  /** the answer to 'measureSpeed': one entry per net, or an error (then no entries) */
  | { type: 'speed'; probeId: number; speeds: NetSpeed[]; error: string | null }
  | { type: 'data'; runId: number; progress: DataProgress }
  | { type: 'samples'; runId: number; samples: TestSamples }
  | ({ type: 'modelStarted'; runId: number; model: number } & ModelInfo)
  | { type: 'metrics'; runId: number; model: number; points: MetricPoint[] }
  | { type: 'state'; runId: number; state: RunState }
  | { type: 'modelEnded'; runId: number; model: number; summary: RunSummary }
  /** the training state at a step, to resume from: at each evaluation, on pause, on stop, and before a further model */
  | { type: 'checkpoint'; runId: number; checkpoint: Checkpoint }
  | { type: 'runEnded'; runId: number; status: RunOutcome }
  | ({ type: 'weights'; runId: number; model: number } & SavedWeights)
  | { type: 'error'; runId: number | null; code: ErrorCode; message: string; suggestion: string }
  /** an inspection's progress: evaluation passes done, of `total` */
  | { type: 'inspectProgress'; jobId: number; done: number; total: number }
  | { type: 'lesion'; jobId: number; result: LesionResult }
  | { type: 'features'; jobId: number; groups: GroupFeatures[] }
  /** the last message of an inspection; `message` says why it failed */
  | { type: 'inspectEnded'; jobId: number; status: 'finished' | 'cancelled' | 'failed'; message: string | null };
