import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../core/config';
import type { BlockPoint } from '../../core/metrics';
import { createWorkerClient } from '../workerClient';
import { checkpointAt as checkpoint } from '../../../test/fixtures/checkpoint';
import { fakeWorker, modelStarted, serverSource, stepPoint } from '../../../test/fixtures/worker';
import { createRunRecorder, heldRunKeys } from './runRecorder';
import { displayStatus, openRunStore, type RunStore } from './runStore';

const step = (n: number) => stepPoint(n);
const started = modelStarted;
const source = serverSource;

/** A LockManager with just what the recorder uses: request holds a name until the callback's promise settles. */
function fakeLocks(): LockManager {
  const held = new Set<string>();
  return {
    request: (async (name: string, cb: () => Promise<void>) => {
      held.add(name);
      try {
        await cb();
      } finally {
        held.delete(name);
      }
    }) as unknown as LockManager['request'],
    query: async () => ({ held: [...held].map((name) => ({ name, mode: 'exclusive' as const })), pending: [] }),
  };
}

let dbCount = 0;
const freshStore = () => openRunStore(`recorder-test-${++dbCount}`);
const until = async (check: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('run recorder', () => {
  it('stores a run as it goes, points in batches, and its status when it ends; its lock is held until then', async () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    const store = await freshStore();
    const locks = fakeLocks();
    const recorder = createRunRecorder({ client, store: Promise.resolve(store), flushMs: 60_000, locks });
    client.start(DEFAULT_CONFIG, source);
    receive({ type: 'state', runId: 1, state: 'running' });
    receive(started(1));
    for (let n = 1; n <= 9; n += 3) receive({ type: 'metrics', runId: 1, model: 0, points: [step(n), step(n + 1), step(n + 2)] });
    await recorder.flush();
    const key = recorder.getSnapshot().currentKey!;
    await until(async () => (await heldRunKeys(locks)).has(key));
    const loaded = await store.loadRun(key);
    expect(loaded?.run.status).toBe('running');
    expect(loaded?.run.models[0]?.name).toBe('WRN-10-1');
    expect(loaded?.points[0]?.steps.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // held: this page records it, so it is not "interrupted"
    expect(displayStatus(loaded!.run, await heldRunKeys(locks))).toBe('running');

    const blocks: BlockPoint = {
      kind: 'blocks',
      step: 10,
      epoch: 1,
      seconds: 3,
      flops: 1e9,
      blocks: ['g1b1', 'g2b1', 'g3b1'],
      residualRatio: [0.5, 0.25, 0.125],
      probeImages: 256,
      layers: ['conv1'],
      weightNorm: [3],
      gradNorm: [0.5],
    };
    receive({ type: 'metrics', runId: 1, model: 0, points: [step(10), blocks] });
    receive({ type: 'runEnded', runId: 1, status: 'stopped' });
    await recorder.flush();
    await until(async () => !(await heldRunKeys(locks)).has(key));
    const ended = await store.loadRun(key);
    expect(ended?.run.status).toBe('stopped');
    expect(ended?.points[0]?.steps).toHaveLength(10);
    expect(ended?.points[0]?.blocks).toEqual([blocks]);
    expect(await heldRunKeys(locks)).not.toContain(key);
    recorder.dispose();
    store.close();
  });

  it('a run whose page went away without ending it reads back as interrupted', async () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    const store = await freshStore();
    const recorder = createRunRecorder({ client, store: Promise.resolve(store), flushMs: 60_000, locks: null });
    client.start(DEFAULT_CONFIG, source);
    receive({ type: 'state', runId: 1, state: 'running' });
    receive(started(1));
    receive({ type: 'metrics', runId: 1, model: 0, points: [step(1)] });
    await recorder.flush();
    recorder.dispose(); // the tab is gone
    const [run] = await store.listRuns();
    expect(displayStatus(run!, new Set())).toBe('interrupted');
    store.close();
  });

  it('a quota refusal is a clear message, the run (and its checkpoint) goes on in memory, and a retry stores everything', async () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    const real = await freshStore();
    let full = true;
    const store: RunStore = {
      ...real,
      save: (run, chunks, samples) => (full ? Promise.reject(new DOMException('quota', 'QuotaExceededError')) : real.save(run, chunks, samples)),
      putCheckpoint: (key, model, c) => (full ? Promise.reject(new DOMException('quota', 'QuotaExceededError')) : real.putCheckpoint(key, model, c)),
    };
    const recorder = createRunRecorder({ client, store: Promise.resolve(store), flushMs: 60_000, retryMs: 60_000, locks: null });
    client.start(DEFAULT_CONFIG, source);
    receive({ type: 'state', runId: 1, state: 'running' });
    receive(started(1));
    receive({ type: 'metrics', runId: 1, model: 0, points: [step(1), step(2)] });
    await recorder.flush();
    expect(recorder.getSnapshot().storageError).toMatch(/storage quota .* used up.*goes on/);
    receive({ type: 'metrics', runId: 1, model: 0, points: [step(3)] });
    receive({ type: 'checkpoint', runId: 1, checkpoint: checkpoint(3) });
    await recorder.flush();
    const key = recorder.getSnapshot().currentKey!;
    expect(client.getSnapshot().run?.models[0]?.steps).toHaveLength(3); // training and its curves go on
    expect(recorder.checkpointInMemory(key, 0)?.step).toBe(3); // Resume still works in this tab
    full = false;
    await recorder.retry();
    expect(recorder.getSnapshot().storageError).toBeNull();
    const loaded = await real.loadRun(key);
    expect(loaded?.points[0]?.steps.map((p) => p.step)).toEqual([1, 2, 3]);
    expect((await real.getCheckpoint(key, 0))?.step).toBe(3);
    expect(recorder.checkpointInMemory(key, 0)).toBeNull();
    recorder.dispose();
    real.close();
  });

  it('a reload while a checkpoint is being stored leaves a record that names the checkpoint the store holds', async () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    const real = await freshStore();
    // The second checkpoint's write never completes: the page is reloaded while it is under way.
    let cutAt: number | null = null;
    const store: RunStore = {
      ...real,
      putCheckpoint: (key, model, c) => {
        if (c.step === 20) {
          cutAt = c.step;
          return new Promise<void>(() => undefined);
        }
        return real.putCheckpoint(key, model, c);
      },
    };
    const recorder = createRunRecorder({ client, store: Promise.resolve(store), flushMs: 60_000, locks: null });
    client.start(DEFAULT_CONFIG, source);
    receive({ type: 'state', runId: 1, state: 'running' });
    receive(started(1));
    receive({ type: 'metrics', runId: 1, model: 0, points: Array.from({ length: 15 }, (_, i) => step(i + 1)) });
    receive({ type: 'checkpoint', runId: 1, checkpoint: checkpoint(15) });
    await recorder.flush();
    const key = recorder.getSnapshot().currentKey!;
    expect((await real.loadRun(key))?.run.models[0]?.checkpointStep).toBe(15);

    receive({ type: 'metrics', runId: 1, model: 0, points: [16, 17, 18, 19, 20].map(step) });
    receive({ type: 'checkpoint', runId: 1, checkpoint: checkpoint(20) });
    void recorder.flush(); // queued behind the checkpoint: it never runs, as the page is gone
    await until(() => cutAt !== null);
    expect(cutAt).toBe(20);
    recorder.dispose();

    // What the next page reads: the record's step (Resume's label) is the stored checkpoint's (what Resume loads).
    const stored = await real.getCheckpoint(key, 0);
    expect(stored?.step).toBe(15);
    const loaded = await real.loadRun(key);
    expect(loaded?.run.models[0]?.checkpointStep).toBe(stored?.step);
    real.close();
  });

  it('stores each checkpoint, keeps the latest in memory, and a Resume continues the same stored run', async () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    const store = await freshStore();
    const recorder = createRunRecorder({ client, store: Promise.resolve(store), flushMs: 60_000, locks: null });
    client.start(DEFAULT_CONFIG, source);
    receive(started(1));
    receive({ type: 'metrics', runId: 1, model: 0, points: [1, 2, 3, 4].map(step) });
    receive({ type: 'checkpoint', runId: 1, checkpoint: checkpoint(4) });
    receive({ type: 'metrics', runId: 1, model: 0, points: [5, 6].map(step) });
    await recorder.flush();
    const key = recorder.getSnapshot().currentKey!;
    expect(recorder.checkpointInMemory(key, 0)).toBeNull(); // stored, so not held twice
    const saved = await store.getCheckpoint(key, 0);
    expect(Array.from(saved!.checkpoint.weights[0]!.data)).toEqual([1, 2, 4]);
    const before = (await store.loadRun(key))!;
    expect(before.run.models[0]?.checkpointStep).toBe(4);

    // Resume (as the history panel does): points up to the checkpoint, the worker redoes 5 and 6.
    const model = before.run.models[0]!;
    const kept = before.points[0]!.steps.filter((p) => p.step <= 4);
    recorder.expectResume(before.run);
    const runId = client.start(DEFAULT_CONFIG, source, {
      historyKey: key,
      checkpoint: saved!.checkpoint,
      models: [{ ...model, net: 0, seed: 0, steps: kept, evals: [], blocks: [] }],
    });
    receive(started(runId));
    receive({ type: 'metrics', runId, model: 0, points: [{ ...step(5), loss: 7 }] });
    await recorder.flush();
    expect(recorder.getSnapshot().currentKey).toBe(key);
    const runs = await store.listRuns();
    expect(runs.map((r) => r.key)).toEqual([key]);
    expect(runs[0]?.createdAt).toBe(before.run.createdAt);
    const after = (await store.loadRun(key))!;
    expect(after.points[0]?.steps.map((p) => [p.step, p.loss])).toEqual([
      [1, 2],
      [2, 1],
      [3, 2 / 3],
      [4, 0.5],
      [5, 7],
    ]);
    recorder.dispose();
    store.close();
  });
});
