/**
 * Test-only helpers (Node): where the shared real data lives, and archives built from it. Never imported by app code,
 * which is why this module may use node: imports although it sits in src/core.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { packTar } from 'modern-tar';

/** The repository root (this file is src/core/data/testFixtures.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The shared CIFAR-10 subsets: $CIFAR10_DIR, else ../shared/data/cifar10 beside the clone. */
export const DATA_DIR = process.env['CIFAR10_DIR'] ?? path.resolve(REPO_ROOT, '../shared/data/cifar10');

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

/** Per-class record counts of train_subset.bin, from the data README's table. */
export const TRAIN_PER_CLASS = [396, 366, 420, 384, 422, 393, 414, 385, 407, 413];

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
  sharedArchive ??= makeTarGz([
    { name: 'cifar-10-batches-bin/batches.meta.txt', bytes: CLASS_LIST },
    { name: 'cifar-10-batches-bin/train_subset.bin', bytes: sharedBytes('train_subset.bin') },
    { name: 'cifar-10-batches-bin/test_subset.bin', bytes: sharedBytes('test_subset.bin') },
  ], 0);
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
