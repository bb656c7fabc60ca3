/**
 * The page's side of the training worker: a small store (zustand's vanilla shape) over `protocol.ts`.
 *
 *   const client = createWorkerClient();
 *   const state = useSyncExternalStore(client.subscribe, client.getSnapshot);
 *   client.init('auto'); const runId = client.start(config, { kind: 'server', base: '/cifar10' });
 *
 * State is immutable: every change makes a new `WorkerState` (and new objects along the path to what changed),
 * and `getSnapshot()` returns the same object until the next change, as `useSyncExternalStore` requires. A
 * 'metrics' message (the worker sends at most ~10 a second per model) makes one new state, whatever its number of
 * points; the model's point arrays are extended by `concat`, so old snapshots stay as they were and memoised
 * charts see a new array.
 *
 * Messages for any run but the current one (the last started) are dropped, so a stopped run's late messages
 * never reach a new run's charts. No React here: the UI adapts it.
 */
import type { Checkpoint } from '../core/checkpoint';
import type { Config } from '../core/config';
import type { TestSamples } from '../core/data/dataset';
import type { CloneableSource } from '../core/data/sources';
import type { BlockPoint, EvalPoint, MetricPoint, RunSummary, StepPoint } from '../core/metrics';
import type { ErrorCode } from '../core/runErrors';
import { isFinal, type ModelInfo, type RunStatus } from '../core/runEvents';
import type { NetSpeed } from '../core/speedProbe';
import type { SavedWeights } from '../core/weights';
import type { BackendInfo, DataProgress, FromWorker, GroupFeatures, InspectTask, InspectWeights, LesionResult, ToWorker } from '../worker/protocol';

/** One model of a run, as its messages describe it. */
export interface ModelView extends ModelInfo {
  /** index in `modelsOf(config)`: 0 is the main model, then the comparison list */
  index: number;
  /** one point per finished step, in step order; grows by concat (a new array per message) */
  steps: readonly StepPoint[];
  /** one point per evaluation over the test subset, in step order */
  evals: readonly EvalPoint[];
  /** inside the net at each evaluation: residual ratio per block, layer norms (config `probe` > 0) */
  blocks: readonly BlockPoint[];
  /** set when the model has ended (finished or stopped); its weights can then be exported */
  summary: RunSummary | null;
  /** the step of the latest checkpoint the worker sent for this model, null before any */
  checkpointStep: number | null;
}

/** An error the worker (or the worker's loading) reported. */
export interface WorkerError {
  /** unique per error (for React keys and `dismissError`) */
  id: number;
  /** the run it belongs to, or null for backend and worker-wide errors */
  runId: number | null;
  code: ErrorCode;
  message: string;
  /** what the person can do about it */
  suggestion: string;
}

/** The current run. */
export interface RunView {
  runId: number;
  /** the config it was started with */
  config: Config;
  status: RunStatus;
  /** the latest loading snapshot, null until the first arrives */
  data: DataProgress | null;
  /** the first test images (for the evaluation grid), null until they arrive */
  samples: TestSamples | null;
  /** the models started so far, by index (a compare run fills them one after another) */
  models: readonly ModelView[];
  /** the model training now (index), or null before the first starts and after the run ended */
  currentModel: number | null;
  /** the error that failed the run, when status is 'failed' */
  error: WorkerError | null;
  /**
   * the learning rate set by hand for the rest of this run (`setLearningRate`), or null while it follows the
   * config's schedule. The worker applies it from its next step; step points report the rate each step used. A run
   * resumed from a checkpoint starts with the checkpoint's (`Checkpoint.lrOverride`).
   */
  lrOverride: number | null;
  /** the stored run (run history key) this run continues after a Resume from a checkpoint; null for a new run */
  historyKey: string | null;
}

/** How to go on with a stored run: its checkpoint and the points it had up to that checkpoint. */
export interface ResumeSpec {
  historyKey: string;
  checkpoint: Checkpoint;
  /** the stored models as views, their points up to the checkpoint's step (the worker redoes the rest) */
  models: readonly ModelView[];
}

/** Everything the page knows about the worker. */
export interface WorkerState {
  /** the backend in use and why; null until the worker says */
  backend: BackendInfo | null;
  /** the current (last started) run, null before the first */
  run: RunView | null;
  /** recent errors, oldest first (at most MAX_ERRORS), until dismissed */
  errors: readonly WorkerError[];
  /** the last weights the worker sent (answering `exportWeights`), null before any */
  weights: WeightsMessage | null;
}

