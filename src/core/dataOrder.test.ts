/**
 * The data order's promise: the same seed and plan give the same batches whatever the chunks and timing in which the
 * training records arrive, training starts once the first block is in, and checkpoints (of this rule and the
 * earlier one) go on exactly. Records here are synthetic (the order never reads pixels); trainer.slow.test.ts checks the
 * same promise through the trainer on real images.
 */
import { describe, expect, it } from 'vitest';
import { RECORD_PIXELS, GrowingDataset } from './data/dataset';
import { BLOCK_RECORDS, DataOrder, type OrderPlan } from './dataOrder';
import { mixSeed, mulberry32, permutation } from './rng';

const pixels = new Uint8Array(RECORD_PIXELS);
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Streams `records` records into a dataset of capacity `capacity` in chunks of `chunk`, one chunk per event-loop
 * turn (so they keep arriving while the order waits), and takes `steps` batches meanwhile, one per turn. Returns
 * every batch's indices and what had arrived when each was handed out.
 */
async function walk(opts: { records: number; capacity?: number; chunk: number; plan: OrderPlan; trainImages: number; seed: number; steps: number }) {
  const data = new GrowingDataset(opts.capacity ?? opts.records);
  let streaming = true;
  const feed = (async () => {
    let sent = 0;
    while (sent < opts.records) {
      const k = Math.min(opts.chunk, opts.records - sent);
      for (let i = 0; i < k; i++) data.append((sent + i) % 10, pixels);
      sent += k;
      await tick();
    }
    data.finish();
    streaming = false;
  })();
  const order = new DataOrder(data, opts.seed, opts.plan, opts.trainImages);
  const batches: number[][] = [];
  const arrived: number[] = [];
  for (let step = 0; step < opts.steps; step++) {
    const idx = await order.batch(step);
    for (const r of idx) if (r >= data.available()) throw new Error(`step ${step} names record ${r}, which has not arrived`);
    batches.push(Array.from(idx));
    arrived.push(streaming ? data.available() : Infinity);
    await tick();
  }
  await feed;
  return { batches, arrived };
}

