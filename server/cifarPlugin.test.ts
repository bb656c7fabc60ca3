import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCifar, type LoadProgress } from '../src/core/data/load';
import { parseManifest } from '../src/core/data/manifest';
import { DATA_DIR, TEST_RECORDS, TRAIN_PER_CLASS, TRAIN_RECORDS, sharedBytes, sharedTarGz } from '../test/fixtures/data';
import { cifarMiddleware } from './cifarPlugin';
import { CifarStore, type CifarStoreOptions } from './cifarStore';

const scratch = mkdtempSync(path.join(tmpdir(), 'wrn-cifar-server-'));
const servers: http.Server[] = [];

/** Starts an HTTP server on 127.0.0.1 (a free port) and returns its origin. */
async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The app's server: just the CIFAR-10 middleware over `store`. */
function appServer(store: CifarStore): Promise<string> {
  const mw = cifarMiddleware(store);
  return listen((req, res) =>
    mw(req, res, () => {
      res.statusCode = 404;
      res.end();
    }),
  );
}

/** What the app's server logs, instead of the terminal. */
function capture() {
  const lines: string[] = [];
  return { lines, sink: { write: (t: string) => lines.push(t), isTTY: false } };
}

async function getJson(url: string) {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The official tarball's stand-in, with its MD5; and an origin that serves it well and badly. */
let tgz: Uint8Array;
let tgzMd5: string;
let origin: string;
const hits = new Map<string, number>();
let releaseSlow: () => void = () => undefined;

beforeAll(async () => {
  tgz = await sharedTarGz();
  tgzMd5 = createHash('md5').update(tgz).digest('hex');
  const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
  origin = await listen((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    const headers = { 'Content-Type': 'application/gzip', 'Content-Length': String(tgz.length) };
    switch (req.url) {
      case '/cifar-10-binary.tar.gz':
        res.writeHead(200, headers);
        res.end(tgz);
        return;
      case '/slow.tar.gz': // the first 2 MB at once, the rest when the test says
        res.writeHead(200, headers);
        res.write(tgz.subarray(0, 2_000_000));
        void slowGate.then(() => res.end(tgz.subarray(2_000_000)));
        return;
      case '/cut.tar.gz': // announces the whole size, then drops the connection halfway
        res.writeHead(200, headers);
        res.write(tgz.subarray(0, tgz.length >> 1), () => res.destroy());
        return;
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found');
    }
  });
});

afterAll(async () => {
  releaseSlow();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  rmSync(scratch, { recursive: true, force: true });
});

function cacheStore(url: string, overrides: Partial<CifarStoreOptions> = {}) {
  const log = capture();
  const cacheDir = mkdtempSync(path.join(scratch, 'cache-'));
  const store = new CifarStore({ cacheDir, url, md5: tgzMd5, log: log.sink, ...overrides });
  return { store, cacheDir, log };
}

describe('the CIFAR-10 server over CIFAR10_DIR', () => {
  it('lists the folder, streams its files, and feeds the loader', async () => {
    const base = `${await appServer(new CifarStore({ dir: DATA_DIR, cacheDir: scratch, url: '', md5: '' }))}/cifar10`;
    const { status, body } = await getJson(`${base}/manifest.json`);
    expect(status).toBe(200);
    const manifest = parseManifest(body);
    expect(manifest.status).toBe('ready');
    expect(manifest.files).toEqual([
      { name: 'test_subset.bin', split: 'test', bytes: TEST_RECORDS * 3073, url: 'files/test_subset.bin' },
      { name: 'train_subset.bin', split: 'train', bytes: TRAIN_RECORDS * 3073, url: 'files/train_subset.bin' },
    ]);

    const res = await fetch(`${base}/files/train_subset.bin`);
    expect(res.headers.get('content-length')).toBe(String(TRAIN_RECORDS * 3073));
    expect(Buffer.compare(new Uint8Array(await res.arrayBuffer()), sharedBytes('train_subset.bin'))).toBe(0);
    for (const bad of ['README.md', '..%2FREADME.md', '%2e%2e/%2e%2e/package.json', 'nope.bin']) {
      expect((await fetch(`${base}/files/${bad}`)).status).toBe(404);
    }

    const load = loadCifar({ kind: 'server', base }, { train: TRAIN_RECORDS, test: TEST_RECORDS, subset: 'first' });
    await load.done;
    expect(load.train.perClass).toEqual(TRAIN_PER_CLASS);
    expect(load.test.available()).toBe(TEST_RECORDS);
  });

  it('reports a missing folder in the manifest, and the loader fails with it', async () => {
    const missing = path.join(scratch, 'no-such-dir');
    const base = `${await appServer(new CifarStore({ dir: missing, cacheDir: scratch, url: '', md5: '' }))}/cifar10`;
    const { body } = await getJson(`${base}/manifest.json`);
    // The page learns what is wrong, not where the server's folders are.
    expect(body).toMatchObject({ status: 'error', error: 'CIFAR10_DIR: no such file or directory', files: [] });
    const load = loadCifar({ kind: 'server', base }, { train: 10, test: 10, subset: 'first' });
    await expect(load.done).rejects.toThrow(`the app's server has no CIFAR-10: CIFAR10_DIR: no such file or directory`);
  });
});

describe('the CIFAR-10 server with an empty cache', () => {
  it('downloads once, checks the MD5, shows progress, unpacks, and serves', async () => {
    const { store, cacheDir, log } = cacheStore(`${origin}/slow.tar.gz`);
    const base = `${await appServer(store)}/cifar10`;
    const events: LoadProgress[] = [];
    const load = loadCifar(
      { kind: 'server', base },
      { train: TRAIN_RECORDS, test: TEST_RECORDS, subset: 'first', pollMs: 20, onProgress: (p) => events.push(p) },
    );

    // Mid-download, the status endpoint shows the bytes so far.
    let status: Record<string, unknown> = {};
    for (let i = 0; i < 200 && !(Number(status['bytesLoaded']) >= 2_000_000); i++) {
      status = (await getJson(`${base}/status`)).body;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toMatchObject({ status: 'downloading', bytesLoaded: 2_000_000, bytesTotal: tgz.length, error: null });
    expect(readdirSync(cacheDir).some((f) => f.startsWith('cifar-10-binary.tar.gz.part-'))).toBe(true);
    expect(existsSync(path.join(cacheDir, 'cifar-10-binary.tar.gz'))).toBe(false); // not complete, so not there
    releaseSlow();

    await load.done;
    expect(load.train.perClass).toEqual(TRAIN_PER_CLASS);
    expect(load.test.available()).toBe(TEST_RECORDS);
    const serverPhase = events.filter((e) => e.phase === 'server-download');
    expect(serverPhase.some((e) => e.server!.bytesLoaded >= 2_000_000 && e.server!.bytesTotal === tgz.length)).toBe(true);
    expect(events.at(-1)!.phase).toBe('done');

    expect(readdirSync(cacheDir).sort()).toEqual(['cifar-10-batches-bin', 'cifar-10-binary.tar.gz']);
    expect(readdirSync(path.join(cacheDir, 'cifar-10-batches-bin')).sort()).toEqual(['test_subset.bin', 'train_subset.bin']);
    const text = log.lines.join('');
    expect(text).toContain(`downloading ${origin}/slow.tar.gz once into ${cacheDir}`);
    const mb = (tgz.length / 1e6).toFixed(1).replace('.', '\\.');
    expect(text).toMatch(new RegExp(`CIFAR-10 \\[#{30}\\] 100% ${mb}/${mb} MB`));
    expect(text).toContain(`MD5 ${tgzMd5} ok`);

    // A second server on the same cache serves at once, without downloading again.
    const again = new CifarStore({ cacheDir, url: `${origin}/slow.tar.gz`, md5: tgzMd5, log: capture().sink });
    expect(again.manifest().status).toBe('ready');
    expect(hits.get('/slow.tar.gz')).toBe(1);
  });

  async function expectDownloadFailure(url: string, pattern: RegExp, overrides: Partial<CifarStoreOptions> = {}) {
    const { store, cacheDir, log } = cacheStore(url, overrides);
    const base = `${await appServer(store)}/cifar10`;
    const load = loadCifar({ kind: 'server', base }, { train: 10, test: 10, subset: 'first', pollMs: 20 });
    const err = await load.done.then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^the app's server has no CIFAR-10: download failed: /);
    expect(err?.message).toMatch(pattern);
    await expect(load.train.waitFor(1)).rejects.toBe(err);
    // Nothing that could pass for a download is left, and the server still answers.
    expect(readdirSync(cacheDir)).toEqual([]);
    const { body } = await getJson(`${base}/status`);
    expect(body).toMatchObject({ status: 'error' });
    expect(String(body['error'])).toMatch(pattern);
    expect(log.lines.join('')).toMatch(pattern);
    return { base, store };
  }

  it('a wrong checksum keeps nothing', async () => {
    await expectDownloadFailure(`${origin}/cifar-10-binary.tar.gz`, /checksum mismatch for .*: MD5 [0-9a-f]{32}, expected 0{32}/, { md5: '0'.repeat(32) });
  });

  it('HTTP 404 keeps nothing, and the next manifest request tries again', async () => {
    const { base, store } = await expectDownloadFailure(`${origin}/missing.tar.gz`, /GET http:\/\/127\.0\.0\.1:\d+\/missing\.tar\.gz: HTTP 404 Not Found/);
    const before = hits.get('/missing.tar.gz')!;
    expect((await getJson(`${base}/manifest.json`)).body).toMatchObject({ status: 'downloading', error: null });
    await store.settled();
    expect(hits.get('/missing.tar.gz')).toBe(before + 1);
  });

  it('a connection cut mid-body keeps nothing', async () => {
    await expectDownloadFailure(`${origin}/cut.tar.gz`, new RegExp(`cut\\.tar\\.gz: connection lost after \\d+ of ${tgz.length} bytes`));
  });
});
