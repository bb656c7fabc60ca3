import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG } from '../../core/config';
import type { FromWorker } from '../../worker/protocol';
import { fakeWorker, stepPoint } from '../../../test/fixtures/worker';
import { createWorkerClient } from '../workerClient';
import { createTrainingStore } from './useTraining';

const step = (n: number) => stepPoint(n, 2);
const started = (model: number, name: string): FromWorker => ({
  type: 'modelStarted',
  runId: 1,
  model,
  name,
  params: 10,
  macs: 20,
  stepsPerEpoch: 4,
  totalSteps: 8,
  batch: 8,
  net: model,
  seed: 0,
});

describe('training store (the UI side of the worker client)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('maps the client state to a view: phase, runs with their points, the current model', () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    const store = createTrainingStore(client);
    expect(store.getView()).toMatchObject({ phase: 'idle', runId: null, runs: [] });
    client.start({ ...DEFAULT_CONFIG, compare: [{ depth: 10, width: 2, dropout: 0 }] }, { kind: 'server', base: '/cifar10' });
    receive({ type: 'state', runId: 1, state: 'running' });
    receive(started(0, 'WRN-10-1'));
    receive({ type: 'metrics', runId: 1, model: 0, points: [step(1), step(2)] });
    const view = store.getView();
    expect(view).toMatchObject({ phase: 'running', runId: 1, currentModel: 0 });
    expect(view.runs).toHaveLength(1);
    expect(view.runs[0]).toMatchObject({ id: 'live-0', name: 'WRN-10-1', params: 10, macs: 20, totalSteps: 8, imported: false });
    expect(view.runs[0]!.steps.map((p) => p.step)).toEqual([1, 2]);
    expect(view.lrOverride).toBeNull();
    client.setLearningRate(0.001);
    expect(store.getView().lrOverride).toBe(0.001);
  });

  it('keeps the identity of unchanged slices, so selectors do not re-render their components', () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    const store = createTrainingStore(client);
    client.start(DEFAULT_CONFIG, { kind: 'server', base: '/cifar10' });
    receive(started(0, 'WRN-10-1'));
    receive({ type: 'metrics', runId: 1, model: 0, points: [step(1)] });
    receive({
      type: 'modelEnded',
      runId: 1,
      model: 0,
      summary: { status: 'finished', steps: 1, seconds: 1, flops: 1, firstStepMs: 1, finalEval: null, predictions: null },
    });
    receive(started(1, 'WRN-10-2'));
    const before = store.getView();
    expect(store.getView()).toBe(before); // no change, same view
    receive({ type: 'metrics', runId: 1, model: 1, points: [step(1)] });
    const after = store.getView();
    expect(after.runs).not.toBe(before.runs);
    expect(after.runs[0]).toBe(before.runs[0]); // the finished model's record is reused
    expect(after.runs[1]).not.toBe(before.runs[1]);
    expect(after.backend).toBe(before.backend);
    expect(after.errors).toBe(before.errors);
  });

  it('notifies at most once per interval however many messages arrive', () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    const store = createTrainingStore(client, 250);
    const listener = vi.fn();
    store.subscribe(listener);
    client.start(DEFAULT_CONFIG, { kind: 'server', base: '/cifar10' });
    receive(started(0, 'WRN-10-1'));
    for (let i = 1; i <= 40; i++) receive({ type: 'metrics', runId: 1, model: 0, points: [step(i)] });
    expect(listener).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(250);
    expect(listener).toHaveBeenCalledTimes(2);
    expect(store.getView().runs[0]!.steps).toHaveLength(40);
  });
});
