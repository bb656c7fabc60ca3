import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CifarSourceError } from './errors';
import { loadCifar } from './load';
import { TEST_RECORDS, TRAIN_PER_CLASS, TRAIN_RECORDS, sharedBytes, sharedTarGz } from '../../../test/fixtures/data';

let origin = '';
let server: http.Server;

beforeAll(async () => {
  const train = sharedBytes('train_subset.bin');
  const test = sharedBytes('test_subset.bin');
  const tgz = await sharedTarGz();
  const files: Record<string, Uint8Array> = {
    '/data/cifar-10-binary.tar.gz': tgz,
    '/static/files/train_subset.bin': train,
    '/static/files/test_subset.bin': test,
  };
  const manifest = JSON.stringify({
    status: 'ready',
    files: [
      { name: 'train_subset.bin', split: 'train', bytes: train.length, url: 'files/train_subset.bin' },
      { name: 'test_subset.bin', split: 'test', bytes: test.length, url: 'files/test_subset.bin' },
    ],
  });
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    const body = files[url];
    if (body) {
      res.writeHead(200, { 'Content-Length': String(body.length), 'Access-Control-Allow-Origin': '*' });
      res.end(body);
    } else if (url === '/static/manifest.json') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(manifest);
    } else if (url === '/cut/data_batch_1.bin' || url === '/cut/cifar-10-binary.tar.gz') {
      const whole = url.endsWith('.bin') ? train : tgz;
      res.writeHead(200, { 'Content-Length': String(whole.length) });
      res.write(whole.subarray(0, 5_000_000), () => res.destroy());
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const options = { train: TRAIN_RECORDS, test: TEST_RECORDS, subset: 'first' as const };

describe('loadCifar from a URL', () => {
  it('streams the official-style tar.gz', async () => {
    const load = loadCifar({ kind: 'url', url: `${origin}/data/cifar-10-binary.tar.gz` }, options);
    await load.done;
    expect(load.train.perClass).toEqual(TRAIN_PER_CLASS);
    expect(load.test.available()).toBe(TEST_RECORDS);
    expect(load.progress().bytesTotal).toBe((await sharedTarGz()).length);
  });

  it('reads a static folder with a manifest.json like the app server', async () => {
    const load = loadCifar({ kind: 'url', url: `${origin}/static/` }, options);
    await load.done;
    expect(Array.from(load.train.labels.subarray(0, 10))).toEqual([6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    expect(load.test.available()).toBe(TEST_RECORDS);
  });

  it('fails cleanly on HTTP 404', async () => {
    const load = loadCifar({ kind: 'url', url: `${origin}/missing/cifar-10-binary.tar.gz` }, options);
    await expect(load.done).rejects.toThrow(new CifarSourceError(`GET ${origin}/missing/cifar-10-binary.tar.gz: HTTP 404 Not Found`));
    await expect(load.test.waitFor(1)).rejects.toThrow(/HTTP 404/);
    expect(load.train.available()).toBe(0);
  });

  it('fails cleanly when the connection is cut mid-stream, keeping only whole checked records', async () => {
    for (const name of ['data_batch_1.bin', 'cifar-10-binary.tar.gz']) {
      const load = loadCifar({ kind: 'url', url: `${origin}/cut/${name}` }, options);
      const err = await load.done.then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err).toBeInstanceOf(CifarSourceError);
      expect(err!.message).toMatch(new RegExp(`^GET ${origin}/cut/${name.replace(/\./g, '\\.')}: connection lost after \\d+ of \\d+ bytes`));
      expect(load.train.error()).toBe(err);
      expect(load.train.available()).toBeLessThan(5_000_000 / 3073);
      expect(load.train.available() % 256).toBe(0); // whole parser batches only
    }
  });
});
