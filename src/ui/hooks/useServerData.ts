/**
 * Whether the app's own server has CIFAR-10, asked once at load (GET /cifar10/status, which has no side effects:
 * it never starts the server's download). Decides what `source=auto` trains on: the full data set where the server
 * has it ready, else the built-in sample, so a static host, an offline laptop or a server that has not downloaded
 * anything yet trains at once.
 */
import { useEffect, useState } from 'react';
import { isNoServerStatus, parseManifest } from '../../core/data/manifest';

/**
 * 'checking': no answer yet; 'ready': the server has the files; 'can-download': it is an app server without the
 * files yet (it downloads 162 MB on request); 'failed': it tried and failed (see `error`); 'none': no app server
 * (a static host, or the request failed).
 */
export type ServerData = { state: 'checking' | 'ready' | 'can-download' | 'none' } | { state: 'failed'; error: string };

/**
 * The app server's CIFAR-10 endpoint root, next to the page (like every URL of the site): `/cifar10` where the dev
 * and preview servers serve the page, and on a static host the folder where the site's own `cifar10/status` file
 * says that there is no server (rather than a 404 from somewhere else on the host).
 */
export function serverBase(): string {
  return new URL('cifar10', document.baseURI).href;
}

export function useServerData(): ServerData {
  const [data, setData] = useState<ServerData>({ state: 'checking' });
  useEffect(() => {
    const abort = new AbortController();
    probeServer(serverBase(), abort.signal).then(setData, () => undefined);
    return () => abort.abort();
  }, []);
  return data;
}

/** Asks `<base>/status` once; rejects only when `signal` aborts. `fetchImpl`: for tests. */
export async function probeServer(base: string, signal: AbortSignal, fetchImpl: typeof fetch = fetch): Promise<ServerData> {
  try {
    const res = await fetchImpl(`${base}/status`, { signal, cache: 'no-store' });
    // A static build answers with its own file that says so; another host 404, or its index.html for any path.
    if (!res.ok) return { state: 'none' };
    const json: unknown = await res.json();
    if (isNoServerStatus(json)) return { state: 'none' };
    const status = parseManifest(json);
    if (status.status === 'ready') return { state: 'ready' };
    if (status.status === 'error') return { state: 'failed', error: status.error ?? 'unknown error' };
    return { state: 'can-download' };
  } catch (err) {
    if (signal.aborted) throw err;
    return { state: 'none' };
  }
}