/** A 'weights' message as kept in the state. */
export interface WeightsMessage extends SavedWeights {
  /** unique per message, so that each is saved once */
  id: number;
  runId: number;
  model: number;
}

export interface WorkerClient {
  /** the current state; the same object until something changes */
  getSnapshot(): WorkerState;
  /** calls `listener` after each change; returns the unsubscribe function */
  subscribe(listener: () => void): () => void;
  /** sends a raw message; a 'start' also makes its runId the current run */
  send(msg: ToWorker): void;
  /** asks the worker to set up a backend now (it also does so on start) */
  init(backend: Config['backend']): void;
  /** starts a run (stopping the current one) and returns its runId; `resume` goes on from a stored checkpoint */
  start(config: Config, source: CloneableSource, resume?: ResumeSpec): number;
  /** evaluates weights trained elsewhere on the config's test subset, as a run that trains nothing; returns its runId */
  evaluate(config: Config, source: CloneableSource, weights: SavedWeights): number;
  pause(): void;
  resume(): void;
  stop(): void;
  /** overrides the schedule from the next step, for the rest of the current run; null returns to it */
  setLearningRate(lr: number | null): void;
  /** the weights of an ended model of the current run; rejects if the worker reports an error for the run first */
  exportWeights(model: number): Promise<SavedWeights>;
  /**
   * How fast the worker trains each net of `config` on its backend (a few timed steps on random images, queued
   * behind any run); rejects when the probe failed or the worker crashed.
   */
  measureSpeed(config: Config): Promise<NetSpeed[]>;
  /** removes one error from `errors` */
  dismissError(id: number): void;
  clearErrors(): void;
  /**
   * Where the weights of a model of the current run are, for an inspection: the files opened (a run that evaluates
   * them), or the worker's copy of an ended model; null while the model trains.
   */
  weightsOf(model: number): InspectWeights | null;
  /** the lesion study of trained weights, after the current run; `onProgress`: evaluation passes done, of total */
  lesion(target: InspectTarget, draws: number, seed: number, onProgress?: (done: number, total: number) => void): Inspection<LesionResult>;
  /** the most active channels after each group for one image (a CIFAR record's 3072 pixel bytes) */
  features(target: InspectTarget, pixels: Uint8Array): Inspection<GroupFeatures[]>;
  /** calls `listener` with each checkpoint of the current run (kept out of the state: they can be large) */
  onCheckpoint(listener: (runId: number, model: number, checkpoint: Checkpoint) => void): () => void;
  /** ends the worker; the client is unusable afterwards */
  terminate(): void;
}

/** An inspection under way: its answer, and how to stop it. */
export interface Inspection<T> {
  /** resolves with the answer; rejects with `InspectionCancelled` when cancelled, or an Error saying why it failed */
  result: Promise<T>;
  cancel(): void;
}

export class InspectionCancelled extends Error {
  override name = 'InspectionCancelled';
  constructor() {
    super('cancelled');
  }
}

/** What an inspection looks at: the config's test subset from `source`, and the weights. */
export interface InspectTarget {
  config: Config;
  source: CloneableSource;
  weights: InspectWeights;
}

/** The part of `Worker` the client uses (tests pass a fake). */
export interface WorkerLike {
  postMessage(message: ToWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<FromWorker>) => void): void;
  addEventListener(type: 'error' | 'messageerror', listener: (event: Event) => void): void;
  terminate(): void;
}

/** Errors kept in `WorkerState.errors`. */
export const MAX_ERRORS = 20;

const NO_ERRORS: readonly WorkerError[] = Object.freeze([]);
const INITIAL_STATE: WorkerState = Object.freeze({ backend: null, run: null, errors: NO_ERRORS, weights: null });

/** Starts the training worker. Vite bundles it from this exact `new Worker(new URL(...))` form. */
export function createTrainingWorker(): Worker {
  return new Worker(new URL('../worker/training.worker.ts', import.meta.url), { type: 'module', name: 'training' });
}

/**
 * Creates the store and its worker (or uses `worker`, e.g. a fake in tests). A worker that crashes (an 'error'
 * event: an exception escaped it, or it failed to load) is replaced by a new one from `spawn` (by default a new
 * training worker when the client made the first one itself), and the run it held ends as 'interrupted'.
 */
