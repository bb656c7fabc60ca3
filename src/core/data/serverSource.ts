/**
 * CIFAR-10 from the app's own server (server/cifarPlugin.ts): its manifest lists the files; while the server is
 * still downloading the official tarball the manifest says so, and this polls the status endpoint until it is done.
 */
import { messageOf, toError } from '../errors';
import { CifarSourceError } from './errors';
import { absoluteUrl, fetchJson } from './http';
import { urlInput, type CifarInput } from './inputs';
import { parseManifest, type CifarManifest, type CifarServerStatus } from './manifest';

export interface ServerPollOptions {
  /** stops the requests and the waiting */
  signal: AbortSignal;
  /** milliseconds between polls while the server downloads */
  pollMs: number;
  /** the server's download progress, at each poll */
  onDownload: (status: CifarServerStatus) => void;
}

/**
 * Asks the app's server at `base` for its files. While it is still downloading the official tarball, polls its
 * side-effect free status endpoint (a manifest request after a failure would start another attempt), then asks again.
 */
export async function serverInputs(base: string, opts: ServerPollOptions): Promise<CifarInput[]> {
  const root = absoluteUrl(base.endsWith('/') ? base : base + '/');
  const manifestUrl = absoluteUrl('manifest.json', root);
  const statusUrl = absoluteUrl('status', root);
  const fetchManifest = async (url: string): Promise<CifarManifest> => parseStatus(await fetchJson(url, opts.signal), url);
  let status = await fetchManifest(manifestUrl);
  let isManifest = true; // else it came from the status endpoint and lists no files
  for (;;) {
    if (status.status === 'ready' || status.status === 'idle') {
      // 'idle' after a poll: the server restarted and waits for a manifest request to start again.
      if (!isManifest) {
        status = await fetchManifest(manifestUrl);
        isManifest = true;
        continue;
      }
      if (status.status === 'idle')
        throw new CifarSourceError(`GET ${manifestUrl}: the server answered "idle" to a manifest request (it should start getting CIFAR-10)`);
      return status.files.map((f) => urlInput(absoluteUrl(f.url, manifestUrl), f.name, f.split, f.bytes));
    }
    if (status.status === 'error') {
      throw new CifarSourceError(`the app's server has no CIFAR-10: ${status.error ?? 'unknown error'}`);
    }
    const { source, bytesLoaded, bytesTotal, error } = status;
    opts.onDownload({ status: status.status, source, bytesLoaded, bytesTotal, error });
    await sleep(opts.pollMs, opts.signal);
    status = parseStatus(await fetchJson(statusUrl, opts.signal), statusUrl);
    isManifest = false;
  }
}

/** A manifest or status answer, checked; a status is a manifest without files. */
function parseStatus(json: unknown, url: string): CifarManifest {
  try {
    return parseManifest(json);
  } catch (err) {
    throw new CifarSourceError(`GET ${url}: ${messageOf(err)}`);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(toError(signal.reason));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(toError(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
