/**
 * The CIFAR-10 route against hostile requests, over raw sockets to a local 127.0.0.1 server only (so that request
 * targets no HTTP client would send still reach the handler): path traversal, bad percent-encodings, odd methods and
 * malformed targets. Whatever comes in: no 500, no stack trace, and no folder of this machine in any body.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_DIR, sharedBytes } from '../test/fixtures/data';
import { REPO_ROOT } from '../src/node/localData';
import { cifarMiddleware } from './cifarPlugin';
import { CifarStore } from './cifarStore';

const scratch = mkdtempSync(path.join(tmpdir(), 'wrn-route-fuzz-'));
const servers: http.Server[] = [];
let port = 0;
let missingPort = 0;

/** The app's server as Vite would run it: the middleware, then a 404 for whatever it passes on. */
async function serve(store: CifarStore): Promise<number> {
  const mw = cifarMiddleware(store);
  const server = http.createServer((req, res) => mw(req, res, () => res.writeHead(404, { 'Content-Type': 'text/plain' }).end('next')));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  // Data reached through symlinks, as people keep it: the served folder holds only links.
  const linked = path.join(scratch, 'linked');
  mkdirSync(linked);
  for (const f of ['train_subset.bin', 'test_subset.bin']) symlinkSync(path.join(DATA_DIR, f), path.join(linked, f));
  port = await serve(new CifarStore({ dir: linked, cacheDir: path.join(scratch, 'cache'), url: '', md5: '' }));
  missingPort = await serve(new CifarStore({ dir: path.join(scratch, 'no', 'such', 'dir'), cacheDir: path.join(scratch, 'cache'), url: '', md5: '' }));
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  rmSync(scratch, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: string;
  body: string;
}

/** Sends one request exactly as written (method and target untouched) and reads the reply's head and body. */
function raw(method: string, target: string, p = port): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(p, '127.0.0.1');
    let data = Buffer.alloc(0);
    socket.setTimeout(20_000, () => socket.destroy(new Error(`no reply to ${method} ${target}`)));
    socket.on('data', (d: Buffer) => (data = Buffer.concat([data, d])));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = data.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      const head = headEnd < 0 ? text : text.slice(0, headEnd);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      // A body is only read back for small replies; a served .bin is checked by status and headers.
      resolve({ status, headers: head, body: headEnd < 0 ? '' : text.slice(headEnd + 4, headEnd + 4 + 100_000) });
    });
    socket.write(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

/** Every folder a reply could give away. */
const MACHINE_PATHS = [DATA_DIR, scratch, REPO_ROOT, tmpdir(), homedir(), path.dirname(REPO_ROOT)].filter((p) => p.length > 1);

function expectSafe(r: Reply, what: string): void {
  expect(r.status, what).toBeGreaterThanOrEqual(200);
  expect(r.status, `${what}: ${r.body}`).toBeLessThan(500);
  if (r.headers.toLowerCase().includes('application/octet-stream')) return; // a served data file
  for (const p of MACHINE_PATHS) expect(r.body, `${what} names ${p}`).not.toContain(p);
  expect(r.body, what).not.toMatch(/\n\s+at |Error:|file:\/\//); // no stack trace
  expect(r.body, what).not.toMatch(/(^|["\s(=,])\/(?:[\w.-]+\/)+[\w.-]*/); // no absolute path of any kind
}

describe('the CIFAR-10 route under hostile requests', () => {
  it('answers the manifest and status without naming a folder, and serves symlinked files', async () => {
    const manifest = await raw('GET', '/cifar10/manifest.json');
    expect(manifest.status).toBe(200);
    expect(JSON.parse(manifest.body)).toMatchObject({
      status: 'ready',
      source: 'CIFAR10_DIR',
      files: [{ name: 'test_subset.bin' }, { name: 'train_subset.bin' }],
    });
    expectSafe(manifest, 'manifest');
    expectSafe(await raw('GET', '/cifar10/status'), 'status');
    const head = await raw('HEAD', '/cifar10/files/train_subset.bin');
    expect(head.status).toBe(200);
    expect(head.headers).toMatch(new RegExp(`content-length: ${sharedBytes('train_subset.bin').length}\r?$`, 'im'));

    for (const route of ['/cifar10/manifest.json', '/cifar10/status']) {
      const broken = await raw('GET', route, missingPort);
      expect(broken.status).toBe(200);
      expect(JSON.parse(broken.body)).toMatchObject({ status: 'error', error: expect.stringMatching(/CIFAR10_DIR/) });
      expectSafe(broken, `${route} with a missing CIFAR10_DIR`);
    }
  });

  it('"%" alone and other malformed escapes in a file name are 400', async () => {
    for (const name of ['%', '%zz', '%e2%82', '%c0%af', 'a%', '%%41']) {
      const r = await raw('GET', `/cifar10/files/${name}`);
      expect(r.status, name).toBe(400);
      expectSafe(r, name);
    }
  });

  it('a malformed request target is a 400, not a thrown URL error', async () => {
    for (const target of ['http://[', 'http://[::1/cifar10/status', '//[/cifar10', 'http://exa mple/cifar10']) {
      const r = await raw('GET', target);
      expect(r.status, target).not.toBe(0); // the server answered
      expectSafe(r, target);
    }
  });

  it('every method but GET and HEAD is 405 with an Allow header', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND']) {
      const r = await raw(method, '/cifar10/manifest.json');
      expect(r.status, method).toBe(405);
      expect(r.headers, method).toMatch(/^allow: GET, HEAD$/im);
      expectSafe(r, method);
    }
  });

  it('survives a bounded random fuzz of traversals, encodings and methods', async () => {
    // Seeded (mulberry32), so a failure replays.
    let seed = 12;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const pieces = [
      '..',
      '%2e%2e',
      '%2E%2E',
      '.%2e',
      '%252e%252e',
      '..%2f',
      '..%5c',
      '%2f',
      '%5c',
      '\\',
      '%00',
      '%',
      '%zz',
      '%c0%ae',
      '%e2%80%ae',
      'etc',
      'passwd',
      'package.json',
      'train_subset.bin',
      'test_subset.bin',
      '.bin',
      '~',
      '%7e',
      ';',
      '?x=1',
      '#',
      '%23',
      '//',
      '.',
      'manifest.json',
      'status',
      'files',
      '%ff',
      '%80',
      'é',
      '%20',
      '+',
      '*',
      '%3f',
      'CON',
      'nul',
    ];
    const methods = ['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT_ME', 'G3T'];
    const prefixes = ['/cifar10/files/', '/cifar10/', '/cifar10', '/cifar10/files/..%2f', '/cifar10%2ffiles/', '/%63ifar10/files/'];
    for (let i = 0; i < 400; i++) {
      const target = pick(prefixes) + Array.from({ length: 1 + Math.floor(rand() * 5) }, () => pick(pieces)).join(pick(['/', '', '/', '%2f']));
      const method = pick(methods);
      const r = await raw(method, target);
      if (r.status === 400 && r.headers === '') continue; // Node's own parser refused the request line: never reached us
      expectSafe(r, `${method} ${target}`);
    }
  }, 120_000);
});
