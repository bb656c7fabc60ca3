/**
 * The built-in sample (public/cifar10-sample/): its manifest, its decoded pixels, and the loader source that serves
 * it. The SHA-256 checks run everywhere; the byte-for-byte check against the source records runs where the shared
 * subsets are (../shared or CIFAR10_DIR), and says when it is skipped.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_BYTES } from './dataset';
import { CifarFormatError } from './errors';
import { loadCifar } from './load';
import { decodeSampleSplit, parseSampleManifest } from './sample';
import { SAMPLE } from './sampleInfo';
import { HAS_SHARED, REPO_ROOT, SAMPLE_DIR, SHARED_DIR, perClassOf, sampleManifest } from '../../../test/fixtures/data';

const manifest = sampleManifest();
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const decoded = {
  train: decodeSampleSplit(readFileSync(path.join(SAMPLE_DIR, manifest.splits.train.file)), manifest.splits.train),
  test: decodeSampleSplit(readFileSync(path.join(SAMPLE_DIR, manifest.splits.test.file)), manifest.splits.test),
};

describe('the built-in sample', () => {
  it('holds 200 training and 100 test images per class, as SAMPLE says, in at most 8 MB', () => {
    expect(manifest.splits.train.count).toBe(SAMPLE.train);
    expect(manifest.splits.test.count).toBe(SAMPLE.test);
    expect(perClassOf(decoded.train)).toEqual(new Array(10).fill(SAMPLE.train / 10));
    expect(perClassOf(decoded.test)).toEqual(new Array(10).fill(SAMPLE.test / 10));
    const bytes = ['train.png', 'test.png', SAMPLE.manifest].reduce((n, f) => n + readFileSync(path.join(SAMPLE_DIR, f)).length, 0);
    expect(bytes).toBe(SAMPLE.bytes);
    expect(bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
  });

  it('decodes to the records whose SHA-256 the manifest recorded when it was made', () => {
    for (const split of ['train', 'test'] as const) {
      expect(decoded[split].length).toBe(manifest.splits[split].count * RECORD_BYTES);
      expect(sha256(decoded[split])).toBe(manifest.splits[split].sha256);
    }
  });

  it('starts like data_batch_1 (6, 9, 9, 4, 1, 1, 2, 7, 8, 3) and its test images go round-robin by class', () => {
    expect(manifest.splits.train.labels.slice(0, 10)).toBe('6994112783');
    expect([...manifest.splits.test.labels].every((l, i) => Number(l) === i % 10)).toBe(true);
    expect(manifest.splits.test.fidelity).toMatch(/JPEG-decoded/);
  });

  if (!HAS_SHARED) process.stderr.write(`skipped: the sample vs its source records check needs the shared subsets (none at ${SHARED_DIR})\n`);
  it.skipIf(!HAS_SHARED)('equals its source records byte for byte, at the indices the provenance gives', () => {
    for (const split of ['train', 'test'] as const) {
      const info = manifest.splits[split];
      const source = new Uint8Array(readFileSync(path.join(SHARED_DIR, info.source.file)));
      expect(sha256(source)).toBe(info.source.sha256);
      info.source.records.forEach((src, k) => {
        const want = source.subarray(src * RECORD_BYTES, (src + 1) * RECORD_BYTES);
        const got = decoded[split].subarray(k * RECORD_BYTES, (k + 1) * RECORD_BYTES);
        if (Buffer.compare(want, got) !== 0) throw new Error(`${split} image ${k} differs from ${info.source.file} record ${src}`);
      });
    }
    // and the shared train subset's class counts are the data README's table
    expect(perClassOf(new Uint8Array(readFileSync(path.join(SHARED_DIR, 'train_subset.bin'))))).toEqual([
      396, 366, 420, 384, 422, 393, 414, 385, 407, 413,
    ]);
  });

  it('rejects a manifest that does not match its shape, with what is wrong', () => {
    expect(() => parseSampleManifest({ format: 2 })).toThrow(CifarFormatError);
    const bad = JSON.parse(JSON.stringify(manifest)) as { splits: { train: { labels: string } } };
    bad.splits.train.labels = bad.splits.train.labels.slice(1);
    expect(() => parseSampleManifest(bad)).toThrow(/splits\.train\.labels must be 2000 digits/);
    expect(() => decodeSampleSplit(new Uint8Array([1, 2, 3]), manifest.splits.train)).toThrow(/not a readable PNG/);
  });
});

describe("the loader's sample source over HTTP (as a static host serves it)", () => {
  let origin = '';
  let server: http.Server;
  beforeAll(async () => {
    const publicDir = path.join(REPO_ROOT, 'public');
    // The training sprite with one pixel value changed by 1: a valid PNG of the right shape that is not the sample.
    const png = PNG.sync.read(readFileSync(path.join(SAMPLE_DIR, 'train.png')));
    png.data[4 * 1234] = (png.data[4 * 1234]! + 1) & 255;
    const tampered = PNG.sync.write(png, { colorType: 2 });
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x').pathname;
      if (url === '/tampered/cifar10-sample/train.png') return void res.end(tampered);
      if (url.startsWith('/tampered/')) return void res.end(readFileSync(path.join(publicDir, url.slice('/tampered/'.length))));
      // /site/... is public/..., /broken/ serves the test sprite as the training one (a sample that does not match its manifest)
      const file = url.startsWith('/site/')
        ? url.slice('/site/'.length)
        : url === '/broken/cifar10-sample/train.png'
          ? 'cifar10-sample/test.png'
          : url.startsWith('/broken/')
            ? url.slice('/broken/'.length)
            : null;
      let body: Buffer | null = null;
      try {
        body = file === null ? null : readFileSync(path.join(publicDir, file));
      } catch {
        body = null;
      }
      res.writeHead(body ? 200 : 404, body ? { 'Content-Length': String(body.length) } : {});
      res.end(body ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fills both splits with the decoded sample, sizes known before any pixel arrives', async () => {
    const load = loadCifar({ kind: 'sample', base: `${origin}/site/${SAMPLE.folder}` }, { train: 10_000, test: 2000, subset: 'first' });
    await load.done;
    expect(load.train.available()).toBe(SAMPLE.train);
    expect(load.test.available()).toBe(SAMPLE.test);
    expect(load.progress().train.expected).toBe(SAMPLE.train);
    for (const [split, records] of [
      ['train', decoded.train],
      ['test', decoded.test],
    ] as const) {
      for (const r of [0, 777, load[split].available() - 1]) {
        expect(load[split].labels[r]).toBe(records[r * RECORD_BYTES]);
        expect(Buffer.compare(load[split].pixels.subarray(r * 3072, (r + 1) * 3072), records.subarray(r * RECORD_BYTES + 1, (r + 1) * RECORD_BYTES))).toBe(
          0,
        );
      }
    }
  });

  it("'balanced' on the sample takes N/10 per class", async () => {
    const load = loadCifar({ kind: 'sample', base: `${origin}/site/${SAMPLE.folder}` }, { train: 500, test: 100, subset: 'balanced' });
    await load.done;
    expect(load.train.perClass).toEqual(new Array(10).fill(50));
    expect(load.test.perClass).toEqual(new Array(10).fill(10));
  });

  it('fails both splits with a clear message for a missing sample or one that does not match its manifest', async () => {
    const missing = loadCifar({ kind: 'sample', base: `${origin}/nowhere/` }, { train: 10, test: 10, subset: 'first' });
    await expect(missing.done).rejects.toThrow(/nowhere\/sample\.json: HTTP 404/);
    await expect(missing.train.waitFor(1)).rejects.toThrow(/HTTP 404/);
    const broken = loadCifar({ kind: 'sample', base: `${origin}/broken/${SAMPLE.folder}` }, { train: 10, test: 10, subset: 'first' });
    await expect(broken.done).rejects.toThrow(/train\.png: expected an 8-bit RGB sprite of 50x40 tiles/);
    const tampered = loadCifar({ kind: 'sample', base: `${origin}/tampered/${SAMPLE.folder}` }, { train: 10, test: 10, subset: 'first' });
    await expect(tampered.done).rejects.toThrow(/train\.png: decoded images do not match sample\.json \(SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}\)/);
  });
});
