/**
 * The page's probe for the app's CIFAR-10 server: what each kind of host answers at <base>/status, and what the page
 * makes of it. The static build's own answer is its file public/cifar10/status (e2e/static.spec.ts serves the built
 * one and checks that nothing 404s).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { probeServer } from './useServerData';

/** A fetch that answers every request with `res` and records the URLs asked for. */
function answering(res: () => Response) {
  const asked: string[] = [];
  const fetchImpl = (async (url: string | URL | Request) => {
    asked.push(String(url));
    return res();
  }) as typeof fetch;
  return { asked, fetchImpl };
}

const json =
  (body: unknown, status = 200) =>
  () =>
    new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const base = 'http://127.0.0.1:4173/wrn-playground/cifar10';
const probe = (res: () => Response) => probeServer(base, new AbortController().signal, answering(res).fetchImpl);

describe('CIFAR-10 server probe', () => {
  it("reads the static build's own status file as 'no server here'", async () => {
    const file = readFileSync(new URL('../../../public/cifar10/status', import.meta.url), 'utf8');
    const { asked, fetchImpl } = answering(() => new Response(file, { status: 200 }));
    expect(await probeServer(base, new AbortController().signal, fetchImpl)).toEqual({ state: 'none' });
    expect(asked).toEqual([`${base}/status`]);
  });

  it("reads the app server's status: ready, able to download, or failed", async () => {
    const status = { source: 'CIFAR10_DIR', bytesLoaded: 0, bytesTotal: null, error: null };
    expect(await probe(json({ ...status, status: 'ready' }))).toEqual({ state: 'ready' });
    expect(await probe(json({ ...status, status: 'idle' }))).toEqual({ state: 'can-download' });
    expect(await probe(json({ ...status, status: 'error', error: 'checksum mismatch' }))).toEqual({ state: 'failed', error: 'checksum mismatch' });
  });

  it("takes other hosts' answers (a 404, an index.html for any path, no network) as no server", async () => {
    expect(await probe(json({ error: 'not found' }, 404))).toEqual({ state: 'none' });
    expect(await probe(() => new Response('<!doctype html><title>x</title>', { status: 200 }))).toEqual({ state: 'none' });
    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    expect(await probeServer(base, new AbortController().signal, offline)).toEqual({ state: 'none' });
  });

  it('rejects when aborted (the page went away), so nothing is set afterwards', async () => {
    const abort = new AbortController();
    abort.abort();
    const aborted = (async () => {
      throw new DOMException('aborted', 'AbortError');
    }) as typeof fetch;
    await expect(probeServer(base, abort.signal, aborted)).rejects.toThrow(/aborted/);
  });
});
