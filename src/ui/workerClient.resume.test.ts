/** The worker client's side of checkpoints, Resume and a crashed or lost worker. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../core/config';
import type { ToWorker } from '../worker/protocol';
import { checkpointAt as checkpoint } from '../../test/fixtures/checkpoint';
import { fakeWorker, modelStarted, serverSource, stepPoint } from '../../test/fixtures/worker';
import { createWorkerClient, type ModelView } from './workerClient';

type StartMessage = Extract<ToWorker, { type: 'start' }>;

const step = (n: number) => stepPoint(n, 2);
const started = modelStarted;
const source = serverSource;

describe('worker client: checkpoints and resume', () => {
  it('hands each checkpoint of the current run to its listeners and notes its step, not the checkpoint, in the state', () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    const got: [number, number, number][] = [];
    client.onCheckpoint((runId, model, c) => got.push([runId, model, c.step]));
    client.start(DEFAULT_CONFIG, source);
    receive(started(1));
    receive({ type: 'checkpoint', runId: 1, checkpoint: checkpoint(5) });
    receive({ type: 'checkpoint', runId: 7, checkpoint: checkpoint(6) }); // not the current run
    expect(got).toEqual([[1, 0, 5]]);
    expect(client.getSnapshot().run?.models[0]?.checkpointStep).toBe(5);
  });

  it('Resume sends the checkpoint with start and keeps the stored points; the step count goes on after them', () => {
    const { worker, sent, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    const stored: ModelView = {
      index: 0,
      name: 'WRN-10-1',
      params: 77_850,
      macs: 1,
      stepsPerEpoch: 10,
      totalSteps: 20,
      batch: 8,
      steps: [step(1), step(2), step(3)],
      evals: [],
      blocks: [],
      summary: null,
      checkpointStep: 3,
      net: 0,
      seed: 0,
    };
    const runId = client.start(DEFAULT_CONFIG, source, { historyKey: 'k1', checkpoint: checkpoint(3), models: [stored] });
    const start = sent.at(-1) as StartMessage;
    expect(start).toMatchObject({ type: 'start', runId });
    expect(start.resumeFrom?.step).toBe(3);
    expect(client.getSnapshot().run).toMatchObject({ historyKey: 'k1', status: 'starting' });
    receive(started(runId));
    receive({ type: 'metrics', runId, model: 0, points: [step(4)] });
    expect(client.getSnapshot().run?.models[0]?.steps.map((p) => p.step)).toEqual([1, 2, 3, 4]);
  });

  it('a crashed worker ends its run as interrupted and is replaced by a new one, which gets the backend again', () => {
    const first = fakeWorker();
    const second = fakeWorker();
    const client = createWorkerClient(first.worker, () => second.worker);
    client.init('wasm');
    client.start(DEFAULT_CONFIG, source);
    first.receive({ type: 'state', runId: 1, state: 'running' });
    first.crash();
    expect(first.isTerminated()).toBe(true);
    const s = client.getSnapshot();
    expect(s.run?.status).toBe('interrupted');
    expect(s.errors.at(-1)?.suggestion).toMatch(/resume/i);
    expect(second.sent).toEqual([{ type: 'init', backend: 'wasm' }]);
    first.receive({ type: 'state', runId: 1, state: 'running' }); // the old worker's late words are ignored
    expect(client.getSnapshot().run?.status).toBe('interrupted');
    client.start(DEFAULT_CONFIG, source);
    expect(second.sent.at(-1)).toMatchObject({ type: 'start', runId: 2 });
  });

  it('a run that failed because the GPU device was lost ends as interrupted; other failures stay failed', () => {
    const { worker, receive } = fakeWorker();
    const client = createWorkerClient(worker);
    client.start(DEFAULT_CONFIG, source);
    receive({ type: 'error', runId: 1, code: 'device-lost', message: 'lost', suggestion: '' });
    receive({ type: 'runEnded', runId: 1, status: 'failed' });
    expect(client.getSnapshot().run?.status).toBe('interrupted');
    client.start(DEFAULT_CONFIG, source);
    receive({ type: 'error', runId: 2, code: 'bad-data', message: 'bad', suggestion: '' });
    receive({ type: 'runEnded', runId: 2, status: 'failed' });
    expect(client.getSnapshot().run?.status).toBe('failed');
  });
});
