/**
 * Records the worker client's runs into the run store as they go: the run's record on every change of status or
 * models, the new metric points in one batch per `flushMs` (a chunk per model), the test samples once, and each
 * checkpoint the worker sends. Writes go one after another through a queue, so they land in the order they
 * happened.
 *
 * A write the browser refuses (its storage quota is used up, or IndexedDB is unavailable) never stops the run:
 * the points stay in the client's state (memory) and the recorder says so in `storageError`; what was not written
 * is written at the next try (`retry()`, e.g. after old runs were deleted, or on its own after `retryMs`).
 *
 * While a run is under way this page holds a Web Lock named after its key (`runLockName`), so that another tab (or
 * this one after a reload) can tell a run that trains somewhere from one whose page is gone ("interrupted").
 */
import { encodeConfig } from '../../core/url';
import type { Checkpoint } from '../../core/checkpoint';
import { isFinal, modelInfoOf } from '../../core/runEvents';
import type { WorkerClient, WorkerState, RunView, ModelView } from '../workerClient';
import { isQuotaError, type PointChunk, type RunStore, type SavedModel, type SavedRun } from './runStore';

export interface RecorderState {
  /** the history key of the run being recorded (the current run), null before the first */
  currentKey: string | null;
  /** why the last write failed, for people; null while writes succeed */
  storageError: string | null;
  /** grows whenever something was written, so lists (steps, storage used) can refresh */
  savedCount: number;
}

export interface RunRecorder {
  getSnapshot(): RecorderState;
  subscribe(listener: () => void): () => void;
  /** before `client.start(..., resume)`: the stored run the next run continues (keeps its key and creation time) */
  expectResume(run: SavedRun): void;
  /** the latest checkpoint of a model of the run being recorded that could not be stored (yet), else null */
  checkpointInMemory(key: string, model: number): Checkpoint | null;
  /** writes what is pending now (also called on page hide) */
  flush(): Promise<void>;
  /** tries again after a refused write */
  retry(): Promise<void>;
  dispose(): void;
}

export interface RecorderOptions {
  client: WorkerClient;
  store: Promise<RunStore>;
  /** the longest time points wait before they are written (ms) */
  flushMs?: number;
  /** after a refused write, the time before the next automatic try (ms) */
  retryMs?: number;
  now?: () => number;
  /** Web Locks (navigator.locks), or null where there are none */
  locks?: LockManager | null;
}

/** How many points of each kind of a model are already stored. */
interface Written {
  steps: number;
  evals: number;
  blocks: number;
}

function writtenOf(m: ModelView | undefined | null): Written {
  return { steps: m?.steps.length ?? 0, evals: m?.evals.length ?? 0, blocks: m?.blocks.length ?? 0 };
}

export const runLockName = (key: string) => `wrn-run:${key}`;

/** The history keys of runs that some page (this or another tab) is recording now. */
export async function heldRunKeys(locks: LockManager | null = globalThis.navigator?.locks ?? null): Promise<Set<string>> {
  if (!locks) return new Set();
  const snapshot = await locks.query();
  const names = [...(snapshot.held ?? []), ...(snapshot.pending ?? [])].map((l) => l.name ?? '');
  return new Set(names.filter((n) => n.startsWith('wrn-run:')).map((n) => n.slice('wrn-run:'.length)));
}

interface Tracked {
  runId: number;
  key: string;
  createdAt: number;
  /** points of each model already written */
  written: Written[];
  /** per model: the step after which stored points are replaced (a resume), until written */
  truncateAfter: Map<number, number>;
  samplesWritten: boolean;
  /** the run view last written, to skip writes that would change nothing */
  lastWritten: RunView | null;
  /** checkpoints not stored yet (a refused write): kept so that Resume still works in this tab */
  checkpoints: Map<number, Checkpoint>;
  /**
   * per model: the step of the checkpoint the store holds, the only step the run's record may name. The client's
   * view names a checkpoint as soon as the worker sends it, before it is stored (a big one takes a while): a record
   * written from the view in between, then a reload, would offer a Resume "from step 20" that reads step 15.
   */
  storedCheckpoints: Map<number, number>;
  releaseLock: (() => void) | null;
}

const QUOTA_MESSAGE =
  'The browser refused to store more (its storage quota for this site is used up). This run goes on and is kept in ' +
  'this tab only; delete old runs under Run history to free space, and saving resumes.';

