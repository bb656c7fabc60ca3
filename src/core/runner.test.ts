/**
 * The run driver on real CIFAR-10 images, on WASM in Node: the events of a run, and checkpoints that resume to the
 * very losses an uninterrupted run of the same seed reaches (weights, momentum, step, data order, augmentation and
 * dropout streams all carried over), in a fresh Runner with fresh models.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { setUpBackend } from '../node/backend';
import { loadCifarFromPath } from '../node/localData';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint';
import { DEFAULT_CONFIG, type Config } from './config';
import { wrnCost } from './cost';
import type { GrowingDataset } from './data/dataset';
import { DATA_DIR } from '../../test/fixtures/data';
import type { EvalPoint, StepPoint } from './metrics';
import type { RunEvent } from './runEvents';
import { Runner, type LoadContext, type RunnerOptions } from './runner';
import type { SavedWeights } from './weights';

/** WRN-10-1 with every random stream on (augmentation, dropout), 6 steps an epoch, an evaluation every 4 steps. */
const config: Config = {
  ...DEFAULT_CONFIG,
  depth: 10,
  width: 1,
  dropout: 0.3,
  batch: 8,
  epochs: 2,
  lr: 0.05,
  augment: true,
  train: 48,
  test: 24,
  seed: 3,
  evalEvery: 4,
  backend: 'wasm',
};

let data: { train: GrowingDataset; test: GrowingDataset };

beforeAll(async () => {
  expect((await setUpBackend('wasm')).backend).toBe('wasm');
  const load = loadCifarFromPath(DATA_DIR, { train: 48, test: 24, subset: 'first' });
  await load.done;
  data = { train: load.train, test: load.test };
});

/** Runs to the end (or until `control` says otherwise) and collects every event. */
async function runAll(c: Config, extra: Partial<RunnerOptions> = {}, control?: (e: RunEvent, runner: Runner) => void) {
  const events: RunEvent[] = [];
  const runner: Runner = new Runner({
    config: c,
    ...extra,
    onEvent: (e) => {
      events.push(e);
      control?.(e, runner);
    },
  });
  const status = await runner.run({ data: { ...data, trainImages: data.train.available() } });
  const points = (model = 0) => events.flatMap((e) => (e.type === 'metrics' && e.model === model ? e.points : []));
  return {
    status,
    events,
    steps: (model = 0) => points(model).filter((p): p is StepPoint => p.kind === 'step'),
    evals: (model = 0) => points(model).filter((p): p is EvalPoint => p.kind === 'eval'),
    checkpoints: events.flatMap((e) => (e.type === 'checkpoint' ? [e.checkpoint] : [])),
  };
}

const losses = (steps: StepPoint[]) => steps.map((s) => [s.step, s.loss]);
const rates = (steps: StepPoint[]) => steps.map((s) => s.lr);

