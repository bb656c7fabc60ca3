import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../core/config';
import type { EvalPoint } from '../../core/metrics';
import { checkpointAt as checkpoint } from '../../../test/fixtures/checkpoint';
import { stepPoint as step } from '../../../test/fixtures/worker';
import { displayStatus, isQuotaError, mergeChunks, openRunStore, type RunStore, type SavedRun } from './runStore';

const evalAt = (n: number): EvalPoint => ({
  kind: 'eval',
  step: n,
  epoch: n / 10,
  testLoss: 1,
  testAccuracy: 0.3,
  testImages: 10,
  seconds: n,
  flops: n,
  confusion: [],
});

function savedRun(key: string, createdAt: number, status: SavedRun['status'] = 'running'): SavedRun {
  return {
    key,
    createdAt,
    updatedAt: createdAt,
    configText: 'depth=10&width=1',
    config: DEFAULT_CONFIG,
    status,
    models: [
      { index: 0, name: 'WRN-10-1', params: 77850, macs: 1, stepsPerEpoch: 4, totalSteps: 8, batch: 8, summary: null, checkpointStep: null, lastStep: 0 },
    ],
  };
}

let store: RunStore;
let dbCount = 0;
beforeEach(async () => {
  store = await openRunStore(`test-history-${++dbCount}`);
});
afterEach(() => store.close());

describe('run store (IndexedDB)', () => {
  it('keeps a run and its points written in batches, and reads them back in order', async () => {
    const run = savedRun('a', 1);
    const samples = { pixels: new Uint8Array(3072).fill(7), labels: Uint8Array.of(3) };
    await store.save(run, [{ run: 'a', model: 0, steps: [step(1), step(2)], evals: [] }], samples);
    await store.save({ ...run, status: 'finished' }, [{ run: 'a', model: 0, steps: [step(3)], evals: [evalAt(3)] }]);
    const loaded = await store.loadRun('a');
    expect(loaded?.run.status).toBe('finished');
    expect(loaded?.points[0]?.steps.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(loaded?.points[0]?.evals.map((p) => p.step)).toEqual([3]);
    expect(loaded?.samples?.pixels[3071]).toBe(7);
    expect(loaded?.samples?.labels).toEqual(Uint8Array.of(3));
    expect(await store.loadRun('missing')).toBeUndefined();
  });

  it('lists runs newest first and deletes a run with its points and checkpoints, leaving the others', async () => {
    await store.save(savedRun('old', 1), [{ run: 'old', model: 0, steps: [step(1)], evals: [] }]);
    await store.save(savedRun('new', 2), [{ run: 'new', model: 0, steps: [step(1), step(2)], evals: [] }]);
    await store.putCheckpoint('old', 0, checkpoint(1));
    expect((await store.listRuns()).map((r) => r.key)).toEqual(['new', 'old']);
    await store.deleteRun('old');
    expect((await store.listRuns()).map((r) => r.key)).toEqual(['new']);
    expect(await store.loadRun('old')).toBeUndefined();
    expect(await store.getCheckpoint('old', 0)).toBeUndefined();
    expect((await store.loadRun('new'))?.points[0]?.steps).toHaveLength(2);
  });

  it('keeps the latest checkpoint per model with its typed arrays, and notes its step on the run', async () => {
    await store.save(savedRun('a', 1));
    await store.putCheckpoint('a', 0, checkpoint(4));
    await store.putCheckpoint('a', 0, checkpoint(8));
    const saved = await store.getCheckpoint('a', 0);
    expect(saved?.step).toBe(8);
    expect(saved?.checkpoint.weights[0]?.data).toBeInstanceOf(Float32Array);
    expect(Array.from(saved!.checkpoint.weights[0]!.data)).toEqual([1, 2, 8]);
    expect(saved?.checkpoint.dataOrder.perm).toBeInstanceOf(Int32Array);
    expect((await store.loadRun('a'))?.run.models[0]?.checkpointStep).toBe(8);
  });

  it('a resumed run replaces the points recorded after its checkpoint', async () => {
    await store.save(savedRun('a', 1), [{ run: 'a', model: 0, steps: [1, 2, 3, 4, 5].map((n) => step(n)), evals: [evalAt(3), evalAt(5)] }]);
    // resumed from the checkpoint at step 3: steps 4 and 5 are redone
    await store.save(savedRun('a', 1), [{ run: 'a', model: 0, steps: [step(4, 9), step(5, 9)], evals: [], truncateAfter: 3 }]);
    const points = (await store.loadRun('a'))!.points[0]!;
    expect(points.steps.map((p) => [p.step, p.loss])).toEqual([
      [1, 2],
      [2, 1],
      [3, 2 / 3],
      [4, 9],
      [5, 9],
    ]);
    expect(points.evals.map((p) => p.step)).toEqual([3]);
  });
});

describe('run store helpers', () => {
  it('mergeChunks fills models in their index, even one announced later', () => {
    const merged = mergeChunks([{ run: 'a', model: 1, steps: [step(1)], evals: [] }], 1);
    expect(merged).toHaveLength(2);
    expect(merged[1]?.steps).toHaveLength(1);
  });

  it('an active run is interrupted unless some page holds it', () => {
    const run = savedRun('a', 1, 'running');
    expect(displayStatus(run, new Set())).toBe('interrupted');
    expect(displayStatus(run, new Set(['a']))).toBe('running');
    expect(displayStatus(savedRun('b', 1, 'finished'), new Set())).toBe('finished');
  });

  it('tells a quota refusal from other errors', () => {
    expect(isQuotaError(new DOMException('full', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError(new DOMException('gone', 'AbortError'))).toBe(false);
    expect(isQuotaError(new Error('x'))).toBe(false);
    expect(isQuotaError(null)).toBe(false);
  });
});