export function createWorkerClient(first?: WorkerLike, spawn: (() => WorkerLike) | null = first ? null : createTrainingWorker): WorkerClient {
  let worker: WorkerLike = first ?? createTrainingWorker();
  let state = INITIAL_STATE;
  let lastRunId = 0;
  let messageCount = 0; // ids for errors and weights
  const listeners = new Set<() => void>();
  const checkpointListeners = new Set<(runId: number, model: number, checkpoint: Checkpoint) => void>();
  /** the last backend asked for, sent again to a replacement worker */
  let backendPref: Config['backend'] | null = null;
  /** exportWeights calls waiting for their answer, by model (all of the current run: a new run rejects them) */
  const pendingExports = new Map<number, { resolve: (w: SavedWeights) => void; reject: (e: Error) => void }[]>();
  /** the weights of the runs that evaluate opened files, by runId (the current one only) */
  let opened: { runId: number; weights: SavedWeights } | null = null;
  /** inspections waiting for their answers, by job id */
  const jobs = new Map<
    number,
    { settle(msg: InspectAnswer): void; fail(e: Error): void; progress: ((done: number, total: number) => void) | undefined }
  >();
  let lastJobId = 0;

  const inspect = <T>(
    target: InspectTarget,
    task: InspectTask,
    pick: (msg: InspectAnswer) => T | undefined,
    progress?: (d: number, t: number) => void,
  ): Inspection<T> => {
    const jobId = ++lastJobId;
    let answer: T | undefined;
    const result = new Promise<T>((resolve, reject) => {
      jobs.set(jobId, {
        progress,
        fail: (e) => {
          jobs.delete(jobId);
          reject(e);
        },
        settle(msg) {
          if (msg.type !== 'inspectEnded') {
            answer = pick(msg) ?? answer;
            return;
          }
          jobs.delete(jobId);
          if (msg.status === 'finished' && answer !== undefined) resolve(answer);
          else if (msg.status === 'cancelled') reject(new InspectionCancelled());
          else reject(new Error(msg.message ?? 'the inspection gave no answer'));
        },
      });
    });
    worker.postMessage({ type: 'inspect', jobId, ...target, task });
    return { result, cancel: () => (jobs.has(jobId) ? worker.postMessage({ type: 'cancelInspect', jobId }) : undefined) };
  };
  /** measureSpeed calls waiting for their answer, by probeId */
  const pendingProbes = new Map<number, { resolve: (s: NetSpeed[]) => void; reject: (e: Error) => void }>();
  let lastProbeId = 0;

  const setState = (next: WorkerState) => {
    if (next === state) return;
    state = next;
    for (const l of [...listeners]) l();
  };

  const rejectExports = (reason: string) => {
    for (const list of pendingExports.values()) for (const p of list) p.reject(new Error(reason));
    pendingExports.clear();
  };

  const currentRunId = () => state.run?.runId ?? null;

  const send = (msg: ToWorker, resume?: ResumeSpec) => {
    if (msg.type === 'init') backendPref = msg.backend;
    if (msg.type === 'start' || msg.type === 'evaluate') {
      lastRunId = Math.max(lastRunId, msg.runId);
      rejectExports('a new run started');
      setState({ ...state, run: newRun(msg.runId, msg.config, resume) });
      if (resume && msg.type === 'start') {
        worker.postMessage({ ...msg, resumeFrom: resume.checkpoint });
        return;
      }
    }
    worker.postMessage(msg);
  };

  const control = (make: (runId: number) => ToWorker) => {
    const runId = currentRunId();
    if (runId !== null) send(make(runId));
  };

  const onMessage = (from: WorkerLike) => (event: MessageEvent<FromWorker>) => {
    if (from !== worker) return; // a replaced worker's last words
    const msg = event.data;
    if ('jobId' in msg) {
      const job = jobs.get(msg.jobId);
      if (msg.type === 'inspectProgress') job?.progress?.(msg.done, msg.total);
      else job?.settle(msg);
      return;
    }
    if (msg.type === 'speed') {
      const probe = pendingProbes.get(msg.probeId);
      pendingProbes.delete(msg.probeId);
      if (msg.error === null) probe?.resolve(msg.speeds);
      else probe?.reject(new Error(msg.error));
      return;
    }
    const current = msg.type !== 'backend' && msg.runId !== null && msg.runId === currentRunId();
    if (msg.type === 'checkpoint' && current) {
      for (const l of [...checkpointListeners]) l(msg.runId, msg.checkpoint.modelIndex, msg.checkpoint);
    }
    if (msg.type === 'weights' && current) {
      const waiting = pendingExports.get(msg.model);
      pendingExports.delete(msg.model);
      for (const p of waiting ?? []) p.resolve({ name: msg.name, modelJson: msg.modelJson, weights: msg.weights });
    }
    if (msg.type === 'error' && current) rejectExports(msg.message);
    setState(reduce(state, msg, ++messageCount));
  };
  const onCrash = (from: WorkerLike) => (event: Event) => {
    if (from !== worker) return;
    // An ErrorEvent carries the message (ErrorEvent itself is missing where there is no DOM, as in Node tests).
    const said = (event as Partial<ErrorEvent>).message;
    const message = typeof said === 'string' && said ? said : 'the training worker failed to load or crashed';
    rejectExports(message);
    for (const job of [...jobs.values()]) job.fail(new Error(message));
    for (const p of pendingProbes.values()) p.reject(new Error(message));
    pendingProbes.clear();
    const run = state.run;
    const holdsRun = run !== null && !isFinal(run.status);
    const suggestion = !spawn
      ? 'Reload the page.'
      : holdsRun
        ? 'A new worker was started; resume the run from its last checkpoint under Run history.'
        : 'A new worker was started.';
    let next = reduce(state, { type: 'error', runId: null, code: 'internal', message, suggestion }, ++messageCount);
    if (holdsRun && next.run) next = { ...next, run: { ...next.run, status: 'interrupted', currentModel: null } };
    setState(next);
    if (spawn) {
      // An error that escaped the worker leaves it in an unknown state: end it and train on a fresh one.
      from.terminate();
      attach(spawn());
      if (backendPref !== null) send({ type: 'init', backend: backendPref });
    }
  };
  const attach = (w: WorkerLike) => {
    worker = w;
    w.addEventListener('message', onMessage(w));
    w.addEventListener('error', onCrash(w));
    w.addEventListener('messageerror', onCrash(w));
  };
  attach(worker);

  return {
    getSnapshot: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    send,
    init: (backend) => send({ type: 'init', backend }),
    start(config, source, resume) {
      const runId = lastRunId + 1;
      send({ type: 'start', runId, config, source }, resume);
      return runId;
    },
    evaluate(config, source, weights) {
      const runId = lastRunId + 1;
      send({ type: 'evaluate', runId, config, source, weights });
      opened = { runId, weights };
      return runId;
    },
    weightsOf(model) {
      const run = state.run;
      if (!run) return null;
      if (opened?.runId === run.runId) return model === 0 ? { kind: 'files', weights: opened.weights } : null;
      return run.models[model]?.summary ? { kind: 'run', runId: run.runId, model } : null;
    },
    lesion: (target, draws, seed, onProgress) =>
      inspect(target, { kind: 'lesion', draws, seed }, (m) => (m.type === 'lesion' ? m.result : undefined), onProgress),
    features: (target, pixels) => inspect(target, { kind: 'features', pixels }, (m) => (m.type === 'features' ? m.groups : undefined)),
    pause: () => control((runId) => ({ type: 'pause', runId })),
    resume: () => control((runId) => ({ type: 'resume', runId })),
    stop: () => control((runId) => ({ type: 'stop', runId })),
    setLearningRate(lr) {
      const run = state.run;
      if (!run) return;
      send({ type: 'setLearningRate', runId: run.runId, lr });
      if (run.lrOverride !== lr) setState({ ...state, run: { ...run, lrOverride: lr } });
    },
    exportWeights(model) {
      const runId = currentRunId();
      if (runId === null) return Promise.reject(new Error('no run to export from'));
      return new Promise<SavedWeights>((resolve, reject) => {
        pendingExports.set(model, [...(pendingExports.get(model) ?? []), { resolve, reject }]);
        send({ type: 'exportWeights', runId, model });
      });
    },
    measureSpeed(config) {
      const probeId = ++lastProbeId;
      return new Promise<NetSpeed[]>((resolve, reject) => {
        pendingProbes.set(probeId, { resolve, reject });
        send({ type: 'measureSpeed', probeId, config });
      });
    },
    dismissError(id) {
      const errors = state.errors.filter((e) => e.id !== id);
      if (errors.length !== state.errors.length) setState({ ...state, errors });
    },
    clearErrors: () => setState(state.errors.length ? { ...state, errors: NO_ERRORS } : state),
    onCheckpoint(listener) {
      checkpointListeners.add(listener);
      return () => checkpointListeners.delete(listener);
    },
    terminate() {
      rejectExports('the worker was terminated');
      worker.terminate();
    },
  };
}

