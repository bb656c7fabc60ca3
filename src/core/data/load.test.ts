import { describe, expect, it } from 'vitest';
import { planLanes, type CifarInput } from './inputs';
import { loadCifar, type LoadProgress } from './load';
import { CifarFormatError } from './errors';
import { chunkedStream, concat } from './streams';
import {
  TEST_PER_CLASS,
  TEST_RECORDS,
  TRAIN_PER_CLASS,
  TRAIN_RECORDS,
  makeTarGz,
  sharedBytes,
  sharedTarGz,
  syntheticRecords,
} from '../../../test/fixtures/data';

const file = (name: string, bytes: Uint8Array | string) => new File([bytes as BlobPart], name);

/** An input whose stream the test feeds by hand. */
function manualInput(name: string) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const input: CifarInput = { name, bytes: null, open: async () => ({ stream, bytes: null }) };
  return { input, push: (b: Uint8Array) => controller.enqueue(b), close: () => controller.close() };
}

async function failureOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('loadCifar from files', () => {
  it('loads the real data: every train and test record, completing short of larger requests', async () => {
    const events: LoadProgress[] = [];
    const load = loadCifar(
      { kind: 'files', files: [file('test_subset.bin', sharedBytes('test_subset.bin')), file('train_subset.bin', sharedBytes('train_subset.bin'))] },
      { train: 10_000, test: 6000, subset: 'first', onProgress: (p) => events.push(p) },
    );
    await load.done;
    expect(load.train.available()).toBe(TRAIN_RECORDS);
    expect(load.train.isComplete()).toBe(true);
    expect(load.train.perClass).toEqual(TRAIN_PER_CLASS);
    expect(Array.from(load.train.labels.subarray(0, 10))).toEqual([6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    expect(load.test.available()).toBe(TEST_RECORDS);
    expect(load.test.perClass).toEqual(TEST_PER_CLASS);
    const last = events.at(-1)!;
    expect(last.phase).toBe('done');
    expect(last.bytesLoaded).toBe((TRAIN_RECORDS + TEST_RECORDS) * 3073);
    expect(last.bytesTotal).toBe((TRAIN_RECORDS + TEST_RECORDS) * 3073);
    expect(last.train).toEqual({ records: TRAIN_RECORDS, target: 10_000, perClass: TRAIN_PER_CLASS, complete: true, expected: TRAIN_RECORDS });
    // the file sizes told the final count before the stream ended, so a trainer can plan its epochs early
    const streaming = events.find((e) => e.phase === 'streaming' && !e.train.complete);
    if (streaming) expect(streaming.train.expected).toBe(TRAIN_RECORDS);
    expect(events[0]!.phase).toBe('connecting');
  });

  it("'first' keeps the first N records in file order and stops reading", async () => {
    const train = sharedBytes('train_subset.bin');
    const test = sharedBytes('test_subset.bin');
    // Streams in 64 KiB chunks, like a file or a download (an in-memory Blob in Node is one big chunk).
    const input = (name: string, bytes: Uint8Array): CifarInput => ({
      name,
      bytes: bytes.length,
      open: async () => ({ stream: chunkedStream(bytes, 65536), bytes: bytes.length }),
    });
    const load = loadCifar(
      { kind: 'inputs', inputs: [input('train_subset.bin', train), input('test_subset.bin', test)] },
      { train: 1000, test: 100, subset: 'first' },
    );
    await load.done;
    expect(load.train.available()).toBe(1000);
    for (const r of [0, 517, 999]) {
      expect(load.train.labels[r]).toBe(train[r * 3073]);
      expect(Buffer.compare(load.train.pixels.subarray(r * 3072, (r + 1) * 3072), train.subarray(r * 3073 + 1, (r + 1) * 3073))).toBe(0);
    }
    // About one parser batch (256 records) and a few chunks past what was kept; the rest was never read.
    expect(load.progress().bytesLoaded).toBeLessThan(5_000_000);
  });

  it("'balanced' takes N/10 per class, the remainder to the first classes", async () => {
    const load = loadCifar(
      { kind: 'files', files: [file('train_subset.bin', sharedBytes('train_subset.bin')), file('test_subset.bin', sharedBytes('test_subset.bin'))] },
      { train: 105, test: 25, subset: 'balanced' },
    );
    await load.done;
    expect(load.train.perClass).toEqual([11, 11, 11, 11, 11, 10, 10, 10, 10, 10]);
    expect(load.test.perClass).toEqual([3, 3, 3, 3, 3, 2, 2, 2, 2, 2]);
  });

  it('streams a tar.gz built from the shared .bin files to the same records', async () => {
    const train = sharedBytes('train_subset.bin');
    const test = sharedBytes('test_subset.bin');
    const tgz = await sharedTarGz();
    const fromTar = loadCifar(
      { kind: 'files', files: [file('cifar-10-binary.tar.gz', tgz)] },
      { train: TRAIN_RECORDS, test: TEST_RECORDS, subset: 'first' },
    );
    const fromBin = loadCifar(
      { kind: 'files', files: [file('train_subset.bin', train), file('test_subset.bin', test)] },
      { train: TRAIN_RECORDS, test: TEST_RECORDS, subset: 'first' },
    );
    await Promise.all([fromTar.done, fromBin.done]);
    for (const split of ['train', 'test'] as const) {
      expect(fromTar[split].available()).toBe(fromBin[split].available());
      expect(Buffer.compare(fromTar[split].labels, fromBin[split].labels)).toBe(0);
      expect(Buffer.compare(fromTar[split].pixels, fromBin[split].pixels)).toBe(0);
    }
  });

  it('lets training start on the first batch while the rest still streams', async () => {
    const train = manualInput('data_batch_1.bin');
    const test = manualInput('test_batch.bin');
    const load = loadCifar({ kind: 'inputs', inputs: [train.input, test.input] }, { train: 1000, test: 10, subset: 'first' });
    const records = syntheticRecords(600);
    train.push(records.subarray(0, 300 * 3073 + 17)); // 300 records and a bit of the next
    await load.train.waitFor(256);
    expect(load.train.available()).toBe(256);
    expect(load.train.isComplete()).toBe(false);
    train.push(records.subarray(300 * 3073 + 17));
    train.close();
    test.push(syntheticRecords(10));
    test.close();
    await load.done;
    expect(load.train.available()).toBe(600);
  });
});

describe('loadCifar rejects bad data and ends in a safe state', () => {
  /** Loads the files, expects failure matching `pattern`, and checks both splits failed with it. */
  async function expectFailure(files: File[], pattern: RegExp, maxTrain = 0) {
    const load = loadCifar({ kind: 'files', files }, { train: 4000, test: 100, subset: 'first' });
    const err = await failureOf(load.done);
    expect(err.message).toMatch(pattern);
    expect(load.progress().phase).toBe('failed');
    expect(load.progress().error).toBe(err.message);
    for (const split of [load.train, load.test]) {
      expect(split.error()).toBe(err);
      await expect(split.waitFor(1)).rejects.toBe(err);
    }
    expect(load.train.available()).toBeLessThanOrEqual(maxTrain);
    return { load, err };
  }
  const test = () => file('test_batch.bin', syntheticRecords(100));
  const train = sharedBytes('train_subset.bin');

  it('a truncated last record, before any record is kept', async () => {
    await expectFailure(
      [file('data_batch_1.bin', train.subarray(0, train.length - 100)), test()],
      new RegExp(`^data_batch_1\\.bin: size ${train.length - 100} bytes is not a multiple of 3073`),
    );
  });

  it('a size that is not a multiple of 3073', async () => {
    await expectFailure(
      [file('data_batch_1.bin', concat([train.subarray(0, 3073 * 10), new Uint8Array(7)])), test()],
      /size 30737 bytes is not a multiple of 3073 \(one CIFAR-10 record\): 10 records \+ 7 bytes/,
    );
  });

  it('a label byte above 9: only whole, checked records before it were kept', async () => {
    const bad = train.slice(0, 3073 * 2000);
    bad[1500 * 3073] = 200;
    const { load } = await expectFailure([file('data_batch_1.bin', bad), test()], /^data_batch_1\.bin: record 1500 \(byte 4609500\) has label 200/, 1500);
    expect(load.train.available() % 256).toBe(0);
  });

  it('a PNG, an empty file, and a file that is neither', async () => {
    const png = new Uint8Array(5000);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    await expectFailure([file('cat.png', png), test()], /^cat\.png: not a CIFAR-10 binary file: it looks like a PNG file$/);
    await expectFailure([file('data_batch_1.bin', new Uint8Array(0)), test()], /^data_batch_1\.bin: empty: no CIFAR-10 records/);
    await expectFailure([file('notes.bin', 'hello '.repeat(3073)), test()], /^notes\.bin: not a CIFAR-10 binary file: it looks like text/);
  });

  it('a broken tar.gz', async () => {
    const tgz = await makeTarGz([{ name: 'cifar-10-batches-bin/data_batch_1.bin', bytes: train.subarray(0, 3073 * 1000) }]);
    await expectFailure(
      [file('cifar-10-binary.tar.gz', tgz.subarray(0, tgz.length >> 1))],
      /^cifar-10-binary\.tar\.gz: (gzip data ended early|tar archive is truncated)/,
      1000,
    );
  });

  it('a split with no records at all', async () => {
    const { err } = await expectFailure(
      [file('data_batch_1.bin', train.subarray(0, 3073 * 300))],
      /^no test records in the data \(files: data_batch_1\.bin\)/,
      300,
    );
    expect(err).toBeInstanceOf(CifarFormatError);
  });

  it('an abort stops loading and fails both splits with its reason', async () => {
    const slow = manualInput('data_batch_1.bin');
    const abort = new AbortController();
    const load = loadCifar({ kind: 'inputs', inputs: [slow.input] }, { train: 100, test: 10, subset: 'first', signal: abort.signal });
    slow.push(syntheticRecords(3));
    abort.abort(new Error('a new run started'));
    const err = await failureOf(load.done);
    expect(err.message).toBe('a new run started');
    await expect(load.train.waitFor(10)).rejects.toThrow('a new run started');
  });
});

describe('planLanes', () => {
  const input = (name: string): CifarInput => ({ name, bytes: 1, open: async () => ({ stream: chunkedStream(new Uint8Array(0), 1), bytes: 0 }) });

  it('reads train and test files side by side, each in natural name order', () => {
    const lanes = planLanes(['test_batch.bin', 'data_batch_10.bin', 'data_batch_2.bin', 'data_batch_1.bin'].map(input));
    expect(lanes.map((l) => l.map((i) => i.name))).toEqual([['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_10.bin'], ['test_batch.bin']]);
  });

  it('reads everything in one lane when an archive is among the inputs', () => {
    const lanes = planLanes(['cifar-10-binary.tar.gz', 'test_batch.bin'].map(input));
    expect(lanes.map((l) => l.map((i) => i.name))).toEqual([['cifar-10-binary.tar.gz', 'test_batch.bin']]);
  });
});
