/**
 * Test-only helpers (Node): where the real data lives, and archives built from it. Never imported by app code,
 * which is why this module may use node: imports although it sits in src/core.
 *
 * The real data is the shared CIFAR-10 subsets ($CIFAR10_DIR, else ../shared/data/cifar10 beside the clone:
 * 4,000 train and 5,000 test records) when they are there, else the built-in sample (2,000 + 1,000 records,
 * public/cifar10-sample/) decoded into the same two file names under .cache/sample-bin/, so a fresh clone runs
 * every test on real images. Tests take their expected counts from `TRAIN_RECORDS`, `TRAIN_PER_CLASS`...; the few
 * that need the larger subsets check `HAS_SHARED` (and say when they are skipped).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { packTar } from 'modern-tar';
import { RECORD_BYTES } from './dataset';
import { decodeSampleSplit, parseSampleManifest, type SampleManifest } from './sample';
import { SAMPLE } from './sampleInfo';

/** The repository root (this file is src/core/data/testFixtures.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the shared subsets would be: $CIFAR10_DIR, else ../shared/data/cifar10 beside the clone. */
export const SHARED_DIR = process.env['CIFAR10_DIR'] || path.resolve(REPO_ROOT, '../shared/data/cifar10');

/** True when the shared subsets (train_subset.bin, test_subset.bin) are there. */
export const HAS_SHARED = existsSync(path.join(SHARED_DIR, 'train_subset.bin')) && existsSync(path.join(SHARED_DIR, 'test_subset.bin'));

/** The built-in sample's folder and its manifest. */
export const SAMPLE_DIR = path.join(REPO_ROOT, 'public', SAMPLE.folder);
export function sampleManifest(): SampleManifest {
  return parseSampleManifest(JSON.parse(readFileSync(path.join(SAMPLE_DIR, SAMPLE.manifest), 'utf8')));
}

/**
 * The built-in sample as CIFAR-10 binary files, train_subset.bin and test_subset.bin, in .cache/sample-bin/ (written
 * once, checked against the manifest's SHA-256 each time; written via a rename, as test files run in parallel).
 */
export function sampleBinDir(): string {
  const dir = path.join(REPO_ROOT, '.cache', 'sample-bin');
  mkdirSync(dir, { recursive: true });
  const manifest = sampleManifest();
  for (const split of ['train', 'test'] as const) {
    const info = manifest.splits[split];
    const file = path.join(dir, `${split}_subset.bin`);
    if (existsSync(file) && sha256(readFileSync(file)) === info.sha256) continue;
    const records = decodeSampleSplit(readFileSync(path.join(SAMPLE_DIR, info.file)), info);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, records);
    renameSync(tmp, file);
  }
  return dir;
}

/** A folder with train_subset.bin and test_subset.bin: the shared subsets, else the sample decoded. */
export const DATA_DIR = HAS_SHARED ? SHARED_DIR : sampleBinDir();

/** What DATA_DIR holds, for messages: "the shared subsets" or "the built-in sample". */
export const DATA_KIND = HAS_SHARED ? 'the shared CIFAR-10 subsets' : 'the built-in sample';

const cache = new Map<string, Uint8Array>();

/** The bytes of a file in DATA_DIR (read once per test process). */
export function sharedBytes(name: 'train_subset.bin' | 'test_subset.bin'): Uint8Array {
  let bytes = cache.get(name);
  if (!bytes) {
    bytes = new Uint8Array(readFileSync(path.join(DATA_DIR, name)));
    cache.set(name, bytes);
  }
  return bytes;
}

/** Records per class of a CIFAR-10 binary file's bytes. */
export function perClassOf(bin: Uint8Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < bin.length; i += RECORD_BYTES) counts[bin[i]!]!++;
  return counts;
}

/** Records in DATA_DIR's train_subset.bin: 4,000 (shared) or 2,000 (sample). */
export const TRAIN_RECORDS = sharedBytes('train_subset.bin').length / RECORD_BYTES;
/** Records in DATA_DIR's test_subset.bin: 5,000 (shared) or 1,000 (sample). */
export const TEST_RECORDS = sharedBytes('test_subset.bin').length / RECORD_BYTES;
/**
 * Per-class record counts of DATA_DIR's train_subset.bin: the data README's table for the shared subset
 * ([396, 366, 420, 384, 422, 393, 414, 385, 407, 413]; `sample.test.ts` checks it), 200 each for the sample.
 */
export const TRAIN_PER_CLASS = perClassOf(sharedBytes('train_subset.bin'));
/** Per-class record counts of DATA_DIR's test_subset.bin: 500 each (shared) or 100 each (sample). */
export const TEST_PER_CLASS = perClassOf(sharedBytes('test_subset.bin'));

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A .tar.gz of the given files after a `cifar-10-batches-bin/` directory entry. gzip level 1 by default; level 0
 * (stored deflate blocks, still a real gzip stream with its CRC) for big inputs, since CIFAR pixels barely compress
 * and level 1 spends seconds on them.
 */
export async function makeTarGz(files: { name: string; bytes: Uint8Array | string }[], level = 1): Promise<Uint8Array> {
  const tar = await packTar([
    { header: { name: 'cifar-10-batches-bin/', type: 'directory', size: 0 } },
    ...files.map((f) => ({
      header: { name: f.name, size: typeof f.bytes === 'string' ? Buffer.byteLength(f.bytes) : f.bytes.length },
      body: f.bytes,
    })),
  ]);
  return new Uint8Array(gzipSync(tar, { level }));
}

let sharedArchive: Promise<Uint8Array> | null = null;

/**
 * cifar-10-binary.tar.gz as the official layout would hold the shared subsets: cifar-10-batches-bin/ with
 * batches.meta.txt, train_subset.bin and test_subset.bin. Built once per test process.
 */
export function sharedTarGz(): Promise<Uint8Array> {
  sharedArchive ??= makeTarGz(
    [
      { name: 'cifar-10-batches-bin/batches.meta.txt', bytes: CLASS_LIST },
      { name: 'cifar-10-batches-bin/train_subset.bin', bytes: sharedBytes('train_subset.bin') },
      { name: 'cifar-10-batches-bin/test_subset.bin', bytes: sharedBytes('test_subset.bin') },
    ],
    0,
  );
  return sharedArchive;
}

const CLASS_LIST = 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n';

/** `n` synthetic records with labels `label(i)` and pixel bytes (i * 7 + j) & 255, for small exact cases. */
export function syntheticRecords(n: number, label: (i: number) => number = (i) => i % 10): Uint8Array {
  const out = new Uint8Array(n * 3073);
  for (let i = 0; i < n; i++) {
    out[i * 3073] = label(i);
    for (let j = 0; j < 3072; j++) out[i * 3073 + 1 + j] = (i * 7 + j) & 255;
  }
  return out;
}

/** A small deterministic generator for chunk sizes. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
