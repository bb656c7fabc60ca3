/**
 * Makes the built-in CIFAR-10 sample under public/cifar10-sample/ from the shared subsets:
 *
 *   npx tsx scripts/make-sample.ts [--data DIR]      (DIR: $CIFAR10_DIR, else ../shared/data/cifar10)
 *
 * train: the first 200 images of each class of train_subset.bin (data_batch_1 order; exact CIFAR-10 pixels)
 * test:  the first 100 images of each class of test_subset.bin (JPEG-decoded copies of test_batch images)
 *
 * Each split becomes a PNG sprite of 32x32 tiles (50 per row, in sample order) and sample.json records the labels,
 * the source record index of every image, the source file's SHA-256 and the SHA-256 of the decoded records.
 * Encoding: pngjs with adaptive filters at deflate level 9 (fast-png's encoder writes unfiltered rows, which
 * compress no better than gzip of the raw records); decoding, in the page and in Node: fast-png.
 * Prints the sizes of the options it compared, so the choice can be checked again.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { RECORD_BYTES } from '../src/core/data/dataset';
import { decodeSampleSplit, parseSampleManifest, type SampleManifest, type SampleSplit } from '../src/core/data/sample';
import { SAMPLE } from '../src/core/data/sampleInfo';
import type { Split } from '../src/core/data/tarball';
import { REPO_ROOT } from '../src/node/localData';

const COLUMNS = 50;
const TILE = 32;

const { values } = parseArgs({ options: { data: { type: 'string' } } });
const dataDir = path.resolve(values.data ?? process.env['CIFAR10_DIR'] ?? path.join(REPO_ROOT, '../shared/data/cifar10'));
const outDir = path.join(REPO_ROOT, 'public', SAMPLE.folder);

const plan: Record<Split, { file: string; perClass: number; fidelity: string }> = {
  train: { file: 'train_subset.bin', perClass: SAMPLE.train / 10, fidelity: 'exact CIFAR-10 pixels (data_batch_1)' },
  test: { file: 'test_subset.bin', perClass: SAMPLE.test / 10, fidelity: 'JPEG-decoded (quality 75, 4:2:0 chroma) copies of test_batch images' },
};

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The first `perClass` records of each class, in file order: their indices. */
function pickBalanced(bin: Uint8Array, perClass: number): number[] {
  const taken = new Array<number>(10).fill(0);
  const picked: number[] = [];
  for (let i = 0; i * RECORD_BYTES < bin.length && picked.length < perClass * 10; i++) {
    const label = bin[i * RECORD_BYTES]!;
    if (taken[label]! < perClass) {
      taken[label]!++;
      picked.push(i);
    }
  }
  if (picked.length !== perClass * 10) throw new Error(`only ${picked.length} records found for ${perClass} per class`);
  return picked;
}

function sprite(bin: Uint8Array, records: number[]): Buffer {
  const rows = Math.ceil(records.length / COLUMNS);
  const width = COLUMNS * TILE;
  const rgb = Buffer.alloc(width * rows * TILE * 3);
  records.forEach((src, k) => {
    const x0 = (k % COLUMNS) * TILE;
    const y0 = Math.floor(k / COLUMNS) * TILE;
    const rec = src * RECORD_BYTES + 1;
    for (let y = 0; y < TILE; y++) {
      for (let x = 0; x < TILE; x++) {
        const p = ((y0 + y) * width + x0 + x) * 3;
        for (let c = 0; c < 3; c++) rgb[p + c] = bin[rec + c * 1024 + y * TILE + x]!;
      }
    }
  });
  const png = new PNG({ width, height: rows * TILE, colorType: 2, inputColorType: 2 });
  png.data = rgb;
  // filterType -1: per row, the filter whose output sums smallest (libpng's heuristic).
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, deflateLevel: 9, filterType: -1 });
}

mkdirSync(outDir, { recursive: true });
const splits = {} as Record<Split, SampleSplit>;
const rawRecords: Uint8Array[] = [];
for (const split of ['train', 'test'] as const) {
  const { file, perClass, fidelity } = plan[split];
  const bin = new Uint8Array(readFileSync(path.join(dataDir, file)));
  const records = pickBalanced(bin, perClass);
  const exact = new Uint8Array(records.length * RECORD_BYTES);
  records.forEach((src, k) => exact.set(bin.subarray(src * RECORD_BYTES, (src + 1) * RECORD_BYTES), k * RECORD_BYTES));
  rawRecords.push(exact);
  const png = sprite(bin, records);
  writeFileSync(path.join(outDir, `${split}.png`), png);
  splits[split] = {
    file: `${split}.png`,
    count: records.length,
    columns: COLUMNS,
    labels: records.map((r) => String(bin[r * RECORD_BYTES])).join(''),
    sha256: sha256(exact),
    fidelity,
    source: { file, sha256: sha256(bin), records },
  };
  // The check the tests repeat: the PNG decodes back to the source records, byte for byte.
  const decoded = decodeSampleSplit(png, splits[split]);
  if (Buffer.compare(Buffer.from(decoded), Buffer.from(exact)) !== 0) throw new Error(`${split}.png does not decode to its records`);
  process.stderr.write(`${split}: ${records.length} images, ${png.length} bytes of PNG\n`);
}
const manifest: SampleManifest = { format: 1, splits };
parseSampleManifest(manifest); // what the page will read must pass its own check
writeFileSync(path.join(outDir, SAMPLE.manifest), JSON.stringify(manifest) + '\n');

const raw = Buffer.concat(rawRecords);
const pngBytes = (['train', 'test'] as const).reduce((n, s) => n + readFileSync(path.join(outDir, splits[s].file)).length, 0);
process.stderr.write(
  `sizes: raw records ${raw.length}, gzip -9 of them ${gzipSync(raw, { level: 9 }).length}, PNG sprites ${pngBytes}` +
    `, sample.json ${readFileSync(path.join(outDir, SAMPLE.manifest)).length}\n`,
);
