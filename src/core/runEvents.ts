/**
 * What the run driver (runner.ts) reports, as plain data: the worker turns each event into a protocol message, the
 * CLI into JSON Lines and files. `model` indexes the run's models, `runJobs(config)` (config.ts): the main net and
 * `compare`'s, once per seed. Also the words the page and the run history share for a run: its status and what a
 * model is.
 */
import type { Checkpoint } from './checkpoint';
import type { MetricPoint, RunSummary } from './metrics';
import type { ClassifiedError } from './runErrors';
import type { SavedWeights } from './weights';

/** What a model of a run is, announced when it starts training. */
export interface ModelInfo {
  /** e.g. "WRN-16-4" */
  name: string;
  /** trainable parameters */
  params: number;
  /** forward multiply-accumulates per image */
  macs: number;
  stepsPerEpoch: number;
  totalSteps: number;
  /** images per step */
  batch: number;
  /** which net of the config it is (0 = the main one, then `compare`'s); with seeds=N each net is N models */
  net: number;
  /** the seed it trains with: config.seed + its repeat */
  seed: number;
}

/** A model's ModelInfo alone, picked from a larger record of it (a model's view, a stored model). */
export function modelInfoOf(m: ModelInfo): ModelInfo {
  const { name, params, macs, stepsPerEpoch, totalSteps, batch, net, seed } = m;
  return { name, params, macs, stepsPerEpoch, totalSteps, batch, net, seed };
}

/** Where a run is: loading its data, training, paused (at any phase), or ending after a stop. */
export type RunState = 'loading' | 'running' | 'paused' | 'stopping';

/** How a run ended ('runEnded'). */
export type RunOutcome = 'finished' | 'stopped' | 'failed';

/**
 * Where a run stands, as the page shows it and the run history stores it: 'starting' (asked for, not yet begun), one
 * of its states, how it ended, or 'interrupted' (the worker crashed, the GPU device was lost or the page went away
 * under it; its last checkpoint can resume it). The last four are final.
 */
export type RunStatus = 'starting' | RunState | RunOutcome | 'interrupted';

/** True once a run has ended (finished, stopped, failed or interrupted). */
export function isFinal(status: RunStatus): boolean {
  return status === 'finished' || status === 'stopped' || status === 'failed' || status === 'interrupted';
}

export type RunEvent =
  | { type: 'state'; state: RunState }
  | ({ type: 'modelStarted'; model: number } & ModelInfo)
  | { type: 'metrics'; model: number; points: MetricPoint[] }
  | { type: 'checkpoint'; checkpoint: Checkpoint }
  /** weights: the trained model as model.json + weights.bin, or null when not asked for or not readable */
  | { type: 'modelEnded'; model: number; summary: RunSummary; weights: SavedWeights | null }
  /** the last event of a run; error: why it failed (null unless status is 'failed') */
  | { type: 'runEnded'; status: RunOutcome; error: ClassifiedError | null };
