/**
 * The run history as the page sees it (no React here; `hooks/useHistory.ts` adapts it): the stored runs with
 * what became of them, the ones opened for viewing next to the live run, the storage used, and the commands
 * Open, Compare, Hide, Delete and Resume.
 *
 * Opened runs are drawn as RunRecords with ids `saved-<key>-<model>`, named with their time so that the legend
 * and the table tell them from the live run. The run the recorder is writing now is never drawn twice: while it
 * is the live run, its stored copy is left out.
 */
import { runJobs, type Config } from '../core/config';
import type { TestSamples } from '../core/data/dataset';
import type { CloneableSource } from '../core/data/sources';
import type { InspectWeights } from '../worker/protocol';
import type { Checkpoint } from '../core/checkpoint';
import { isFinal, modelInfoOf, type RunStatus } from '../core/runEvents';
import { decodeConfig } from '../core/url';
import type { RunRecord } from './lib/runRecord';
import type { RunRecorder } from './lib/runRecorder';
import { heldRunKeys } from './lib/runRecorder';
import { displayStatus, estimateStorage, type LoadedRun, type ModelPoints, type RunStore, type SavedRun } from './lib/runStore';
import type { ModelView, WorkerClient } from './workerClient';

export interface HistoryEntry {
  run: SavedRun;
  /** its status, "interrupted" when it was under way and no page holds it any more */
  status: RunStatus;
  /** the model a Resume would go on with, and from which step; null when it cannot be resumed */
  resumeFrom: { model: number; step: number } | null;
  /** the run being recorded by this page now */
  live: boolean;
}

export type HistoryNote = { kind: 'ok' | 'error'; text: string } | null;

export interface HistoryView {
  /** newest first; null until first read */
  entries: readonly HistoryEntry[] | null;
  /** the opened runs' models, in the order opened */
  shown: readonly RunRecord[];
  /** keys of the opened runs */
  shownKeys: readonly string[];
  /** test images of the last opened run, for the evaluation grid when no live run has any */
  shownSamples: TestSamples | null;
  usage: { usage: number; quota: number } | null;
  /** the recorder's write failure (e.g. the quota), for people */
  storageError: string | null;
  /** the outcome of the last command */
  note: HistoryNote;
  /** IndexedDB could not be opened: nothing is kept */
  unavailable: string | null;
}

export interface History {
  getSnapshot(): HistoryView;
  subscribe(listener: () => void): () => void;
  refresh(): Promise<void>;
  /** shows only this stored run (besides the live one) */
  open(key: string): Promise<void>;
  /** adds this stored run to those shown */
  compare(key: string): Promise<void>;
  hide(key: string): void;
  remove(key: string): Promise<void>;
  /**
   * Goes on with an interrupted run from its last checkpoint, in the same stored record. `sourceFor` says where
   * the data comes from (the page's data controls), or why it cannot start now.
   */
  resume(key: string, sourceFor: (run: SavedRun) => CloneableSource | string): Promise<boolean>;
  /**
   * The stored weights of a shown model (`RunRecord.id` of `shown`): its latest checkpoint's, for lesions and
   * feature maps, with the config it trained with and the checkpoint's step; null when it has none.
   */
  weightsOf(recordId: string): Promise<StoredWeights | null>;
  dispose(): void;
}

export interface StoredWeights {
  config: Config;
  weights: InspectWeights;
  step: number;
}

export interface HistoryOptions {
  client: WorkerClient;
  recorder: RunRecorder;
  store: Promise<RunStore>;
  heldKeys?: () => Promise<Set<string>>;
  estimate?: () => Promise<{ usage: number; quota: number } | null>;
  /** open the newest run when the page loads with no run of its own (a reload shows what it had) */
  openLatest?: boolean;
}

interface Opened {
  key: string;
  loaded: LoadedRun;
  status: RunStatus;
}

