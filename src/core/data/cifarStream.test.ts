import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCifarStream, sniffFormat, type CifarBatch, type ParseOptions } from './cifarStream';
import { CifarFormatError } from './errors';
import { chunkedStream, concat } from './streams';
import { TEST_RECORDS, TRAIN_PER_CLASS, TRAIN_RECORDS, lcg, sharedBytes, syntheticRecords } from '../../../test/fixtures/data';

/** Parses everything, returning labels and pixels joined, the batches, and the error if it threw. */
async function parseAll(stream: ReadableStream<Uint8Array>, options: ParseOptions = {}) {
  const batches: CifarBatch[] = [];
  let error: unknown = null;
  try {
    for await (const b of parseCifarStream(stream, options)) batches.push(b);
  } catch (err) {
    error = err;
  }
  return {
    batches,
    error,
    records: batches.reduce((s, b) => s + b.count, 0),
    labels: concat(batches.map((b) => b.labels)),
    pixels: concat(batches.map((b) => b.pixels)),
  };
}

/** The file's bytes without label bytes: what the parser must produce, [n, 3072]. */
function pixelsOf(file: Uint8Array): Uint8Array {
  const n = file.length / 3073;
  const out = new Uint8Array(n * 3072);
  for (let i = 0; i < n; i++) out.set(file.subarray(i * 3073 + 1, (i + 1) * 3073), i * 3072);
  return out;
}

/** Chunk sizes mixing single bytes, sizes near a record and large reads. */
function randomSizes(seed: number, count: number): number[] {
  const rand = lcg(seed);
  return Array.from({ length: count }, () => {
    const r = rand();
    if (r < 0.25) return 1;
    if (r < 0.5) return 1 + Math.floor(rand() * 100);
    if (r < 0.75) return 3000 + Math.floor(rand() * 200);
    return 1 + Math.floor(rand() * 40000);
  });
}

