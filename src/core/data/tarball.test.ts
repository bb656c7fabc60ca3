import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { packTar } from 'modern-tar';
import { parseCifarStream } from './cifarStream';
import { CifarFormatError } from './errors';
import { chunkedStream, concat } from './streams';
import { readArchive, splitOfName } from './tarball';
import { makeTarGz, sharedBytes, sharedTarGz, syntheticRecords } from '../../../test/fixtures/data';

/** Every .bin member of an archive: name, split, and its parsed labels and pixels. */
async function membersOf(stream: ReadableStream<Uint8Array>, gzip: boolean) {
  const out: { name: string; split: string; size: number; labels: Uint8Array; pixels: Uint8Array }[] = [];
  for await (const m of readArchive(stream, { gzip, name: 'a.tar.gz' })) {
    const labels: Uint8Array[] = [];
    const pixels: Uint8Array[] = [];
    for await (const b of parseCifarStream(m.body, { name: m.name, expectedBytes: m.size })) {
      labels.push(b.labels);
      pixels.push(b.pixels);
    }
    out.push({ name: m.name, split: m.split, size: m.size, labels: concat(labels), pixels: concat(pixels) });
  }
  return out;
}

async function direct(file: Uint8Array) {
  const labels: Uint8Array[] = [];
  const pixels: Uint8Array[] = [];
  for await (const b of parseCifarStream(chunkedStream(file, 65536))) {
    labels.push(b.labels);
    pixels.push(b.pixels);
  }
  return { labels: concat(labels), pixels: concat(pixels) };
}