export function createHistory(opts: HistoryOptions): History {
  const { client, recorder, store } = opts;
  const heldKeys = opts.heldKeys ?? (() => heldRunKeys());
  const estimate = opts.estimate ?? estimateStorage;
  let opened: Opened[] = [];
  let view: HistoryView = {
    entries: null,
    shown: [],
    shownKeys: [],
    shownSamples: null,
    usage: null,
    storageError: recorder.getSnapshot().storageError,
    note: null,
    unavailable: null,
  };
  const listeners = new Set<() => void>();
  const set = (patch: Partial<HistoryView>) => {
    view = { ...view, ...patch };
    for (const l of [...listeners]) l();
  };

  /** The key of the run this page trains now: its stored copy is not drawn next to it. */
  const liveKey = (): string | null => {
    const run = client.getSnapshot().run;
    return run ? recorder.getSnapshot().currentKey : null;
  };

  const recompute = () => {
    const live = liveKey();
    const visible = opened.filter((o) => o.key !== live);
    const shown = visible.flatMap((o) => recordsOf(o.loaded, o.status));
    const samples = visible.at(-1)?.loaded.samples ?? null;
    set({ shown, shownKeys: visible.map((o) => o.key), shownSamples: samples });
  };

  let refreshing: Promise<void> | null = null;
  let again = false;
  const refresh = async (): Promise<void> => {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        try {
          const db = await store;
          const [runs, held, usage] = await Promise.all([db.listRuns(), heldKeys().catch(() => new Set<string>()), estimate()]);
          const live = liveKey();
          const liveRun = client.getSnapshot().run;
          const entries = runs.map((run): HistoryEntry => {
            const isLive = run.key === live && liveRun !== null && !isFinal(liveRun.status);
            const status = isLive ? run.status : displayStatus(run, held);
            const resumable = status === 'interrupted' || status === 'stopped';
            return { run, status, live: isLive, resumeFrom: resumable ? resumePoint(run, recorder) : null };
          });
          // An opened run's status may have changed (it ended, or its page went away).
          opened = opened.filter((o) => runs.some((r) => r.key === o.key));
          for (const o of opened) o.status = entries.find((e) => e.run.key === o.key)?.status ?? o.status;
          set({ entries, usage, unavailable: null });
          recompute();
        } catch (err) {
          set({ entries: [], unavailable: `The browser's storage (IndexedDB) cannot be used here: ${messageOf(err)}. Runs are kept in this tab only.` });
        }
      } while (again);
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  };

  const load = async (key: string): Promise<Opened | null> => {
    const loaded = await (await store).loadRun(key);
    if (!loaded) {
      set({ note: { kind: 'error', text: 'That run is no longer stored (deleted in another tab?).' } });
      return null;
    }
    const status = view.entries?.find((e) => e.run.key === key)?.status ?? loaded.run.status;
    return { key, loaded, status };
  };

  let lastCount = recorder.getSnapshot().savedCount;
  const offRecorder = recorder.subscribe(() => {
    const r = recorder.getSnapshot();
    if (r.storageError !== view.storageError) set({ storageError: r.storageError });
    if (r.savedCount !== lastCount) {
      lastCount = r.savedCount;
      void refresh();
    }
  });
  // A new live run hides its stored copy; the end of one updates statuses.
  let lastRun = client.getSnapshot().run;
  const offClient = client.subscribe(() => {
    const run = client.getSnapshot().run;
    if (run?.runId !== lastRun?.runId || run?.status !== lastRun?.status) {
      lastRun = run;
      recompute();
    }
  });

  void refresh().then(async () => {
    const latest = view.entries?.[0];
    if (opts.openLatest !== false && latest && client.getSnapshot().run === null && opened.length === 0) {
      const o = await load(latest.run.key);
      if (o && opened.length === 0 && client.getSnapshot().run === null) {
        opened = [o];
        recompute();
      }
    }
  });

  return {
    getSnapshot: () => view,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    refresh,
    async open(key) {
      const o = await load(key);
      if (!o) return;
      opened = [o];
      recompute();
      set({ note: { kind: 'ok', text: `Opened ${describeRun(o.loaded.run)}.` } });
    },
    async compare(key) {
      const o = await load(key);
      if (!o) return;
      opened = [...opened.filter((x) => x.key !== key), o];
      recompute();
      set({ note: { kind: 'ok', text: `Showing ${describeRun(o.loaded.run)} next to the others.` } });
    },
    hide(key) {
      opened = opened.filter((o) => o.key !== key);
      recompute();
    },
    async remove(key) {
      const entry = view.entries?.find((e) => e.run.key === key);
      if (entry?.live || (entry && !isFinal(entry.status))) {
        set({ note: { kind: 'error', text: 'This run is still training; stop it first.' } });
        return;
      }
      try {
        await (await store).deleteRun(key);
        opened = opened.filter((o) => o.key !== key);
        set({ note: { kind: 'ok', text: entry ? `Deleted ${describeRun(entry.run)}.` : 'Deleted.' } });
        await refresh();
        // Space was freed: what the recorder could not write may fit now.
        if (recorder.getSnapshot().storageError) await recorder.retry();
      } catch (err) {
        set({ note: { kind: 'error', text: `Could not delete the run: ${messageOf(err)}` } });
      }
    },
    async resume(key, sourceFor) {
      const fail = (text: string) => {
        set({ note: { kind: 'error', text } });
        return false;
      };
      const current = client.getSnapshot().run;
      if (current && !isFinal(current.status)) return fail('A run is training; stop it before resuming another.');
      const entry = view.entries?.find((e) => e.run.key === key);
      const from = entry?.resumeFrom;
      if (!entry || !from) return fail('This run has no checkpoint to resume from.');
      const db = await store;
      const loaded = await db.loadRun(key);
      if (!loaded) return fail('That run is no longer stored.');
      const checkpoint: Checkpoint | null = recorder.checkpointInMemory(key, from.model) ?? (await db.getCheckpoint(key, from.model))?.checkpoint ?? null;
      if (!checkpoint) return fail('The checkpoint of this run could not be read back; it cannot be resumed.');
      const source = sourceFor(loaded.run);
      if (typeof source === 'string') return fail(source);
      recorder.expectResume(loaded.run);
      client.start(loaded.run.config, source, { historyKey: key, checkpoint, models: resumedModels(loaded, from.model, checkpoint.step) });
      opened = opened.filter((o) => o.key !== key);
      recompute();
      set({ note: { kind: 'ok', text: `Resuming ${describeRun(loaded.run)} from step ${checkpoint.step}.` } });
      void refresh();
      return true;
    },
    async weightsOf(recordId) {
      for (const o of opened) {
        const i = o.loaded.run.models.findIndex((m, index) => m !== null && recordId === recordIdOf(o.key, index));
        if (i < 0) continue;
        const m = o.loaded.run.models[i]!;
        const job = runJobs(o.loaded.run.config)[i];
        const checkpoint = recorder.checkpointInMemory(o.key, i) ?? (await (await store).getCheckpoint(o.key, i))?.checkpoint ?? null;
        if (!job || !checkpoint || checkpoint.weights.length === 0) return null;
        return {
          config: o.loaded.run.config,
          weights: { kind: 'arrays', name: m.name, model: job.model, weights: checkpoint.weights },
          step: checkpoint.step,
        };
      }
      return null;
    },
    dispose() {
      offRecorder();
      offClient();
    },
  };
}

