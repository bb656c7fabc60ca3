/**
 * The run history kept in the browser (IndexedDB, through `idb`): every run's config, status, models, metric
 * points and latest checkpoint per model, so that a reload, a new tab or a crash shows them again and an
 * interrupted run can go on.
 *
 * Four object stores:
 * - `runs`: one SavedRun per run (small: config, status, the models' sizes and summaries), rewritten each flush;
 * - `samples`: the run's first test images for the evaluation grid (about 300 KB), written once;
 * - `points`: the metric points in chunks, one record per model per flush (a flush holds about a second of points,
 *   so a long run is thousands of small records, not one per point nor one record rewritten ever larger);
 * - `checkpoints`: the latest checkpoint of each model, stored as the worker sent it (typed arrays included).
 *
 * A chunk may say `truncateAfter`: a resumed run goes on from its checkpoint's step, so the points recorded after
 * that step (before the interruption) are dropped when the history is read back and the redone steps replace them.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Checkpoint } from '../../core/checkpoint';
import type { Config } from '../../core/config';
import type { TestSamples } from '../../core/data/dataset';
import type { BlockPoint, EvalPoint, RunSummary, StepPoint } from '../../core/metrics';
import { isFinal, type ModelInfo, type RunStatus } from '../../core/runEvents';

/**
 * A stored model: what it is (the core's ModelInfo; `net` and `seed` are absent in runs saved before seeds existed),
 * how it ended, and how far its points and checkpoint go.
 */
export interface SavedModel extends Omit<ModelInfo, 'net' | 'seed'>, Partial<Pick<ModelInfo, 'net' | 'seed'>> {
  index: number;
  summary: RunSummary | null;
  /** the step of the model's latest stored checkpoint, null when none */
  checkpointStep: number | null;
  /** the last step recorded (the points hold the details) */
  lastStep: number;
}

export interface SavedRun {
  /** unique across tabs and reloads (the client's runId is per page) */
  key: string;
  /** ms since the epoch */
  createdAt: number;
  updatedAt: number;
  /** the config's URL text, as the link would hold it */
  configText: string;
  config: Config;
  /** as the page last saw it; an active one is "interrupted" when no page holds the run (see `displayStatus`) */
  status: RunStatus;
  /** by model index; a compare run fills them one after another (holes are null) */
  models: (SavedModel | null)[];
}

export interface PointChunk {
  run: string;
  model: number;
  steps: StepPoint[];
  evals: EvalPoint[];
  /** inside the net at evaluations (absent in chunks written before they existed) */
  blocks?: BlockPoint[];
  /** drop the model's points after this step before adding these (a resume from a checkpoint) */
  truncateAfter?: number;
}

export interface SavedCheckpoint {
  run: string;
  model: number;
  step: number;
  savedAt: number;
  checkpoint: Checkpoint;
}

/** A run with its points read back, one entry per model index. */
export interface LoadedRun {
  run: SavedRun;
  /** the run's first test images, for the evaluation grid, when they were stored */
  samples: TestSamples | null;
  points: ModelPoints[];
}

/** One model's stored points by kind. */
export interface ModelPoints {
  steps: StepPoint[];
  evals: EvalPoint[];
  blocks: BlockPoint[];
}

interface HistorySchema extends DBSchema {
  runs: { key: string; value: SavedRun; indexes: { byCreated: number } };
  samples: { key: string; value: TestSamples };
  points: { key: number; value: PointChunk; indexes: { byRun: string } };
  checkpoints: { key: [string, number]; value: SavedCheckpoint; indexes: { byRun: string } };
}

export const HISTORY_DB = 'wrn-playground-history';
const VERSION = 1;

export interface RunStore {
  /** writes the run's record and any new point chunks (and its samples, once) in one transaction */
  save(run: SavedRun, chunks?: readonly PointChunk[], samples?: TestSamples): Promise<void>;
  /** replaces the model's stored checkpoint and records its step on the run */
  putCheckpoint(runKey: string, model: number, checkpoint: Checkpoint): Promise<void>;
  getCheckpoint(runKey: string, model: number): Promise<SavedCheckpoint | undefined>;
  /** newest first */
  listRuns(): Promise<SavedRun[]>;
  loadRun(key: string): Promise<LoadedRun | undefined>;
  /** the run, its points and its checkpoints */
  deleteRun(key: string): Promise<void>;
  close(): void;
}

