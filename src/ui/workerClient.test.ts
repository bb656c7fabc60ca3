import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../core/config';
import type { EvalPoint } from '../core/metrics';
import { fakeWorker, modelStarted, serverSource, stepPoint } from '../../test/fixtures/worker';
import { createWorkerClient } from './workerClient';

const step = (n: number) => stepPoint(n, 2);
const evalPoint = (n: number): EvalPoint => ({
  kind: 'eval',
  step: n,
  epoch: n / 10,
  testLoss: 2,
  testAccuracy: 0.1,
  testImages: 10,
  seconds: n,
  flops: n,
  confusion: [],
});
const source = serverSource;

describe('createWorkerClient', () => {
  it('starts runs with increasing ids and addresses controls to the current run', () => {
    const { worker, sent } = fakeWorker();
    const client = createWorkerClient(worker);
    expect(client.start(DEFAULT_CONFIG, source)).toBe(1);
    client.pause();
    expect(client.start(DEFAULT_CONFIG, source)).toBe(2);
    client.stop();
    expect(sent.map((m) => [m.type, 'runId' in m ? m.runId : null])).toEqual([
      ['start', 1],
      ['pause', 1],
      ['start', 2],
      ['stop', 2],
    ]);
    expect(client.getSnapshot().run).toMatchObject({ runId: 2, status: 'starting', models: [] });
  });

  it('setLearningRate goes to the current run and is kept in its view until "back to schedule" or a new run', () => {
    const { worker, sent } = fakeWorker();
    const client = createWorkerClient(worker);
    client.setLearningRate(0.01); // no run yet: nothing to send
    expect(sent).toEqual([]);
    client.start(DEFAULT_CONFIG, source);
    expect(client.getSnapshot().run?.lrOverride).toBeNull();
    client.setLearningRate(0.001);
    expect(client.getSnapshot().run?.lrOverride).toBe(0.001);
    const s = client.getSnapshot();
    client.setLearningRate(0.001); // the same rate again: sent (harmless), but no new state
    expect(client.getSnapshot()).toBe(s);
    client.setLearningRate(null);
    expect(client.getSnapshot().run?.lrOverride).toBeNull();
    client.setLearningRate(0.02);
    client.start(DEFAULT_CONFIG, source);
    expect(client.getSnapshot().run).toMatchObject({ runId: 2, lrOverride: null });
    expect(sent.filter((m) => m.type === 'setLearningRate')).toEqual([
      { type: 'setLearningRate', runId: 1, lr: 0.001 },
      { type: 'setLearningRate', runId: 1, lr: 0.001 },
      { type: 'setLearningRate', runId: 1, lr: null },
      { type: 'setLearningRate', runId: 1, lr: 0.02 },
    ]);
    // the URL config is not touched: the run keeps the config it started with
    expect(client.getSnapshot().run?.config).toBe(DEFAULT_CONFIG);
  });

  it('keeps the snapshot identical until something changes, and notifies once per change', () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    let calls = 0;
    const unsubscribe = client.subscribe(() => calls++);
    const s0 = client.getSnapshot();
    expect(client.getSnapshot()).toBe(s0);
    client.start(DEFAULT_CONFIG, source);
    const s1 = client.getSnapshot();
    expect(s1).not.toBe(s0);
    expect(client.getSnapshot()).toBe(s1);
    receive({ type: 'state', runId: 1, state: 'loading' });
    receive({ type: 'state', runId: 1, state: 'loading' }); // no change: same snapshot, no call
    expect(calls).toBe(2);
    unsubscribe();
    receive({ type: 'state', runId: 1, state: 'running' });
    expect(calls).toBe(2);
  });

  it('drops messages of a run that is no longer current', () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    client.start(DEFAULT_CONFIG, source);
    client.start(DEFAULT_CONFIG, source);
    const before = client.getSnapshot();
    receive(modelStarted(1));
    receive({ type: 'metrics', runId: 1, model: 0, points: [step(1)] });
    receive({ type: 'error', runId: 1, code: 'internal', message: 'late', suggestion: '' });
    receive({ type: 'runEnded', runId: 1, status: 'stopped' });
    expect(client.getSnapshot()).toBe(before);
  });

  it('makes one new state per metrics message, appending steps and evals to new arrays', () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    client.start(DEFAULT_CONFIG, source);
    receive(modelStarted(1));
    receive({ type: 'metrics', runId: 1, model: 0, points: [step(1), step(2)] });
    const a = client.getSnapshot().run!.models[0]!;
    receive({ type: 'metrics', runId: 1, model: 0, points: [step(3), evalPoint(3)] });
    const b = client.getSnapshot().run!.models[0]!;
    expect(a.steps.map((p) => p.step)).toEqual([1, 2]); // the old snapshot is untouched
    expect(b.steps.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(b.evals.map((p) => p.step)).toEqual([3]);
    expect(b.steps).not.toBe(a.steps);
    receive({ type: 'metrics', runId: 1, model: 0, points: [step(4)] });
    expect(client.getSnapshot().run!.models[0]!.evals).toBe(b.evals); // unchanged series keep their identity
  });

  it('follows a compare run model by model to its end', () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    client.start(DEFAULT_CONFIG, source);
    receive(modelStarted(1, 0));
    expect(client.getSnapshot().run?.currentModel).toBe(0);
    const summary = { status: 'finished', steps: 10, seconds: 1, flops: 1, firstStepMs: 1, finalEval: null, predictions: null } as const;
    receive({ type: 'modelEnded', runId: 1, model: 0, summary });
    receive(modelStarted(1, 1));
    receive({ type: 'modelEnded', runId: 1, model: 1, summary });
    receive({ type: 'runEnded', runId: 1, status: 'finished' });
    const run = client.getSnapshot().run!;
    expect(run.models.map((m) => m.summary?.status)).toEqual(['finished', 'finished']);
    expect(run).toMatchObject({ status: 'finished', currentModel: null });
    receive({ type: 'state', runId: 1, state: 'running' }); // a final status stays final
    expect(client.getSnapshot().run?.status).toBe('finished');
  });

  it('records errors with ids: a run error fails the run view, a worker-wide one does not', () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    client.start(DEFAULT_CONFIG, source);
    receive({ type: 'error', runId: null, code: 'backend', message: 'no webgpu', suggestion: 'x' });
    receive({ type: 'error', runId: 1, code: 'out-of-memory', message: 'oom', suggestion: 'smaller batch' });
    const s = client.getSnapshot();
    expect(s.errors.map((e) => e.code)).toEqual(['backend', 'out-of-memory']);
    expect(s.run?.error).toMatchObject({ code: 'out-of-memory', suggestion: 'smaller batch' });
    expect(new Set(s.errors.map((e) => e.id)).size).toBe(2);
    client.dismissError(s.errors[0]!.id);
    expect(client.getSnapshot().errors.map((e) => e.code)).toEqual(['out-of-memory']);
    client.clearErrors();
    expect(client.getSnapshot().errors).toEqual([]);
  });

  it('resolves exportWeights with the worker answer, and rejects it on a run error', async () => {
    const { worker, sent, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    client.start(DEFAULT_CONFIG, source);
    const ok = client.exportWeights(0);
    expect(sent.at(-1)).toEqual({ type: 'exportWeights', runId: 1, model: 0 });
    const weights = new ArrayBuffer(8);
    receive({ type: 'weights', runId: 1, model: 0, name: 'WRN-10-1', modelJson: '{}', weights });
    await expect(ok).resolves.toEqual({ name: 'WRN-10-1', modelJson: '{}', weights });
    expect(client.getSnapshot().weights).toMatchObject({ runId: 1, model: 0, name: 'WRN-10-1' });
    const failed = client.exportWeights(1);
    receive({ type: 'error', runId: 1, code: 'internal', message: 'cannot export weights: not ended', suggestion: '' });
    await expect(failed).rejects.toThrow(/not ended/);
  });

  it('measureSpeed resolves with its own probe’s answer, rejects on a probe error, and leaves the state alone', async () => {
    const { worker, sent, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    const first = client.measureSpeed(DEFAULT_CONFIG);
    const second = client.measureSpeed({ ...DEFAULT_CONFIG, batch: 32 });
    expect(sent).toEqual([
      { type: 'measureSpeed', probeId: 1, config: DEFAULT_CONFIG },
      { type: 'measureSpeed', probeId: 2, config: { ...DEFAULT_CONFIG, batch: 32 } },
    ]);
    const state = client.getSnapshot();
    const speed = { model: { depth: 16, width: 4, dropout: 0 }, batch: 32, imagesPerSec: 9.5, evalImagesPerSec: 30, setupSeconds: 1.2 };
    receive({ type: 'speed', probeId: 2, speeds: [speed], error: null });
    await expect(second).resolves.toEqual([speed]);
    receive({ type: 'speed', probeId: 1, speeds: [], error: 'no backend' });
    await expect(first).rejects.toThrow('no backend');
    expect(client.getSnapshot()).toBe(state);
  });

  it('a crashed worker rejects the probes waiting on it', async () => {
    const { worker, crash } = fakeWorker();
    const client = createWorkerClient(worker, null);
    const probe = client.measureSpeed(DEFAULT_CONFIG);
    crash();
    await expect(probe).rejects.toThrow(/crashed/);
  });
});
