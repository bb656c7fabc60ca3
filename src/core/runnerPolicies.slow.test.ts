/**
 * The runner's scheduling policies on real CIFAR-10 images, WASM in Node: seeds (each net once per
 * seed, distinct runs), interleaved order (the nets take turns; their curves grow together; each trains exactly as
 * it would alone), and equal budgets of time (an injected clock) and of training FLOPs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { setUpBackend } from '../node/backend';
import { loadCifarFromPath } from '../node/localData';
import { flopsBudgetSteps } from './budget';
import { DEFAULT_CONFIG, type Config } from './config';
import { trainFlopsPerImage } from './cost';
import type { GrowingDataset } from './data/dataset';
import { DATA_DIR } from '../../test/fixtures/data';
import type { EvalPoint, RunSummary, StepPoint } from './metrics';
import type { RunEvent } from './runEvents';
import { Runner, type RunnerOptions } from './runner';
import { encodeConfig } from './url';

/** WRN-10-1, batch 8, 4 steps an epoch, 2 epochs, an evaluation every 2 steps on 16 test images. */
const base: Config = {
  ...DEFAULT_CONFIG,
  depth: 10,
  width: 1,
  dropout: 0,
  batch: 8,
  epochs: 2,
  lr: 0.05,
  schedule: 'constant',
  train: 32,
  test: 16,
  seed: 5,
  evalEvery: 2,
  backend: 'wasm',
  compare: [],
};

let data: { train: GrowingDataset; test: GrowingDataset };

beforeAll(async () => {
  expect((await setUpBackend('wasm')).backend).toBe('wasm');
  const load = loadCifarFromPath(DATA_DIR, { train: 32, test: 16, subset: 'first' });
  await load.done;
  data = { train: load.train, test: load.test };
});

async function runAll(config: Config, extra: Partial<RunnerOptions> = {}) {
  const events: RunEvent[] = [];
  const runner = new Runner({ config, exportWeights: false, ...extra, onEvent: (e) => events.push(e) });
  const status = await runner.run({ data: { ...data, trainImages: data.train.available() } });
  const points = (model: number) => events.flatMap((e) => (e.type === 'metrics' && e.model === model ? e.points : []));
  return {
    status,
    events,
    started: events.flatMap((e) => (e.type === 'modelStarted' ? [e] : [])),
    steps: (model: number) => points(model).filter((p): p is StepPoint => p.kind === 'step'),
    evals: (model: number) => points(model).filter((p): p is EvalPoint => p.kind === 'eval'),
    summary: (model: number): RunSummary => {
      const e = events.find((x) => x.type === 'modelEnded' && x.model === model);
      if (e?.type !== 'modelEnded') throw new Error(`model ${model} did not end`);
      return e.summary;
    },
  };
}

const losses = (steps: StepPoint[]) => steps.map((s) => s.loss);

describe('seeds', () => {
  it('trains each net once per seed, round by round, and distinct seeds give distinct runs', async () => {
    const r = await runAll({ ...base, epochs: 1, seeds: 2, compare: [{ depth: 10, width: 1, dropout: 0.3 }] });
    expect(r.status).toBe('finished');
    expect(r.started.map((s) => [s.model, s.net, s.seed, s.name])).toEqual([
      [0, 0, 5, 'WRN-10-1'],
      [1, 1, 5, 'WRN-10-1 (dropout 0.3)'],
      [2, 0, 6, 'WRN-10-1'],
      [3, 1, 6, 'WRN-10-1 (dropout 0.3)'],
    ]);
    // Same net, seeds 5 and 6: other initial weights and data order, so other losses from the first step on.
    expect(losses(r.steps(0))).toHaveLength(4);
    expect(losses(r.steps(2))).toHaveLength(4);
    expect(r.steps(2)[0]!.loss).not.toBe(r.steps(0)[0]!.loss);
    // and seed 5 of the seeded run is exactly the plain run with seed 5
    const plain = await runAll({ ...base, epochs: 1 });
    expect(losses(r.steps(0))).toEqual(losses(plain.steps(0)));
  }, 300_000);
});

