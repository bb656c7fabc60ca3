/**
 * Which checkpoints may resume a run: its own (any step, any epoch, any model of a compare), and not another run's,
 * even of the same net: another seed, a config edited by hand, or a data order drawn by another seed.
 */
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from './checkpoint';
import { modelName, runJobs, type Config } from './config';
import { GrowingDataset, RECORD_PIXELS } from './data/dataset';
import { DataOrder, orderDrawnBy, type OrderState } from './dataOrder';
import { resumeMismatch } from './resumeCheck';
import * as rng from './rng';
import { planRun } from './schedule';
import { decodeConfig, encodeConfig } from './url';

const config = (text: string): Config => decodeConfig(text).config;
const BASE = 'depth=10&width=1&batch=8&epochs=3&train=3000&test=8&schedule=constant';

/** The data order's state after `step` steps of a run of `c` with `seed` (real DataOrder, synthetic records). */
async function orderAt(c: Config, seed: number, step: number, records = c.train): Promise<OrderState> {
  const data = new GrowingDataset(records);
  const pixels = new Uint8Array(RECORD_PIXELS);
  for (let i = 0; i < records; i++) data.append(i % 10, pixels);
  data.finish();
  const plan = planRun(c, c.train);
  const order = new DataOrder(data, seed, { batch: plan.batch, stepsPerEpoch: plan.stepsPerEpoch }, c.train);
  for (let s = 0; s < step; s++) await order.batch(s);
  return order.snapshot();
}

async function checkpointOf(c: Config, step: number, modelIndex = 0): Promise<Checkpoint> {
  const job = runJobs(c)[modelIndex]!;
  return {
    version: 1,
    config: encodeConfig(c),
    modelIndex,
    modelName: modelName(job.model),
    step,
    epoch: 0,
    trainImages: c.train,
    seconds: 1,
    flops: 1,
    weights: [],
    optimizer: [],
    dataOrder: await orderAt(c, job.seed, step),
    rng: { dropoutMasks: [] },
    lastEval: null,
    savedAt: '2026-12-01T00:00:00.000Z',
  };
}

describe('resumeMismatch', () => {
  it("takes the run's own checkpoints: in the first epoch's blocks, at an epoch's end, in a later epoch, of a later model", async () => {
    const c = config(`${BASE}&seed=5&compare=16-1&seeds=2`);
    const steps = planRun(c, c.train).stepsPerEpoch; // 375
    for (const step of [0, 3, 130, 200, steps, steps + 1, 2 * steps + 7])
      expect(resumeMismatch(await checkpointOf(c, step), c), `step ${step}`).toBeNull();
    // model 3: WRN-16-1 with seed 6
    expect(resumeMismatch(await checkpointOf(c, steps + 4, 3), c)).toBeNull();
  });

  it("refuses another seed's checkpoint of the same net, saying that the seed differs", async () => {
    const five = config(`${BASE}&seed=5`);
    const six = config(`${BASE}&seed=6`);
    expect(resumeMismatch(await checkpointOf(six, 40), five)).toBe('the checkpoint is of another config: seed: 6 in the checkpoint, 5 in this run');
    expect(resumeMismatch(await checkpointOf(five, 40), config(`${BASE}&seed=5&lr=0.05`))).toMatch(/lr: 0.1 in the checkpoint, 0.05 in this run/);
    // The backend may differ: a run goes on elsewhere.
    expect(resumeMismatch(await checkpointOf(five, 40), config(`${BASE}&seed=5&backend=cpu`))).toBeNull();
    // So may the WebGPU engine: a compiled run's checkpoint resumes on tfjs's path and the reverse.
    expect(resumeMismatch(await checkpointOf(five, 40), config(`${BASE}&seed=5&engine=tfjs`))).toBeNull();
  });

  it("refuses a checkpoint whose config was made to match but whose state is another seed's", async () => {
    const five = config(`${BASE}&seed=5`);
    for (const step of [40, 400]) {
      const foreign = { ...(await checkpointOf(config(`${BASE}&seed=6`), step)), config: encodeConfig(five) };
      expect(resumeMismatch(foreign, five)).toMatch(/data order was not drawn with seed 5/);
    }
  });

  it('refuses another model of the run, a model the run has not, and a racing run', async () => {
    const c = config(`${BASE}&compare=16-1`);
    const ck = await checkpointOf(c, 10);
    expect(resumeMismatch({ ...ck, modelName: 'WRN-16-1' }, c)).toMatch(/is of WRN-16-1; model 0 of this run is WRN-10-1/);
    expect(resumeMismatch({ ...ck, modelIndex: 2 }, c)).toMatch(/of model 2, and this run has 2/);
    const racing = config(`${BASE}&compare=16-1&order=interleaved`);
    expect(resumeMismatch({ ...ck, config: encodeConfig(racing) }, racing)).toMatch(/interleaved/);
  });

  it('orderDrawnBy knows a permutation drawn mid-epoch when a split ended short', () => {
    const plan = { batch: 8, stepsPerEpoch: 10 };
    // the split ended at 50 records: at step 6 of epoch 0 the order drew a permutation of all 50
    const { mixSeed, mulberry32, permutation } = rng;
    const perm = permutation(50, mulberry32(mixSeed(3, 1, 0, 6)));
    expect(orderDrawnBy({ perm, next: 8 }, 3, plan, 8)).toBe(true);
    expect(orderDrawnBy({ perm, next: 8 }, 4, plan, 8)).toBe(false);
  });
});