export function createRunRecorder(opts: RecorderOptions): RunRecorder {
  const { client, flushMs = 1000, retryMs = 30_000, now = Date.now } = opts;
  const locks = opts.locks === undefined ? (globalThis.navigator?.locks ?? null) : opts.locks;
  let state: RecorderState = { currentKey: null, storageError: null, savedCount: 0 };
  const listeners = new Set<() => void>();
  const setState = (patch: Partial<RecorderState>) => {
    state = { ...state, ...patch };
    for (const l of [...listeners]) l();
  };

  let tracked: Tracked | null = null;
  const resumes = new Map<string, SavedRun>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** set after a refused write: no automatic writes before this time */
  let blockedUntil = 0;
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (task: () => Promise<void>): Promise<void> => (queue = queue.then(task, task));

  const fail = (err: unknown) => {
    const message = isQuotaError(err)
      ? QUOTA_MESSAGE
      : `Could not save this run in the browser (${err instanceof Error ? err.message : String(err)}). It goes on and is kept in this tab only.`;
    blockedUntil = now() + retryMs;
    if (state.storageError !== message) setState({ storageError: message });
    schedule(retryMs);
  };
  /** After a write: clears a refusal's message and tells lists to refresh when anything was written. */
  const succeeded = (wrote: boolean) => {
    const wasBlocked = blockedUntil !== 0 || state.storageError !== null;
    blockedUntil = 0;
    if (wrote || wasBlocked) setState({ storageError: null, savedCount: state.savedCount + 1 });
  };

  function track(run: RunView): Tracked {
    const resumed = run.historyKey ? resumes.get(run.historyKey) : undefined;
    if (run.historyKey) resumes.delete(run.historyKey);
    const key = run.historyKey ?? newKey(now());
    const t: Tracked = {
      runId: run.runId,
      key,
      createdAt: resumed?.createdAt ?? now(),
      // A resumed run's preset points are already stored.
      written: run.models.map(writtenOf),
      truncateAfter: new Map(),
      samplesWritten: false,
      lastWritten: null,
      checkpoints: new Map(),
      // A resumed run's record names what the store holds (its checkpoint may have come from memory instead).
      storedCheckpoints: new Map((resumed?.models ?? []).flatMap((m) => (m && m.checkpointStep !== null ? [[m.index, m.checkpointStep] as const] : []))),
      releaseLock: null,
    };
    for (const m of run.models) if (m && m.checkpointStep !== null && !m.summary) t.truncateAfter.set(m.index, m.checkpointStep);
    if (locks && !isFinal(run.status)) {
      void locks.request(runLockName(key), () => new Promise<void>((release) => (t.releaseLock = release))).catch(() => undefined);
    }
    return t;
  }

  function savedRunOf(t: Tracked, run: RunView): SavedRun {
    return {
      key: t.key,
      createdAt: t.createdAt,
      updatedAt: now(),
      configText: encodeConfig(run.config),
      config: run.config,
      status: run.status,
      models: Array.from(run.models, (m) => (m ? savedModelOf(m, t.storedCheckpoints.get(m.index) ?? null) : null)),
    };
  }

  /**
   * Writes the tracked run's record and new points; on failure nothing counts as written. Resolves true when it
   * wrote anything.
   */
  async function write(): Promise<boolean> {
    const t = tracked;
    const run = client.getSnapshot().run;
    if (!t || !run || run.runId !== t.runId) return false;
    const chunks: PointChunk[] = [];
    const written = run.models.map(writtenOf);
    run.models.forEach((m, i) => {
      if (!m) return;
      const done = t.written[i] ?? { steps: 0, evals: 0, blocks: 0 };
      const steps = m.steps.slice(done.steps);
      const evals = m.evals.slice(done.evals);
      const blocks = m.blocks.slice(done.blocks);
      const truncateAfter = t.truncateAfter.get(i);
      if (steps.length || evals.length || blocks.length || truncateAfter !== undefined) {
        chunks.push({
          run: t.key,
          model: i,
          steps,
          evals,
          ...(blocks.length ? { blocks } : {}),
          ...(truncateAfter !== undefined ? { truncateAfter } : {}),
        });
      }
    });
    const recordChanged = !t.lastWritten || !sameRecord(t.lastWritten, run);
    if (chunks.length === 0 && !recordChanged && (t.samplesWritten || !run.samples)) return false;
    const samples = !t.samplesWritten && run.samples ? run.samples : undefined;
    const store = await opts.store;
    await store.save(savedRunOf(t, run), chunks, samples);
    t.written = written;
    t.truncateAfter.clear();
    if (samples) t.samplesWritten = true;
    t.lastWritten = run;
    return true;
  }

  function flushNow(): Promise<void> {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    return enqueue(() => write().then(succeeded, fail));
  }

  function schedule(ms: number) {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      if (now() < blockedUntil) return schedule(blockedUntil - now());
      void flushNow();
    }, ms);
  }

  let lastState: WorkerState | null = null;
  const onChange = () => {
    const s = client.getSnapshot();
    if (s === lastState) return;
    const previous = lastState?.run ?? null;
    lastState = s;
    const run = s.run;
    if (!run) return;
    if (!tracked || tracked.runId !== run.runId) {
      // The previous run's last points and status first, then the new run.
      if (tracked) void flushNow();
      tracked = track(run);
      setState({ currentKey: tracked.key });
      void flushNow();
      return;
    }
    if (previous && previous.runId === run.runId && previous.status !== run.status) {
      if (isFinal(run.status)) {
        const t = tracked;
        void flushNow().then(() => {
          t.releaseLock?.();
          t.releaseLock = null;
        });
      } else if (now() >= blockedUntil) void flushNow();
      return;
    }
    schedule(flushMs);
  };
  const unsubscribe = client.subscribe(onChange);

  const unsubscribeCheckpoints = client.onCheckpoint((runId, model, checkpoint) => {
    const t = tracked;
    if (!t || t.runId !== runId) return;
    t.checkpoints.set(model, checkpoint);
    // The run's record first (a checkpoint belongs to a stored run), then the checkpoint.
    void enqueue(async () => {
      try {
        await write();
        const store = await opts.store;
        // The checkpoint and the record's step in one transaction: a reload between them cannot part them.
        await store.putCheckpoint(t.key, model, checkpoint);
        t.storedCheckpoints.set(model, checkpoint.step);
        // Stored: no need to hold it (a big net's checkpoint is hundreds of MB).
        if (t.checkpoints.get(model) === checkpoint) t.checkpoints.delete(model);
        succeeded(true);
      } catch (err) {
        fail(err);
      }
    });
  });

  const onHide = () => void flushNow();
  globalThis.addEventListener?.('pagehide', onHide);

  return {
    getSnapshot: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    expectResume(run) {
      resumes.set(run.key, run);
    },
    checkpointInMemory(key, model) {
      return tracked?.key === key ? (tracked.checkpoints.get(model) ?? null) : null;
    },
    flush: flushNow,
    async retry() {
      blockedUntil = 0;
      await flushNow();
      // a checkpoint that could not be stored is tried again too
      const t = tracked;
      if (t?.checkpoints.size) {
        await enqueue(async () => {
          try {
            const store = await opts.store;
            for (const [model, c] of [...t.checkpoints]) {
              await store.putCheckpoint(t.key, model, c);
              t.storedCheckpoints.set(model, c.step);
              if (t.checkpoints.get(model) === c) t.checkpoints.delete(model);
            }
          } catch (err) {
            fail(err);
          }
        });
      }
    },
    dispose() {
      unsubscribe();
      unsubscribeCheckpoints();
      globalThis.removeEventListener?.('pagehide', onHide);
      if (timer !== null) clearTimeout(timer);
      tracked?.releaseLock?.();
    },
  };
}

/** The model's record; `checkpointStep` is the stored checkpoint's step, not the view's (see `storedCheckpoints`). */
function savedModelOf(m: ModelView, checkpointStep: number | null): SavedModel {
  return { ...modelInfoOf(m), index: m.index, summary: m.summary, checkpointStep, lastStep: m.steps.at(-1)?.step ?? 0 };
}

/** Whether two views of a run would store the same record (points aside). */
function sameRecord(a: RunView, b: RunView): boolean {
  if (a.status !== b.status || a.config !== b.config || a.models.length !== b.models.length) return false;
  return a.models.every((m, i) => {
    const n = b.models[i];
    return m === n || (!!m && !!n && m.summary === n.summary && m.checkpointStep === n.checkpointStep && m.name === n.name);
  });
}

/** Unique enough across tabs: the time, then randomness. Sorts by creation. */
function newKey(time: number): string {
  const random = globalThis.crypto?.randomUUID?.() ?? Math.random().toString(36).slice(2);
  return `${time.toString(36).padStart(9, '0')}-${random}`;
}
