/**
 * The real dev and preview servers (Vite with this repository's config and plugins, as `npm run dev` and `npm run
 * preview` start them) against hostile requests: a request target that Node's URL parsers refuse is answered 400
 * and the server lives on; the dev server's `/@fs/` serves nothing outside the project and its refusals name no
 * folder of this machine.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, preview, type PreviewServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/node/localData';

const scratch = mkdtempSync(path.join(tmpdir(), 'wrn-servers-'));
const cache = path.join(scratch, 'cache'); // CIFAR10_CACHE: an empty cache, nothing downloads (status only)

/** One raw HTTP/1.1 request with `target` as its request target, as curl --request-target sends it. */
function raw(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

const HOSTILE_TARGETS = ['http://[', 'http://[::1/cifar10/status', 'http://x@[/', 'http://[/cifar10/manifest.json'];

/** An absolute path of this machine: the repository's, or any /dir/dir... that starts a word. */
const ABSOLUTE_PATH = /(^|[\s"'>(;])\/(?:[\w.-]+\/)+[\w.-]*/;

async function survivesHostileTargets(port: number): Promise<void> {
  for (const target of HOSTILE_TARGETS) {
    const r = await raw(port, target);
    expect(r.status, target).toBe(400);
    expect(r.body).toContain('malformed request target');
  }
  // Still serving: the app's own endpoint answers.
  const status = await raw(port, '/cifar10/status');
  expect(status.status).toBe(200);
  expect(JSON.parse(status.body)).toHaveProperty('status');
}

let dev: ViteDevServer;
let devPort: number;
let previewServer: PreviewServer;
let previewPort: number;

beforeAll(async () => {
  process.env['CIFAR10_CACHE'] = cache;
  delete process.env['CIFAR10_DIR'];
  dev = await createServer({
    configFile: path.join(REPO_ROOT, 'vite.config.ts'),
    root: REPO_ROOT,
    logLevel: 'silent',
    server: { port: 0, host: '127.0.0.1', hmr: false, watch: null },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await dev.listen();
  devPort = (dev.httpServer!.address() as AddressInfo).port;
  // The preview server over a tiny built site of its own (the real dist/ may not be built).
  const dist = path.join(scratch, 'dist');
  mkdirSync(dist, { recursive: true });
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>t</title>');
  previewServer = await preview({
    configFile: path.join(REPO_ROOT, 'vite.config.ts'),
    root: REPO_ROOT,
    logLevel: 'silent',
    build: { outDir: dist },
    preview: { port: 0, host: '127.0.0.1', strictPort: false },
  });
  previewPort = (previewServer.httpServer.address() as AddressInfo).port;
}, 120_000);

afterAll(async () => {
  await dev?.close();
  await new Promise((resolve) => previewServer?.httpServer.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

describe('the dev server (npm run dev)', () => {
  it('answers 400 to request targets Node cannot parse, and lives on', async () => {
    await survivesHostileTargets(devPort);
  });

  it('serves nothing outside the project through /@fs/, and its refusals name no folder', async () => {
    const outside = [
      '/@fs/etc/passwd',
      `/@fs${path.dirname(REPO_ROOT)}/`,
      `/@fs${REPO_ROOT}/../package.json`,
      `/@fs${REPO_ROOT}/%2e%2e/x`,
      '/@fs/nonexistent/x.js',
    ];
    for (const target of outside) {
      const r = await raw(devPort, target);
      expect(r.status, target).toBe(403);
      expect(r.body, target).not.toContain(REPO_ROOT);
      expect(r.body, target).not.toMatch(ABSOLUTE_PATH);
    }
    // A file the project holds is still served (the page's modules come this way).
    const inside = await raw(devPort, `/@fs${REPO_ROOT}/package.json`);
    expect(inside.status).toBe(200);
    expect(inside.body).toContain('"name": "wrn-playground"');
    // Vite's own refusal of a denied file inside the project (.env) names no folder either.
    writeFileSync(path.join(REPO_ROOT, '.env.hostile-test'), 'SECRET=1\n');
    try {
      const denied = await raw(devPort, `/@fs${REPO_ROOT}/.env.hostile-test`);
      expect(denied.status).toBe(403);
      expect(denied.body).not.toContain('SECRET');
      expect(denied.body).not.toMatch(ABSOLUTE_PATH);
    } finally {
      rmSync(path.join(REPO_ROOT, '.env.hostile-test'), { force: true });
    }
  });
});

describe('the preview server (npm run preview)', () => {
  it('answers 400 to request targets Node cannot parse, and lives on', async () => {
    await survivesHostileTargets(previewPort);
    expect((await raw(previewPort, '/')).status).toBe(200);
  });
});