export async function openRunStore(name = HISTORY_DB): Promise<RunStore> {
  const db: IDBPDatabase<HistorySchema> = await openDB<HistorySchema>(name, VERSION, {
    upgrade(db) {
      db.createObjectStore('runs', { keyPath: 'key' }).createIndex('byCreated', 'createdAt');
      db.createObjectStore('samples');
      db.createObjectStore('points', { autoIncrement: true }).createIndex('byRun', 'run');
      db.createObjectStore('checkpoints', { keyPath: ['run', 'model'] }).createIndex('byRun', 'run');
    },
    // Another tab opening a newer version: let it (this tab's writes then fail and say so).
    blocking() {
      db.close();
    },
  });

  return {
    async save(run, chunks = [], samples) {
      const tx = db.transaction(['runs', 'points', 'samples'], 'readwrite');
      const points = tx.objectStore('points');
      // All requests are issued before awaiting, so the transaction stays open; tx.done reports any failure.
      const writes: Promise<unknown>[] = [tx.objectStore('runs').put(run)];
      if (samples) writes.push(tx.objectStore('samples').put(samples, run.key));
      for (const c of chunks) writes.push(points.add(c));
      await Promise.all([...writes, tx.done]);
    },

    async putCheckpoint(runKey, model, checkpoint) {
      const tx = db.transaction(['runs', 'checkpoints'], 'readwrite');
      const runs = tx.objectStore('runs');
      const saved: SavedCheckpoint = { run: runKey, model, step: checkpoint.step, savedAt: Date.now(), checkpoint };
      const put = tx.objectStore('checkpoints').put(saved);
      const run = await runs.get(runKey);
      const m = run?.models[model];
      if (run && m) {
        const models = run.models.slice();
        models[model] = { ...m, checkpointStep: checkpoint.step };
        await runs.put({ ...run, models });
      }
      await Promise.all([put, tx.done]);
    },

    getCheckpoint: (runKey, model) => db.get('checkpoints', [runKey, model]),

    async listRuns() {
      const runs = await db.getAllFromIndex('runs', 'byCreated');
      return runs.reverse();
    },

    async loadRun(key) {
      const tx = db.transaction(['runs', 'points', 'samples'], 'readonly');
      const [run, chunks, samples] = await Promise.all([
        tx.objectStore('runs').get(key),
        tx.objectStore('points').index('byRun').getAll(key),
        tx.objectStore('samples').get(key),
        tx.done,
      ]);
      if (!run) return undefined;
      return { run, samples: samples ?? null, points: mergeChunks(chunks, run.models.length) };
    },

    async deleteRun(key) {
      const tx = db.transaction(['runs', 'samples', 'points', 'checkpoints'], 'readwrite');
      const range = IDBKeyRange.only(key);
      const deletes: Promise<unknown>[] = [tx.objectStore('runs').delete(key), tx.objectStore('samples').delete(key)];
      for (const store of ['points', 'checkpoints'] as const) {
        let cursor = await tx.objectStore(store).index('byRun').openKeyCursor(range);
        while (cursor) {
          deletes.push(tx.objectStore(store).delete(cursor.primaryKey));
          cursor = await cursor.continue();
        }
      }
      await Promise.all([...deletes, tx.done]);
    },

    close: () => db.close(),
  };
}

/**
 * The models' points from their chunks in the order they were written (`getAll` on the index returns them by
 * primary key, which grows with each write). A chunk's `truncateAfter` drops what a resume redoes.
 */
export function mergeChunks(chunks: readonly PointChunk[], models: number): LoadedRun['points'] {
  const out = Array.from({ length: models }, (): ModelPoints => ({ steps: [], evals: [], blocks: [] }));
  for (const c of chunks) {
    out[c.model] ??= { steps: [], evals: [], blocks: [] };
    const m = out[c.model]!;
    if (c.truncateAfter !== undefined) {
      const after = c.truncateAfter;
      m.steps = m.steps.filter((p) => p.step <= after);
      m.evals = m.evals.filter((p) => p.step <= after);
      m.blocks = m.blocks.filter((p) => p.step <= after);
    }
    m.steps.push(...c.steps);
    m.evals.push(...c.evals);
    m.blocks.push(...(c.blocks ?? []));
  }
  return out;
}

/** True for the browser's refusal to store more (the origin's quota is used up). */
export function isQuotaError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown; inner?: unknown };
  // 22: the legacy code; Firefox once used its own name.
  return e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED' || e.code === 22;
}

/**
 * What to call a stored run: an active status is true only while some page holds the run's lock (it trains in
 * this or another tab); otherwise that page was closed, reloaded or crashed and the run is "interrupted".
 */
export function displayStatus(run: SavedRun, heldKeys: ReadonlySet<string>): RunStatus {
  return !isFinal(run.status) && !heldKeys.has(run.key) ? 'interrupted' : run.status;
}

/** Bytes used and allowed for this origin's storage, when the browser says. */
export async function estimateStorage(): Promise<{ usage: number; quota: number } | null> {
  try {
    const e = await navigator.storage?.estimate?.();
    return e && typeof e.usage === 'number' && typeof e.quota === 'number' ? { usage: e.usage, quota: e.quota } : null;
  } catch {
    return null;
  }
}
