/**
 * The React side of training: a thin adapter over the worker client (`workerClient.ts`, zustand's vanilla shape).
 * Components read small slices with `useTrainingSelector`, so a metrics message re-renders the charts and the
 * table, not the controls; notifications are throttled (lib/throttle.ts) so a burst of messages is one redraw.
 *
 * `createViewAdapter` turns the client's state into the TrainingView that components read; outside the components,
 * the run recorder and the run history read the client's state themselves.
 */
import { createContext, createElement, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { Config, EngineInfo } from '../../core/config';
import type { TestSamples } from '../../core/data/dataset';
import type { BackendInfo, DataProgress } from '../../worker/protocol';
import type { RunRecord } from '../lib/runRecord';
import { throttleSubscribe } from '../lib/throttle';
import { isFinal, type RunStatus } from '../../core/runEvents';
import type { ModelView, WorkerClient, WorkerError, WorkerState } from '../workerClient';

/** 'idle' before the first run; then the client's run status. */
export type RunPhase = 'idle' | RunStatus;

/** Everything the page shows about training. Slices keep their identity while unchanged. */
export interface TrainingView {
  backend: BackendInfo | null;
  /** the current run's id, null before the first */
  runId: number | null;
  /** the config the current run was started with (not the page's config now), null before the first */
  runConfig: Config | null;
  phase: RunPhase;
  data: DataProgress | null;
  /** index of the model training now (into the config's models), null when none */
  currentModel: number | null;
  /** the current run's models that have started, in order */
  runs: readonly RunRecord[];
  samples: TestSamples | null;
  errors: readonly WorkerError[];
  /** the current run's hand-set learning rate, or null while it follows the schedule (see RunView.lrOverride) */
  lrOverride: number | null;
  /** the engine of the model training now, else of the run's last model to start; null before any */
  engine: EngineInfo | null;
}

/** Reuses the previous view's slices where the client state did not change them (selectors compare by identity). */
function createViewAdapter(): (s: WorkerState) => TrainingView {
  const records = new WeakMap<ModelView, RunRecord>();
  let lastModels: readonly ModelView[] | null = null;
  let lastRuns: readonly RunRecord[] = [];
  const recordOf = (m: ModelView): RunRecord => {
    let r = records.get(m);
    if (!r) {
      r = {
        id: `live-${m.index}`,
        name: m.name,
        params: m.params,
        macs: m.macs,
        steps: m.steps,
        evals: m.evals,
        blocks: m.blocks,
        imported: false,
        totalSteps: m.totalSteps,
        summary: m.summary,
        net: m.net,
        seed: m.seed,
      };
      records.set(m, r);
    }
    return r;
  };
  return (s) => {
    const run = s.run;
    const models = run?.models ?? null;
    if (models !== lastModels) {
      lastModels = models;
      // `models` may have holes while a compare run starts its next model; filter keeps the order.
      lastRuns = models ? models.filter((m): m is ModelView => m !== undefined).map(recordOf) : [];
    }
    return {
      backend: s.backend,
      runId: run?.runId ?? null,
      runConfig: run?.config ?? null,
      phase: run?.status ?? 'idle',
      data: run?.data ?? null,
      currentModel: run?.currentModel ?? null,
      runs: lastRuns,
      samples: run?.samples ?? null,
      errors: s.errors,
      lrOverride: run?.lrOverride ?? null,
      engine: (models?.[run?.currentModel ?? models.length - 1] ?? models?.findLast((m) => m !== undefined))?.engine ?? null,
    };
  };
}

/** What components use: the cached view, a throttled subscribe, and the client for commands. */
export interface TrainingStore {
  getView(): TrainingView;
  subscribe(listener: () => void): () => void;
  client: WorkerClient;
}

/** Chart and table redraws at most this often (ms): smooth enough to watch, cheap enough to keep input snappy. */
const NOTIFY_MS = 250;

export function createTrainingStore(client: WorkerClient, notifyMs = NOTIFY_MS): TrainingStore {
  const toView = createViewAdapter();
  let lastState: WorkerState | null = null;
  let lastView: TrainingView | null = null;
  return {
    getView() {
      const s = client.getSnapshot();
      if (s !== lastState || lastView === null) {
        lastState = s;
        lastView = toView(s);
      }
      return lastView;
    },
    subscribe: throttleSubscribe((l) => client.subscribe(l), notifyMs),
    client,
  };
}

const TrainingContext = createContext<TrainingStore | null>(null);

export function TrainingProvider({ store, children }: { store: TrainingStore; children: ReactNode }) {
  return createElement(TrainingContext.Provider, { value: store }, children);
}

function useStore(): TrainingStore {
  const store = useContext(TrainingContext);
  if (!store) throw new Error('useTraining* must be used inside <TrainingProvider>');
  return store;
}

/**
 * One slice of the view. `select` must return a part of the view or a primitive, never a new object, or React
 * would see a change on every read.
 */
export function useTrainingSelector<T>(select: (v: TrainingView) => T): T {
  const store = useStore();
  const get = () => select(store.getView());
  // The same snapshot on the server: the page never renders there, but tests render components to markup.
  return useSyncExternalStore(store.subscribe, get, get);
}

/** Commands to the worker (start, pause, resume, stop, exportWeights, clearErrors...). Stable across renders. */
export function useTrainingClient(): WorkerClient {
  return useStore().client;
}

/** True while a run holds the worker (Train is disabled, the data source is locked). */
export function isActive(phase: RunPhase): boolean {
  return phase !== 'idle' && !isFinal(phase);
}