/** The messages that answer an inspection (its progress goes to its callback). */
type InspectAnswer = Extract<FromWorker, { type: 'lesion' | 'features' | 'inspectEnded' }>;

function newRun(runId: number, config: Config, resume?: ResumeSpec): RunView {
  return {
    runId,
    config,
    status: 'starting',
    data: null,
    samples: null,
    models: resume?.models ?? [],
    currentModel: null,
    error: null,
    // A resumed run goes on with the rate set by hand before its checkpoint (the worker's runner does the same).
    lrOverride: resume?.checkpoint.lrOverride ?? null,
    historyKey: resume?.historyKey ?? null,
  };
}

/**
 * The state after one message from the worker. Pure; returns `state` itself when the message changes nothing
 * (e.g. it belongs to a run that is no longer current). `id` names the error or weights the message may add.
 */
export function reduce(state: WorkerState, msg: FromWorker, id: number): WorkerState {
  if ('jobId' in msg) return state; // inspections answer their callers, not the state
  if (msg.type === 'backend') return { ...state, backend: msg.info };
  if (msg.type === 'speed') return state; // answers a measureSpeed call; not part of the state
  if (msg.type === 'error') {
    const error: WorkerError = { id, runId: msg.runId, code: msg.code, message: msg.message, suggestion: msg.suggestion };
    if (msg.runId === null) return addError(state, error);
    if (msg.runId !== state.run?.runId) return state;
    return addError({ ...state, run: { ...state.run, error } }, error);
  }
  const run = state.run;
  if (!run || msg.runId !== run.runId) return state;
  if (msg.type === 'weights') {
    const { type: _t, ...weights } = msg;
    return { ...state, weights: { id, ...weights } };
  }
  const withRun = (patch: Partial<RunView>): WorkerState => ({ ...state, run: { ...run, ...patch } });
  switch (msg.type) {
    case 'state':
      return run.status === msg.state || isFinal(run.status) ? state : withRun({ status: msg.state });
    case 'data':
      return withRun({ data: msg.progress });
    case 'samples':
      return withRun({ samples: msg.samples });
    case 'modelStarted': {
      const { type: _t, runId: _r, model, ...info } = msg;
      const models = run.models.slice();
      // A resumed model keeps the points it had up to its checkpoint; the worker goes on after them.
      const before = run.models[model];
      models[model] = {
        index: model,
        ...info,
        steps: before?.steps ?? [],
        evals: before?.evals ?? [],
        blocks: before?.blocks ?? [],
        summary: null,
        checkpointStep: before?.checkpointStep ?? null,
      };
      return withRun({ models, currentModel: model });
    }
    case 'checkpoint':
      return withRun({ models: updateModel(run.models, msg.checkpoint.modelIndex, (m) => ({ ...m, checkpointStep: msg.checkpoint.step })) });
    case 'metrics':
      return withRun({ models: updateModel(run.models, msg.model, (m) => appendPoints(m, msg.points)) });
    case 'modelEnded':
      return withRun({ models: updateModel(run.models, msg.model, (m) => ({ ...m, summary: msg.summary })), currentModel: null });
    case 'runEnded': {
      // A lost GPU device is no fault of the run: it ends resumable, like a crashed worker.
      const status = msg.status === 'failed' && run.error?.code === 'device-lost' ? 'interrupted' : msg.status;
      return isFinal(run.status) ? state : withRun({ status, currentModel: null });
    }
  }
}

function addError(state: WorkerState, error: WorkerError): WorkerState {
  return { ...state, errors: [...state.errors, error].slice(-MAX_ERRORS) };
}

function updateModel(models: readonly ModelView[], index: number, f: (m: ModelView) => ModelView): readonly ModelView[] {
  const m = models[index];
  if (!m) return models;
  const next = models.slice();
  next[index] = f(m);
  return next;
}

/** One new ModelView per message; each point array is extended once, by concat. */
function appendPoints(m: ModelView, points: readonly MetricPoint[]): ModelView {
  const steps: StepPoint[] = [];
  const evals: EvalPoint[] = [];
  const blocks: BlockPoint[] = [];
  for (const p of points) {
    if (p.kind === 'step') steps.push(p);
    else if (p.kind === 'eval') evals.push(p);
    else blocks.push(p);
  }
  return {
    ...m,
    steps: steps.length ? m.steps.concat(steps) : m.steps,
    evals: evals.length ? m.evals.concat(evals) : m.evals,
    blocks: blocks.length ? m.blocks.concat(blocks) : m.blocks,
  };
}
