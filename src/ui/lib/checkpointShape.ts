/**
 * PLACEHOLDER, to replace with `src/core/checkpoint.ts` and `src/worker/protocol.ts` once the runner's checkpoint
 * support is on main: the shape of a checkpoint and of the two protocol additions the page relies on, as the
 * runner engineer announced them. Only the fields the page reads are spelled out; the rest travels untouched
 * (the page stores a checkpoint as it came and hands it back to the worker).
 */
import type { FromWorker, ToWorker } from '../../worker/protocol';

export interface NamedArray {
  name: string;
  shape: number[];
  dtype: string;
  data: Float32Array | Int32Array;
}

/** A structured-cloneable snapshot of one model's training: enough for the worker to go on from `step`. */
export interface Checkpoint {
  version: 1;
  /** the config's URL text */
  config: string;
  /** the model of the run it belongs to (0: main, then the comparison list) */
  modelIndex: number;
  /** finished SGD steps */
  step: number;
  weights: NamedArray[];
  optimizer: NamedArray[];
}

/** worker -> page: at each evaluation, on pause, on stop; the model is `checkpoint.modelIndex` */
export interface CheckpointMessage {
  type: 'checkpoint';
  runId: number;
  checkpoint: Checkpoint;
}

/** Every message the page may get, the checkpoint included. */
export type FromWorkerAll = FromWorker | CheckpointMessage;

/** 'start' with the checkpoint to go on from. */
export type StartMessage = Extract<ToWorker, { type: 'start' }> & { resumeFrom?: Checkpoint };