describe('interleaved order', () => {
  it('races the nets in turns of sliceSteps: both curves grow before either ends, and each trains as it would alone', async () => {
    const config: Config = { ...base, order: 'interleaved', compare: [{ depth: 10, width: 2, dropout: 0 }] };
    const raced = await runAll(config, { sliceSteps: 2 });
    expect(raced.status).toBe('finished');
    // Both models start before any step; step points of both come before the first model ends.
    const firstEnd = raced.events.findIndex((e) => e.type === 'modelEnded');
    const stepsBefore = (model: number) =>
      raced.events.slice(0, firstEnd).some((e) => e.type === 'metrics' && e.model === model && e.points.some((p) => p.kind === 'step'));
    expect(stepsBefore(0)).toBe(true);
    expect(stepsBefore(1)).toBe(true);
    // Turns of 2 steps: the step points arrive model 0 (1-2), model 1 (1-2), model 0 (3-4), ...
    const turns = raced.events.flatMap((e) => (e.type === 'metrics' && e.points.some((p) => p.kind === 'step') ? [e.model] : []));
    expect(turns.filter((m, i) => m !== turns[i - 1])).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
    expect(raced.events.some((e) => e.type === 'checkpoint')).toBe(false); // racing models are not checkpointed
    // Racing changes when a net trains, not what it computes.
    const alone = await runAll({ ...config, order: 'sequential' });
    for (const m of [0, 1]) {
      expect(losses(raced.steps(m))).toEqual(losses(alone.steps(m)));
      expect(raced.summary(m).finalEval?.testAccuracy).toBe(alone.summary(m).finalEval?.testAccuracy);
      expect(raced.summary(m).status).toBe('finished');
    }
  }, 300_000);

  it('a stop ends every racing net after its current step, each with a last evaluation, and no checkpoint', async () => {
    const config: Config = { ...base, order: 'interleaved', compare: [{ depth: 10, width: 2, dropout: 0 }] };
    const events: RunEvent[] = [];
    let stopped = false;
    const runner: Runner = new Runner({
      config,
      exportWeights: false,
      sliceSteps: 1,
      onEvent: (e) => {
        events.push(e);
        // once the second net has taken a step, stop the run
        if (!stopped && e.type === 'metrics' && e.model === 1 && e.points.some((p) => p.kind === 'step')) {
          stopped = true;
          runner.stop();
        }
      },
    });
    expect(await runner.run({ data: { ...data, trainImages: 32 } })).toBe('stopped');
    const ended = events.flatMap((e) => (e.type === 'modelEnded' ? [e] : []));
    expect(ended.map((e) => e.model).sort()).toEqual([0, 1]);
    for (const e of ended) {
      expect(e.summary.status).toBe('stopped');
      expect(e.summary.steps).toBeLessThan(8);
      expect(e.summary.finalEval?.step).toBe(e.summary.steps);
    }
    expect(events.some((e) => e.type === 'checkpoint')).toBe(false);
  }, 300_000);

  it('refuses to resume a racing run', async () => {
    const config: Config = { ...base, order: 'interleaved', compare: [{ depth: 10, width: 2, dropout: 0 }] };
    const seq = await runAll({ ...config, order: 'sequential', epochs: 1 }, { checkpointEvery: 2 });
    const checkpoint = seq.events.flatMap((e) => (e.type === 'checkpoint' ? [e.checkpoint] : []))[0]!;
    const events: RunEvent[] = [];
    const racing = { ...config, epochs: 1 };
    // A checkpoint that claims the racing config: refused before training, saying why.
    const resumed = new Runner({ config: racing, resumeFrom: { ...checkpoint, config: encodeConfig(racing) }, onEvent: (e) => events.push(e) });
    expect(await resumed.run({ data: { ...data, trainImages: 32 } })).toBe('failed');
    const ended = events.at(-1);
    expect(ended?.type === 'runEnded' && ended.error).toMatchObject({ code: 'bad-config', message: expect.stringContaining('order=interleaved') });
    expect(events.some((e) => e.type === 'modelStarted')).toBe(false);
  }, 300_000);
});

describe('equal budgets', () => {
  it('equal time: each net stops within one evaluation window of its own active seconds reaching the budget', async () => {
    // An injected clock: 40 ms pass at every look, so each trainer's active time grows with its own work only.
    let t = 0;
    const now = () => (t += 40);
    const config: Config = {
      ...base,
      epochs: 50,
      schedule: 'step',
      budget: { kind: 'time', seconds: 1 },
      order: 'interleaved',
      compare: [{ depth: 10, width: 2, dropout: 0 }],
    };
    const r = await runAll(config, { now, sliceSteps: 1 });
    expect(r.status).toBe('finished');
    for (const m of [0, 1]) {
      const s = r.summary(m);
      expect(s.status).toBe('finished'); // the budget ends a net; it is not a stop
      expect(s.seconds).toBeGreaterThanOrEqual(1);
      const steps = r.steps(m);
      // the last step that began before the budget was spent, and where the net ended: at most one window apart
      const lastUnder = steps.filter((p) => p.seconds < 1).at(-1)!;
      expect(s.steps - lastUnder.step).toBeLessThanOrEqual(base.evalEvery);
      expect(s.steps).toBeLessThan(50 * 4); // far short of the 50 epochs: the budget ended it
      expect(s.finalEval?.step).toBe(s.steps); // evaluated where it ended
      // The schedule spans the budget, not the 50 epochs: its rate falls (x0.2 at 30/60/80%) within the second.
      const rates = steps.map((p) => p.lr);
      expect(rates.every((lr, i) => i === 0 || lr <= rates[i - 1]!)).toBe(true);
      expect(rates.at(-1)!).toBeLessThanOrEqual(0.05 * 0.2 * 0.2 + 1e-12);
    }
  }, 300_000);

  it('equal FLOPs: each net takes the whole steps its budget holds, so a wider net takes fewer', async () => {
    const flops = 5e9;
    const config: Config = { ...base, epochs: 50, budget: { kind: 'flops', flops }, compare: [{ depth: 10, width: 2, dropout: 0 }] };
    const r = await runAll(config);
    expect(r.status).toBe('finished');
    const perStep = (width: number) => 8 * trainFlopsPerImage({ depth: 10, width, dropout: 0 });
    for (const [m, width] of [
      [0, 1],
      [1, 2],
    ] as const) {
      const s = r.summary(m);
      const expected = flopsBudgetSteps(flops, 8, { depth: 10, width, dropout: 0 });
      expect(expected).toBe(Math.floor(flops / perStep(width)));
      expect(s).toMatchObject({ status: 'finished', steps: expected });
      expect(s.flops).toBeLessThanOrEqual(flops);
      expect(flops - s.flops).toBeLessThan(perStep(width)); // within one step, well inside an evaluation window
      expect(r.started[m]!.totalSteps).toBe(expected); // the schedule spans the budget
    }
    expect(r.summary(1).steps).toBeLessThan(r.summary(0).steps);
  }, 300_000);
});