describe('DataOrder', () => {
  it('the same seed gives the same batches whether the records arrive at once or trickle in while training goes on', async () => {
    // 2,500 records, batch 100: 25 steps per epoch, the first epoch's 3 blocks (1,024, 1,024, 452); some batches
    // span two blocks. Three epochs.
    const plan = { batch: 100, stepsPerEpoch: 25 };
    const run = (chunk: number) => walk({ records: 2500, chunk, plan, trainImages: 2500, seed: 11, steps: 75 });
    const atOnce = await run(2500);
    for (const chunk of [1, 7, 100, 333, 1024]) {
      const trickled = await run(chunk);
      expect(trickled.batches).toEqual(atOnce.batches);
      // and it did train while data was still arriving (else this test would prove nothing)
      expect(trickled.arrived[0]).toBeLessThan(2500);
    }
    const other = await walk({ records: 2500, chunk: 2500, plan, trainImages: 2500, seed: 12, steps: 75 });
    expect(other.batches).not.toEqual(atOnce.batches);
  });

  it('the first epoch visits the first stepsPerEpoch * batch records once each, block by block, each block shuffled', async () => {
    const plan = { batch: 96, stepsPerEpoch: 25 }; // 2,400 of 2,450 records: blocks [0, 1024), [1024, 2048), [2048, 2400)
    const { batches } = await walk({ records: 2450, chunk: 50, plan, trainImages: 2450, seed: 3, steps: 25 });
    const visited = batches.flat();
    expect([...visited].sort((a, b) => a - b)).toEqual(Array.from({ length: 2400 }, (_, i) => i));
    const blocks = [visited.slice(0, 1024), visited.slice(1024, 2048), visited.slice(2048)];
    blocks.forEach((b, k) => {
      expect(Math.min(...b)).toBe(k * BLOCK_RECORDS);
      expect(Math.max(...b)).toBe(Math.min((k + 1) * BLOCK_RECORDS, 2400) - 1);
      expect(b).not.toEqual([...b].sort((x, y) => x - y)); // shuffled, not file order
    });
  });

  it('later epochs are seeded permutations of all the training records (the earlier rule), a new one each epoch', async () => {
    const plan = { batch: 64, stepsPerEpoch: 15 }; // 960 of 1,000 records
    const { batches } = await walk({ records: 1000, chunk: 1000, plan, trainImages: 1000, seed: 5, steps: 45 });
    const epoch = (e: number) => batches.slice(e * 15, (e + 1) * 15).flat();
    for (const e of [1, 2]) {
      expect(epoch(e)).toEqual(Array.from(permutation(1000, mulberry32(mixSeed(5, 1, e, e * 15))).subarray(0, 960)));
    }
    expect(epoch(1)).not.toEqual(epoch(2));
  });

  it('starts once the first block has arrived, and waits at the first batch that needs the next block', async () => {
    const plan = { batch: 100, stepsPerEpoch: 30 };
    const data = new GrowingDataset(3000);
    for (let i = 0; i < BLOCK_RECORDS; i++) data.append(i % 10, pixels);
    const order = new DataOrder(data, 0, plan, 3000);
    for (let step = 0; step < 10; step++) expect(Math.max(...(await order.batch(step)))).toBeLessThan(BLOCK_RECORDS); // 1,000 records
    let done = false;
    const pending = order.batch(10).then((idx) => ((done = true), idx)); // records 1,000..1,099: spans blocks 0 and 1
    for (let i = 0; i < 10; i++) await tick();
    expect(done).toBe(false);
    for (let i = BLOCK_RECORDS; i < 2 * BLOCK_RECORDS; i++) data.append(i % 10, pixels);
    const idx = await pending;
    expect(idx.filter((r) => r >= BLOCK_RECORDS)).toHaveLength(76); // 24 from the end of block 0, 76 from block 1
  });

  it('a split that ends short of its plan gives the same batches whatever the timing, over the records it has', async () => {
    // planned for 3,000 (e.g. an archive's size unknown: the config's count), only 2,100 come
    const plan = { batch: 100, stepsPerEpoch: 30 };
    const run = (chunk: number) => walk({ records: 2100, capacity: 3000, chunk, plan, trainImages: 3000, seed: 9, steps: 70 });
    const atOnce = await run(2100);
    expect(await run(13).then((r) => r.batches)).toEqual(atOnce.batches);
    expect(Math.max(...atOnce.batches.flat())).toBe(2099);
    // fewer records than one batch: a clear error, not a hang
    const tiny = new GrowingDataset(50);
    for (let i = 0; i < 30; i++) tiny.append(0, pixels);
    tiny.finish();
    await expect(new DataOrder(tiny, 0, { batch: 40, stepsPerEpoch: 1 }, 50).batch(0)).rejects.toThrow(/ended with 30 images, fewer than one batch of 40/);
  });

  it('a snapshot restored into a fresh order goes on exactly as the uninterrupted one, mid-block, mid-batch and in later epochs', async () => {
    const plan = { batch: 100, stepsPerEpoch: 25 };
    const data = new GrowingDataset(2500);
    for (let i = 0; i < 2500; i++) data.append(i % 10, pixels);
    data.finish();
    const full = new DataOrder(data, 4, plan, 2500);
    const all: Int32Array[] = [];
    const snaps = new Map<number, ReturnType<DataOrder['snapshot']>>();
    for (let step = 0; step < 60; step++) {
      snaps.set(step, full.snapshot());
      all.push(await full.batch(step));
    }
    for (const at of [0, 3, 10, 11, 25, 37]) {
      const resumed = new DataOrder(data, 4, plan, 2500);
      await resumed.restore(snaps.get(at)!);
      for (let step = at; step < 60; step++) expect(Array.from(await resumed.batch(step))).toEqual(Array.from(all[step]!));
    }
  });

  it("a checkpoint of the earlier rule (a permutation of the epoch's records) goes on through it to the epoch's end", async () => {
    const plan = { batch: 32, stepsPerEpoch: 31 }; // 992 of 1,000
    const data = new GrowingDataset(1000);
    for (let i = 0; i < 1000; i++) data.append(i % 10, pixels);
    data.finish();
    const old = permutation(1000, mulberry32(mixSeed(0, 1, 0, 0))); // what the earlier rule drew at step 0
    const order = new DataOrder(data, 0, plan, 1000);
    await order.restore({ perm: old, next: 5 * 32 });
    for (let step = 5; step < 31; step++) expect(Array.from(await order.batch(step))).toEqual(Array.from(old.subarray(step * 32, (step + 1) * 32)));
    expect(Array.from(await order.batch(31))).toEqual(Array.from(permutation(1000, mulberry32(mixSeed(0, 1, 1, 31))).subarray(0, 32)));
  });

  it('refuses a checkpoint order that names records the data does not hold, or a place outside it', async () => {
    const data = new GrowingDataset(100);
    for (let i = 0; i < 100; i++) data.append(i % 10, pixels);
    data.finish();
    const order = new DataOrder(data, 0, { batch: 10, stepsPerEpoch: 10 }, 100);
    await expect(order.restore({ perm: Int32Array.from([3, 150, 7]), next: 0 })).rejects.toThrow(/names record 150; the training data has 100/);
    await expect(order.restore({ perm: Int32Array.from([3, -1]), next: 0 })).rejects.toThrow(/names record -1/);
    await expect(order.restore({ perm: Int32Array.from([3, 4]), next: 5 })).rejects.toThrow(/outside its 2 records/);
  });
});
