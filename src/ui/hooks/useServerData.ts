/**
 * Whether the app's own server has CIFAR-10, asked once at load (GET /cifar10/status, which has no side effects:
 * it never starts the server's download). Decides what `source=auto` trains on: the full data set where the server
 * has it ready, else the built-in sample, so a static host, an offline laptop or a server that has not downloaded
 * anything yet trains at once.
 */
import { useEffect, useState } from 'react';
import { parseManifest } from '../../core/data/manifest';

/**
 * 'checking': no answer yet; 'ready': the server has the files; 'can-download': it is an app server without the
 * files yet (it downloads 162 MB on request); 'failed': it tried and failed (see `error`); 'none': no app server
 * (a static host, or the request failed).
 */
export type ServerData = { state: 'checking' | 'ready' | 'can-download' | 'none' } | { state: 'failed'; error: string };

/** The app server's CIFAR-10 endpoint root. */
export function serverBase(): string {
  return `${window.location.origin}/cifar10`;
}

export function useServerData(): ServerData {
  const [data, setData] = useState<ServerData>({ state: 'checking' });
  useEffect(() => {
    const abort = new AbortController();
    probe(abort.signal).then(setData, () => undefined);
    return () => abort.abort();
  }, []);
  return data;
}

async function probe(signal: AbortSignal): Promise<ServerData> {
  try {
    const res = await fetch(`${serverBase()}/status`, { signal, cache: 'no-store' });
    // A static host answers 404, or its index.html for any path: neither is a status.
    if (!res.ok) return { state: 'none' };
    const status = parseManifest(await res.json());
    if (status.status === 'ready') return { state: 'ready' };
    if (status.status === 'error') return { state: 'failed', error: status.error ?? 'unknown error' };
    return { state: 'can-download' };
  } catch (err) {
    if (signal.aborted) throw err;
    return { state: 'none' };
  }
}
