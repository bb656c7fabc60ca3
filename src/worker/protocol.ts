/**
 * The messages between the page and the training worker: two discriminated unions, nothing else crosses.
 *
 * Every message about a run carries its `runId` (chosen by the page); the page drops messages whose runId is
 * not the current one, so a late message from a stopped run never lands in a new run's charts. A run trains
 * the config's models one after another (`compare`), on the same data and seed; `model` indexes them.
 */
import type { BackendChoice } from '../core/backend';
import type { Config, ModelConfig } from '../core/config';
import type { GroupFeatures } from '../core/insight/features';
import type { LesionResult } from '../core/insight/lesion';
import type { MetricPoint, RunSummary } from '../core/metrics';
import type { Checkpoint, NamedArray } from '../core/checkpoint';
import type { ModelInfo } from '../core/runEvents';
import type { ErrorCode } from '../core/runErrors';

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

/** Where the worker should read CIFAR-10 from. */
export type DataSourceSpec =
  | { kind: 'server'; base: string } // the app's own server, e.g. location.origin + '/cifar10'
  | { kind: 'url'; url: string } // a .tar.gz or .bin on a CORS-enabled host
  | { kind: 'files'; files: File[] } // picked or dropped by the person; never uploaded
  | { kind: 'sample'; base: string }; // the built-in sample: the URL of its folder (public/cifar10-sample/)

/** A few test images with their labels, for the evaluation grid (sent once per run). */
export interface TestSamples {
  /** [n * 3072] uint8 CHW records, as in the file */
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** What a model of a run is, announced when it starts training (the core's run driver defines it). */
export type { ModelInfo };

/** Weights trained elsewhere (train.py, `wrn train --out`, a download from this page): tfjs's two files. */
export interface ForeignWeights {
  /** shown as the model's name, e.g. "WRN-16-4" */
  name: string;
  /** the text of model.json */
  modelJson: string;
  /** weights.bin: every weight in the manifest's order */
  weights: ArrayBuffer;
}

/**
 * Weights to look inside (lesions, feature maps): an ended model of the worker's current run, files the person
 * opened, or the weights of a stored checkpoint (the run history's).
 */
export type InspectWeights =
  | { kind: 'run'; runId: number; model: number }
  | { kind: 'files'; weights: ForeignWeights }
  | { kind: 'arrays'; name: string; model: ModelConfig; weights: NamedArray[] };

/**
 * What to compute: the lesion study over the config's test subset (from `source`), or the feature maps of one
 * image (a CIFAR record's 3072 pixel bytes, CHW).
 */
export type InspectTask = { kind: 'lesion'; draws: number; seed: number } | { kind: 'features'; pixels: Uint8Array };

export type { GroupFeatures, LesionResult };

/** What kind of failure ended a run (the core defines the codes: it raises them). */
export type { ErrorCode };

export type ToWorker =
  | { type: 'init'; backend: Config['backend'] }
  /** resumeFrom: a checkpoint of this config (from a 'checkpoint' message) to go on from instead of step 0 */
  | { type: 'start'; runId: number; config: Config; source: DataSourceSpec; resumeFrom?: Checkpoint }
  /** a run that trains nothing: evaluates the weights on the config's test subset and reports it as a model's run */
  | { type: 'evaluate'; runId: number; config: Config; source: DataSourceSpec; weights: ForeignWeights }
  | { type: 'pause'; runId: number }
  | { type: 'resume'; runId: number }
  | { type: 'stop'; runId: number }
  | { type: 'setLearningRate'; runId: number; lr: number | null }
  | { type: 'exportWeights'; runId: number; model: number }
  /**
   * looks inside trained weights; runs after the current run (a new run cancels it). `jobId` is the page's; the
   * answers carry it.
   */
  | { type: 'inspect'; jobId: number; config: Config; source: DataSourceSpec; weights: InspectWeights; task: InspectTask }
  | { type: 'cancelInspect'; jobId: number };

export type FromWorker =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'data'; runId: number; progress: DataProgress }
  | { type: 'samples'; runId: number; samples: TestSamples }
  | ({ type: 'modelStarted'; runId: number; model: number } & ModelInfo)
  | { type: 'metrics'; runId: number; model: number; points: MetricPoint[] }
  | { type: 'state'; runId: number; state: 'loading' | 'running' | 'paused' | 'stopping' }
  | { type: 'modelEnded'; runId: number; model: number; summary: RunSummary }
  /** the training state at a step, to resume from: at each evaluation, on pause, on stop, and before a further model */
  | { type: 'checkpoint'; runId: number; checkpoint: Checkpoint }
  | { type: 'runEnded'; runId: number; status: 'finished' | 'stopped' | 'failed' }
  | { type: 'weights'; runId: number; model: number; name: string; modelJson: string; weights: ArrayBuffer }
  | { type: 'error'; runId: number | null; code: ErrorCode; message: string; suggestion: string }
  /** an inspection's progress: evaluation passes done, of `total` */
  | { type: 'inspectProgress'; jobId: number; done: number; total: number }
  | { type: 'lesion'; jobId: number; result: LesionResult }
  | { type: 'features'; jobId: number; groups: GroupFeatures[] }
  /** the last message of an inspection; `message` says why it failed */
  | { type: 'inspectEnded'; jobId: number; status: 'finished' | 'cancelled' | 'failed'; message: string | null };