/**
 * The model a Resume goes on with: the last one started, when it has a checkpoint and did not finish (it was
 * interrupted, or stopped by the person: the worker checkpoints on stop too).
 */
function resumePoint(run: SavedRun, recorder: RunRecorder): { model: number; step: number } | null {
  const i = run.models.length - 1;
  const m = run.models[i];
  if (!m || m.summary?.status === 'finished') return null;
  const step = recorder.checkpointInMemory(run.key, i)?.step ?? m.checkpointStep;
  return step === null ? null : { model: i, step };
}

/** The stored models as the client's views: the ones before `model` whole, `model` up to `step`. */
function resumedModels(loaded: LoadedRun, model: number, step: number): ModelView[] {
  const views: ModelView[] = [];
  const seed = decodeConfig(loaded.run.configText).config.seed; // for runs saved before seeds existed
  for (let i = 0; i <= model; i++) {
    const m = loaded.run.models[i];
    const p = loaded.points[i] ?? { steps: [], evals: [], blocks: [] };
    if (!m) continue;
    const cut = i === model;
    views[i] = {
      ...modelInfoOf({ ...m, net: m.net ?? i, seed: m.seed ?? seed }),
      index: i,
      steps: cut ? p.steps.filter((s) => s.step <= step) : p.steps,
      evals: cut ? p.evals.filter((s) => s.step <= step) : p.evals,
      blocks: cut ? p.blocks.filter((s) => s.step <= step) : p.blocks,
      summary: cut ? null : m.summary,
      checkpointStep: cut ? step : m.checkpointStep,
    };
  }
  return views;
}

function recordsOf(loaded: LoadedRun, status: RunStatus): RunRecord[] {
  const when = timeOf(loaded.run.createdAt);
  return loaded.run.models.flatMap((m, i): RunRecord[] => {
    if (!m) return [];
    const p: ModelPoints = loaded.points[i] ?? { steps: [], evals: [], blocks: [] };
    return [
      {
        id: recordIdOf(loaded.run.key, i),
        name: `${m.name} (saved ${when})`,
        params: m.params,
        macs: m.macs,
        steps: p.steps,
        evals: p.evals,
        blocks: p.blocks,
        imported: false,
        totalSteps: m.totalSteps,
        summary: m.summary,
        savedStatus: m.summary ? m.summary.status : status,
      },
    ];
  });
}

/** The RunRecord id of model `index` of a stored run. */
function recordIdOf(key: string, index: number): string {
  return `saved-${key}-${index}`;
}

/** "WRN-10-1, 29 Nov 08:52" */
export function describeRun(run: SavedRun): string {
  const names = run.models.filter((m) => m !== null).map((m) => m.name);
  return `${names.length ? names.join(' vs ') : 'a run'} of ${dateTimeOf(run.createdAt)}`;
}

function timeOf(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function dateTimeOf(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