describe('Runner on WASM, real images', () => {
  let full: Awaited<ReturnType<typeof runAll>>;

  beforeAll(async () => {
    full = await runAll(config);
  }, 300_000);

  it('reports a run as typed events, checkpoints at each evaluation before the end, and the weights at the end', () => {
    expect(full.status).toBe('finished');
    const kinds = full.events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);
    expect(kinds).toEqual(['state', 'modelStarted', 'state', 'metrics', 'checkpoint', 'metrics', 'checkpoint', 'metrics', 'modelEnded', 'runEnded']);
    expect(full.steps().map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(full.evals().map((e) => e.step)).toEqual([4, 8, 12]);
    expect(full.checkpoints.map((c) => c.step)).toEqual([4, 8]);
    const ended = full.events.find((e) => e.type === 'modelEnded');
    expect(ended?.type === 'modelEnded' && ended.weights?.weights.byteLength).toBe(4 * (77850 + 2 * (16 + 16 + (16 + 32) + (32 + 64) + 64)));
    const c = full.checkpoints[0]!;
    expect(c).toMatchObject({ version: 1, modelIndex: 0, modelName: 'WRN-10-1 (dropout 0.3)', step: 4, trainImages: 48 });
    expect(c.weights.reduce((n, w) => n + w.data.length, 0)).toBe(77850 + 2 * (16 + 16 + (16 + 32) + (32 + 64) + 64));
    expect(c.optimizer.reduce((n, w) => n + w.data.length, 0)).toBe(77850); // a momentum buffer per trainable weight (the paper's count)
    expect(c.optimizer.some((o) => o.data.some((v) => v !== 0))).toBe(true);
    expect(c.rng.dropoutMasks).toEqual([4, 4, 4]); // one mask per step in each of the three blocks
    expect(Array.from(c.dataOrder.perm).sort((a, b) => a - b)).toEqual(Array.from({ length: 48 }, (_, i) => i));
    expect(c.dataOrder.next).toBe(32); // 4 batches of 8 into the first epoch's order
  });

  it('resumed from a checkpoint mid-epoch in a fresh runner, it reaches the same losses and test accuracy as the uninterrupted run', async () => {
    const at4 = full.checkpoints[0]!;
    const resumed = await runAll(config, { resumeFrom: at4 });
    expect(resumed.status).toBe('finished');
    expect(resumed.steps().map((s) => s.step)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(losses(resumed.steps())).toEqual(losses(full.steps().slice(4)));
    expect(resumed.evals().map((e) => [e.step, e.testLoss, e.testAccuracy])).toEqual(
      full
        .evals()
        .slice(1)
        .map((e) => [e.step, e.testLoss, e.testAccuracy]),
    );
    // the curves go on in time and FLOPs where they were
    expect(resumed.steps()[0]!.seconds).toBeGreaterThan(at4.seconds);
    expect(resumed.steps()[0]!.flops).toBe(full.steps()[4]!.flops);
  }, 300_000);

  it("a checkpoint survives its file format (the CLI's checkpoint.bin) and a stop: stopped, resumed, same end", async () => {
    const stopped = await runAll(config, {}, (e, runner) => {
      if (e.type === 'metrics' && e.points.some((p) => p.kind === 'step' && p.step === 6)) runner.stop();
    });
    expect(stopped.status).toBe('stopped');
    const last = stopped.checkpoints.at(-1)!;
    const lastStep = stopped.steps().at(-1)!.step;
    expect(last.step).toBe(lastStep); // the stop's checkpoint, after its final evaluation
    expect(stopped.evals().at(-1)!.step).toBe(lastStep);
    const bytes = encodeCheckpoint(last);
    const back: Checkpoint = decodeCheckpoint(bytes);
    expect(back).toEqual(last);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4))).toThrow(/cut short/);

    const resumed = await runAll(config, { resumeFrom: back });
    expect(resumed.status).toBe('finished');
    expect(losses(resumed.steps())).toEqual(losses(full.steps().slice(lastStep)));
    expect(resumed.evals().at(-1)!.testAccuracy).toBe(full.evals().at(-1)!.testAccuracy);
  }, 300_000);

  it('a learning rate set by hand is kept in the checkpoint (and its file) and a resumed run goes on with it', async () => {
    const byHand = 0.0031; // none of the schedule's rates (0.05, then x0.2 at 30, 60 and 80% of the run)
    let set = false;
    const stopped = await runAll(config, {}, (e, runner) => {
      if (e.type !== 'metrics') return;
      if (!set) {
        runner.setLearningRate(byHand);
        set = true;
      }
      if (e.points.some((p) => p.kind === 'step' && p.step === 6)) runner.stop();
    });
    expect(stopped.status).toBe('stopped');
    const last = stopped.checkpoints.at(-1)!;
    const lastStep = stopped.steps().at(-1)!.step;
    expect(last.step).toBe(lastStep); // the stop's checkpoint
    expect(last.lrOverride).toBe(byHand);
    expect(stopped.steps().at(-1)!.lr).toBe(byHand);
    const back = decodeCheckpoint(encodeCheckpoint(last));
    expect(back.lrOverride).toBe(byHand);

    const resumed = await runAll(config, { resumeFrom: back });
    expect(resumed.status).toBe('finished');
    const after = full.steps().slice(lastStep);
    expect(resumed.steps().map((s) => s.step)).toEqual(after.map((s) => s.step));
    expect(rates(resumed.steps()).every((lr) => lr === byHand)).toBe(true);
    // ...where the schedule alone would have used other rates (the uninterrupted run's)
    const scheduleAfter = rates(after);
    expect(scheduleAfter.every((lr) => lr !== byHand)).toBe(true);

    // "Back to schedule" before the resumed run begins wins over the checkpoint's rate.
    const scheduled = await runAll(config, { resumeFrom: back }, (e, runner) => {
      if (e.type === 'state' && e.state === 'loading') runner.setLearningRate(null);
    });
    expect(rates(scheduled.steps())).toEqual(scheduleAfter);
  }, 300_000);

  it('a checkpoint written before the hand-set rate was kept (no lrOverride) still resumes, on the schedule', async () => {
    const { lrOverride, ...old } = full.checkpoints[0]!;
    expect(lrOverride).toBeNull(); // checkpoints now say "the schedule" explicitly
    const back = decodeCheckpoint(encodeCheckpoint(old));
    expect('lrOverride' in back).toBe(false);
    const resumed = await runAll(config, { resumeFrom: back });
    expect(resumed.status).toBe('finished');
    expect(losses(resumed.steps())).toEqual(losses(full.steps().slice(4)));
    expect(rates(resumed.steps())).toEqual(rates(full.steps().slice(4)));
  }, 300_000);

  it('a compare run checkpoints the start of its next model; resumed there, it trains only that model, to the same losses', async () => {
    const pair: Config = { ...config, epochs: 1, evalEvery: 0, compare: [{ depth: 10, width: 2, dropout: 0 }] };
    const both = await runAll(pair, { checkpointEvery: 0 });
    const boundary = both.checkpoints.find((c) => c.modelIndex === 1)!;
    expect(boundary).toMatchObject({ step: 0, weights: [], modelName: 'WRN-10-2' });
    const second = await runAll(pair, { resumeFrom: boundary });
    expect(second.events.filter((e) => e.type === 'modelStarted').map((e) => e.type === 'modelStarted' && e.name)).toEqual(['WRN-10-2']);
    expect(losses(second.steps(1))).toEqual(losses(both.steps(1)));
  }, 300_000);

  describe('evaluating weights trained elsewhere', () => {
    /** Runs the evaluation mode on `weights`, recording what the loading was asked for. */
    async function evaluate(weights: SavedWeights, control?: (e: RunEvent, runner: Runner) => void) {
      const events: RunEvent[] = [];
      const asked: LoadContext['records'][] = [];
      const runner: Runner = new Runner({
        config,
        evaluate: weights,
        onEvent: (e) => {
          events.push(e);
          control?.(e, runner);
        },
      });
      runner.pause(); // an evaluation has nothing to pause
      const status = await runner.run({
        data: async (ctx) => {
          asked.push(ctx.records);
          return { ...data, trainImages: data.train.available() };
        },
      });
      return { status, events, asked };
    }
    const trained = () => {
      const ended = full.events.find((e) => e.type === 'modelEnded');
      if (ended?.type !== 'modelEnded' || !ended.weights) throw new Error('the run saved no weights');
      return { summary: ended.summary, weights: ended.weights };
    };

    it("reports them as a model that trains nothing, evaluated to the trained run's own final evaluation", async () => {
      const { summary, weights } = trained();
      const r = await evaluate(weights);
      expect(r.status).toBe('finished');
      expect(r.asked).toEqual([{ train: 1, test: 24 }]);
      expect(r.events.map((e) => e.type)).toEqual(['state', 'modelStarted', 'state', 'metrics', 'modelEnded', 'runEnded']);
      expect(r.events[0]).toEqual({ type: 'state', state: 'loading' });
      expect(r.events[1]).toMatchObject({ name: 'WRN-10-1 (dropout 0.3)', params: 77850, macs: wrnCost(config).macs, totalSteps: 0, seed: 3 });
      const ended = r.events.find((e) => e.type === 'modelEnded');
      if (ended?.type !== 'modelEnded') throw new Error('no modelEnded');
      // the same weights on the same 24 test images, BN on its running statistics and dropout off: the same numbers
      const { testLoss, testAccuracy, testImages, confusion } = summary.finalEval!;
      expect(ended.summary.finalEval).toMatchObject({ kind: 'eval', step: 0, testAccuracy, testImages, confusion });
      expect(ended.summary.finalEval!.testLoss).toBeCloseTo(testLoss, 5);
      expect([...ended.summary.predictions!]).toEqual([...summary.predictions!]);
      expect(ended.weights).toBeNull();
    });

    it('a stop during the evaluation ends the run as stopped, without a result', async () => {
      const r = await evaluate(trained().weights, (e, runner) => e.type === 'modelStarted' && runner.stop());
      expect(r.status).toBe('stopped');
      expect(r.events.some((e) => e.type === 'modelEnded')).toBe(false);
    });

    it('refuses files that are not a model as bad-data, before any data is loaded', async () => {
      const { weights } = trained();
      const r = await evaluate({ ...weights, weights: new ArrayBuffer(8) });
      expect(r.status).toBe('failed');
      expect(r.asked).toEqual([]);
      expect(r.events.at(-1)).toMatchObject({ type: 'runEnded', error: { code: 'bad-data', message: expect.stringMatching(/weights.bin has 8 bytes/) } });
    });
  });

  it('refuses a checkpoint of another config as bad-config, before training', async () => {
    const other = await runAll({ ...config, lr: 0.1 }, { resumeFrom: full.checkpoints[0]! });
    expect(other.status).toBe('failed');
    const end = other.events.at(-1);
    expect(end).toMatchObject({ type: 'runEnded', status: 'failed', error: { code: 'bad-config', message: expect.stringMatching(/another config/) } });
    expect(other.events.some((e) => e.type === 'modelStarted')).toBe(false);
  });
});
