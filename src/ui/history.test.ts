import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../core/config';
import type { ToWorker } from '../worker/protocol';
type StartMessage = Extract<ToWorker, { type: 'start' }>;
import { createHistory } from './history';
import { checkpointAt as checkpoint } from '../../test/fixtures/checkpoint';
import { fakeWorker, modelStarted, serverSource, stepPoint } from '../../test/fixtures/worker';
import { createRunRecorder } from './lib/runRecorder';
import { openRunStore } from './lib/runStore';
import { createWorkerClient } from './workerClient';

const step = (n: number) => stepPoint(n);
const started = modelStarted;
const source = serverSource;
const until = async (check: () => boolean) => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};
let n = 0;

/** A page that trained 6 steps (checkpoint at 4) and went away; returns the database name. */
async function interruptedRun(): Promise<string> {
  const name = `history-test-${++n}`;
  const { worker, receive } = fakeWorker();
  const client = createWorkerClient(worker);
  const store = await openRunStore(name);
  const recorder = createRunRecorder({ client, store: Promise.resolve(store), flushMs: 60_000, locks: null });
  client.start(DEFAULT_CONFIG, source);
  receive({ type: 'state', runId: 1, state: 'running' });
  receive(started(1));
  receive({ type: 'metrics', runId: 1, model: 0, points: [1, 2, 3, 4].map(step) });
  receive({ type: 'checkpoint', runId: 1, checkpoint: checkpoint(4) });
  receive({ type: 'metrics', runId: 1, model: 0, points: [5, 6].map(step) });
  await recorder.flush();
  recorder.dispose();
  store.close();
  return name;
}

describe('run history (the page side)', () => {
  it('a new page shows the last run again, interrupted, and Resume goes on from its checkpoint in the same record', async () => {
    const name = await interruptedRun();
    // the reloaded page
    const { worker, sent, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    const store = openRunStore(name);
    const recorder = createRunRecorder({ client, store, flushMs: 60_000, locks: null });
    const history = createHistory({ client, recorder, store, heldKeys: async () => new Set(), estimate: async () => ({ usage: 10, quota: 100 }) });
    await until(() => history.getSnapshot().shown.length === 1);
    const view = history.getSnapshot();
    expect(view.entries?.map((e) => [e.status, e.resumeFrom])).toEqual([['interrupted', { model: 0, step: 4 }]]);
    expect(view.shown[0]).toMatchObject({ savedStatus: 'interrupted', name: expect.stringMatching(/^WRN-10-1 \(saved /) });
    expect(view.shown[0]?.steps).toHaveLength(6);
    expect(view.usage).toEqual({ usage: 10, quota: 100 });

    const key = view.entries![0]!.run.key;
    expect(await history.resume(key, () => source)).toBe(true);
    const start = sent.find((m) => m.type === 'start') as StartMessage;
    expect(start.resumeFrom?.step).toBe(4);
    // The live run holds the points up to the checkpoint; the stored copy is no longer drawn beside it.
    expect(client.getSnapshot().run?.models[0]?.steps.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(history.getSnapshot().shown).toEqual([]);
    receive({ type: 'state', runId: start.runId, state: 'running' });
    receive(started(start.runId));
    receive({ type: 'metrics', runId: start.runId, model: 0, points: [step(5)] });
    await recorder.flush();
    const loaded = await (await store).loadRun(key);
    expect(loaded?.points[0]?.steps.map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
    expect((await (await store).listRuns()).length).toBe(1);
    // A run under way cannot be deleted.
    await history.refresh();
    await history.remove(key);
    expect(history.getSnapshot().note?.text).toMatch(/still training/);
    expect((await (await store).listRuns()).length).toBe(1);
    history.dispose();
    recorder.dispose();
  });

  it('Resume says why when the data source is not ready, and starts nothing', async () => {
    const name = await interruptedRun();
    const { worker, sent } = fakeWorker();
    const client = createWorkerClient(worker);
    const store = openRunStore(name);
    const recorder = createRunRecorder({ client, store, flushMs: 60_000, locks: null });
    const history = createHistory({ client, recorder, store, heldKeys: async () => new Set(), estimate: async () => null });
    await until(() => history.getSnapshot().entries !== null);
    const key = history.getSnapshot().entries![0]!.run.key;
    expect(await history.resume(key, () => 'Choose the CIFAR-10 files again.')).toBe(false);
    expect(history.getSnapshot().note).toEqual({ kind: 'error', text: 'Choose the CIFAR-10 files again.' });
    expect(sent.filter((m) => m.type === 'start')).toEqual([]);
    await history.remove(key);
    expect(history.getSnapshot().entries).toEqual([]);
    history.dispose();
    recorder.dispose();
  });
});