describe('parseCifarStream on the real train subset', () => {
  const file = sharedBytes('train_subset.bin');

  it('parses all records (4,000 shared or 2,000 sample) with their per-class counts', async () => {
    const { records, batches, error } = await parseAll(chunkedStream(file, 65536), { expectedBytes: file.length });
    expect(error).toBeNull();
    expect(records).toBe(TRAIN_RECORDS);
    expect(batches.at(-1)!.progress).toEqual({ bytes: TRAIN_RECORDS * 3073, records: TRAIN_RECORDS, perClass: TRAIN_PER_CLASS });
  });

  it('reads the well-known first labels of data_batch_1', async () => {
    const { labels } = await parseAll(chunkedStream(file, 65536));
    expect(Array.from(labels.subarray(0, 10))).toEqual([6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
  });

  it('decodes image 0 (the frog) byte-exactly in CHW order', async () => {
    const { pixels } = await parseAll(chunkedStream(file, 65536));
    const frog = pixels.subarray(0, 3072);
    // Top row of the red plane of data_batch_1 image 0, as printed by every CIFAR-10 tutorial.
    expect(Array.from(frog.subarray(0, 32))).toEqual([
      59, 43, 50, 68, 98, 119, 139, 145, 149, 149, 131, 125, 142, 144, 137, 129, 137, 134, 124, 139, 139, 133, 136, 139, 152, 163, 168, 159, 158, 158, 152,
      148,
    ]);
    expect(Array.from(frog.subarray(1024, 1032))).toEqual([62, 46, 48, 54, 73, 91, 107, 110]); // G row 0
    expect(Array.from(frog.subarray(2048, 2056))).toEqual([63, 45, 43, 42, 52, 63, 75, 80]); // B row 0
    expect(createHash('sha256').update(frog).digest('hex')).toBe('e052de7deb775f78e5e3b718032db5e72434ae6f0d34152c7ad434521631b17c');
    // And every other image is the file's bytes minus its label byte.
    expect(Buffer.compare(pixels, pixelsOf(file))).toBe(0);
  });

  it('gives identical records for random chunk sizes, including 1-byte chunks', async () => {
    const reference = await parseAll(chunkedStream(file, 65536));
    for (const seed of [1, 2]) {
      const got = await parseAll(chunkedStream(file, randomSizes(seed, 5000)), { batchRecords: 1 + seed * 37 });
      expect(got.error).toBeNull();
      expect(Buffer.compare(got.labels, reference.labels)).toBe(0);
      expect(Buffer.compare(got.pixels, reference.pixels)).toBe(0);
    }
    // Every byte its own chunk (on a prefix: 12 M one-byte reads would only test the stream machinery's speed).
    const prefix = file.subarray(0, 40 * 3073);
    const bytewise = await parseAll(chunkedStream(prefix, 1), { batchRecords: 16 });
    expect(bytewise.records).toBe(40);
    expect(Buffer.compare(bytewise.labels, reference.labels.subarray(0, 40))).toBe(0);
    expect(Buffer.compare(bytewise.pixels, reference.pixels.subarray(0, 40 * 3072))).toBe(0);
  });

  it('yields batches of the requested size with running progress', async () => {
    const { batches } = await parseAll(chunkedStream(file, 10_000), { batchRecords: 1000 });
    const n = Math.ceil(TRAIN_RECORDS / 1000); // 4 (shared) or 2 (sample)
    expect(batches.map((b) => b.count)).toEqual(Array.from({ length: n }, (_, i) => Math.min(1000, TRAIN_RECORDS - 1000 * i)));
    expect(batches.map((b) => b.first)).toEqual(Array.from({ length: n }, (_, i) => 1000 * i));
    expect(batches[1]!.progress.records).toBe(2000);
    expect(batches[1]!.progress.bytes).toBe(2000 * 3073);
  });
});

describe('parseCifarStream on the real test subset', () => {
  it('parses every test record (5,000 shared or 1,000 sample), round-robin by class', async () => {
    const file = sharedBytes('test_subset.bin');
    const { labels, error } = await parseAll(chunkedStream(file, 65536));
    expect(error).toBeNull();
    expect(labels.length).toBe(TEST_RECORDS);
    expect(labels.every((l, i) => l === i % 10)).toBe(true);
  });
});

describe('parseCifarStream rejects bad input with a clear error', () => {
  const good = syntheticRecords(20);

  async function expectError(bytes: Uint8Array, pattern: RegExp, options: ParseOptions = {}) {
    const result = await parseAll(chunkedStream(bytes, 1000), { name: 'x.bin', batchRecords: 8, ...options });
    expect(result.error).toBeInstanceOf(CifarFormatError);
    expect((result.error as Error).message).toMatch(pattern);
    return result;
  }

  it('a truncated last record', async () => {
    const r = await expectError(good.subarray(0, good.length - 100), /^x\.bin: truncated last record: .* 19 whole records \+ 2973 bytes/);
    // Only whole batches of whole records came out; the partial batch with the broken tail did not.
    expect(r.records).toBe(16);
  });

  it('a size known up front that is no multiple of 3073, before any record', async () => {
    const bytes = concat([good, new Uint8Array(5)]);
    const r = await expectError(bytes, /size 61465 bytes is not a multiple of 3073 \(one CIFAR-10 record\): 20 records \+ 5 bytes/, {
      expectedBytes: bytes.length,
    });
    expect(r.records).toBe(0);
  });

  it('a stream shorter than its announced size', async () => {
    await expectError(good.subarray(0, 10 * 3073), /ended after 30730 of 61460 bytes/, { expectedBytes: good.length });
  });

  it('a label byte above 9, without handing out its batch', async () => {
    const bytes = good.slice();
    bytes[11 * 3073] = 10;
    const r = await expectError(bytes, /record 11 \(byte 33803\) has label 10; CIFAR-10 labels are 0\.\.9/);
    expect(r.records).toBe(8); // batch 0..7 was whole and checked; batch 8..15 held the bad record
  });

  it('an empty file', async () => {
    await expectError(new Uint8Array(0), /^x\.bin: empty: no CIFAR-10 records/);
    await expectError(new Uint8Array(0), /empty/, { expectedBytes: 0 });
  });

  it('a PNG, a gzip file and text', async () => {
    const png = new Uint8Array(3073 * 2);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    await expectError(png, /^x\.bin: not a CIFAR-10 binary file: it looks like a PNG file/);
    const gz = new Uint8Array(3073);
    gz.set([0x1f, 0x8b, 8, 0]);
    await expectError(gz, /looks like gzip data/);
    await expectError(new TextEncoder().encode('<!doctype html><p>Not found</p>'), /looks like text/);
  });

  it('stopping early cancels the source', async () => {
    let cancelled = false;
    const source = chunkedStream(good, 3073);
    const reader = source.getReader();
    const wrapped = new ReadableStream<Uint8Array>({
      pull: async (c) => {
        const next = await reader.read();
        if (next.done) c.close();
        else c.enqueue(next.value);
      },
      cancel: () => {
        cancelled = true;
      },
    });
    for await (const batch of parseCifarStream(wrapped, { batchRecords: 4 })) {
      expect(batch.count).toBe(4);
      break;
    }
    expect(cancelled).toBe(true);
  });
});

describe('sniffFormat', () => {
  it('recognises common non-CIFAR files by their magic bytes', () => {
    expect(sniffFormat(new Uint8Array([0x1f, 0x8b, 8]))).toBe('gzip');
    expect(sniffFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffFormat(new Uint8Array([0x50, 0x4b, 3, 4]))).toBe('zip');
    const tar = new Uint8Array(512);
    tar.set(new TextEncoder().encode('ustar'), 257);
    tar[0] = 0x61;
    expect(sniffFormat(tar)).toBe('tar');
    expect(sniffFormat(syntheticRecords(1))).toBeNull();
  });
});