async function errorOf(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('readArchive', () => {
  it('streams a tar.gz built from the shared .bin files to the same records', async () => {
    const train = sharedBytes('train_subset.bin');
    const test = sharedBytes('test_subset.bin');
    const tgz = await sharedTarGz();
    const members = await membersOf(chunkedStream(tgz, 50_000), true);
    expect(members.map((m) => [m.name, m.split, m.size])).toEqual([
      ['cifar-10-batches-bin/train_subset.bin', 'train', train.length],
      ['cifar-10-batches-bin/test_subset.bin', 'test', test.length],
    ]);
    for (const [m, file] of [
      [members[0]!, train],
      [members[1]!, test],
    ] as const) {
      const want = await direct(file);
      expect(Buffer.compare(m.labels, want.labels)).toBe(0);
      expect(Buffer.compare(m.pixels, want.pixels)).toBe(0);
    }
  });

  it('reads an uncompressed tar and skips members nobody reads', async () => {
    const bytes = new Uint8Array(3073 * 3);
    const tar = await packTar([
      { header: { name: 'data_batch_1.bin', size: bytes.length }, body: bytes },
      { header: { name: 'data_batch_2.bin', size: bytes.length }, body: bytes },
      { header: { name: 'test_batch.bin', size: bytes.length }, body: bytes },
    ]);
    const seen: string[] = [];
    for await (const m of readArchive(chunkedStream(tar, 777), { gzip: false })) seen.push(`${m.name}:${m.split}`);
    expect(seen).toEqual(['data_batch_1.bin:train', 'data_batch_2.bin:train', 'test_batch.bin:test']);
  });

  it('goes on to the next member after one was abandoned half-read (modern-tar cancel stall)', async () => {
    const records = syntheticRecords(40);
    const tar = await packTar([
      { header: { name: 'batches.meta.txt', size: 9 }, body: 'airplane\n' },
      { header: { name: 'data_batch_1.bin', size: records.length }, body: records },
      { header: { name: 'test_batch.bin', size: records.length }, body: records },
    ]);
    const counts: number[] = [];
    for await (const m of readArchive(chunkedStream(tar, 50_000), { gzip: false })) {
      let n = 0;
      for await (const b of parseCifarStream(m.body, { batchRecords: 8 })) {
        n += b.count;
        if (m.split === 'train') break;
      }
      counts.push(n);
    }
    expect(counts).toEqual([8, 40]);
  });

  it('rejects a truncated tar.gz, a non-gzip file and an archive without .bin files', async () => {
    const tgz = await makeTarGz([{ name: 'cifar-10-batches-bin/data_batch_1.bin', bytes: sharedBytes('train_subset.bin').subarray(0, 3073 * 300) }]);
    const cut = await errorOf(() => membersOf(chunkedStream(tgz.subarray(0, tgz.length >> 1), 4096), true));
    expect(cut).toBeInstanceOf(CifarFormatError);
    expect(cut.message).toMatch(/^a\.tar\.gz: (gzip data ended early \(truncated download\?\)|tar archive is truncated)$/);

    const png = new Uint8Array(1000);
    png.set([0x89, 0x50, 0x4e, 0x47]);
    const notGz = await errorOf(() => membersOf(chunkedStream(png, 100), true));
    expect(notGz.message).toBe('a.tar.gz: not a gzip file (expected cifar-10-binary.tar.gz)');

    const empty = await makeTarGz([{ name: 'readme.html', bytes: '<html></html>' }]);
    const none = await errorOf(() => membersOf(chunkedStream(empty, 100), true));
    expect(none.message).toBe('a.tar.gz: the archive holds no CIFAR-10 .bin files');
  });
});

describe('gzip as gzip -d reads it', () => {
  const records = syntheticRecords(200);
  const tar = async () =>
    packTar([
      { header: { name: 'data_batch_1.bin', size: records.length }, body: records },
      { header: { name: 'test_batch.bin', size: records.length }, body: records },
    ]);

  it("reads a file of several gzip members (bgzip, pigz -i) as their contents one after another (browsers' DecompressionStream refuses the second)", async () => {
    const t = await tar();
    // The tar cut into three members at arbitrary bytes, as block-gzip tools write it.
    const cuts = [0, 1000, 250_000, t.length];
    const members = concat(cuts.slice(1).map((end, i) => new Uint8Array(gzipSync(t.subarray(cuts[i], end)))));
    for (const chunk of [7, 4096, 1 << 20]) {
      const read = await membersOf(chunkedStream(members, chunk), true);
      expect(read.map((m) => [m.name, m.labels.length])).toEqual([
        ['data_batch_1.bin', 200],
        ['test_batch.bin', 200],
      ]);
      expect(Buffer.compare(read[1]!.pixels, (await direct(records)).pixels)).toBe(0);
    }
  });

  it('reads archives one after another (cat a.tar.gz b.tar.gz) as one: every member of each, as tar --ignore-zeros', async () => {
    const a = await packTar([{ header: { name: 'data_batch_1.bin', size: records.length }, body: records }]);
    const b = await packTar([{ header: { name: 'test_batch.bin', size: records.length }, body: records }]);
    const both = concat([new Uint8Array(gzipSync(a)), new Uint8Array(gzipSync(b))]);
    for (const chunk of [100, 4096, 1 << 20]) {
      const read = await membersOf(chunkedStream(both, chunk), true);
      expect(read.map((m) => [m.name, m.split, m.labels.length])).toEqual([
        ['data_batch_1.bin', 'train', 200],
        ['test_batch.bin', 'test', 200],
      ]);
    }
    // uncompressed too
    expect((await membersOf(chunkedStream(concat([a, b]), 777), false)).map((m) => m.name)).toEqual(['data_batch_1.bin', 'test_batch.bin']);
  });

  it('names trailing garbage as such, and a damaged member by its checksum', async () => {
    const gz = new Uint8Array(gzipSync(await tar()));
    for (const tail of [new TextEncoder().encode('garbage appended!'), new Uint8Array(1024), Uint8Array.of(0x78)]) {
      const err = await errorOf(() => membersOf(chunkedStream(concat([gz, tail]), 4096), true));
      expect(err).toBeInstanceOf(CifarFormatError);
      expect(err.message).toMatch(/^a\.tar\.gz: trailing garbage after the gzip data/);
    }
    const flipped = gz.slice();
    flipped[flipped.length - 6]! ^= 0x10; // in the CRC-32 of the trailer
    const damaged = await errorOf(() => membersOf(chunkedStream(flipped, 4096), true));
    expect(damaged.message).toMatch(/damaged|does not match/);
    const two = concat([gz.slice(0, -8), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), gz]); // member 1's trailer wrong
    expect((await errorOf(() => membersOf(chunkedStream(two, 4096), true))).message).toMatch(/gzip member 1 is damaged/);
  });
});

describe('splitOfName', () => {
  it('tells train from test by file name and ignores non-.bin files', () => {
    expect(splitOfName('cifar-10-batches-bin/data_batch_3.bin')).toBe('train');
    expect(splitOfName('test_batch.bin')).toBe('test');
    expect(splitOfName('train_subset.bin')).toBe('train');
    expect(splitOfName('TEST_subset.BIN')).toBe('test');
    expect(splitOfName('batches.meta.txt')).toBeNull();
    expect(splitOfName('cifar-10-binary.tar.gz')).toBeNull();
  });
});
