/**
 * CIFAR-10 bytes over HTTP (fetch), with errors that say what went wrong: the status of a failed request, or how
 * far a download got before the connection dropped. Works in the worker and in Node 20 (global fetch).
 */
import { CifarSourceError } from './errors';
import { messageOf } from '../errors';

/** An opened HTTP body and its size when the server said (Content-Length of an unencoded body). */
export interface HttpBody {
  stream: ReadableStream<Uint8Array>;
  bytes: number | null;
}

/** Resolves a possibly relative URL against the page or worker location (absolute URLs pass unchanged). */
export function absoluteUrl(url: string, base?: string): string {
  const fallback = typeof location === 'undefined' ? undefined : location.href;
  try {
    return new URL(url, base ?? fallback).href;
  } catch {
    throw new CifarSourceError(`not a valid URL: ${JSON.stringify(url)}${fallback || base ? '' : ' (relative URLs need a page)'}`);
  }
}

/**
 * GETs `url` and returns its body as a stream. Rejects with `CifarSourceError` for a network failure or a non-2xx
 * status; the stream errors with `CifarSourceError` if the connection is lost, or ends short of Content-Length.
 */
export async function openUrl(url: string, signal?: AbortSignal): Promise<HttpBody> {
  let res: Response;
  try {
    res = await fetch(url, signal ? { signal } : {});
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw new CifarSourceError(
      `GET ${url}: cannot connect (${messageOf(err, { cause: true })}); check the address, and that the server is up and allows CORS`,
    );
  }
  if (!res.ok) {
    // Release the connection: the error body is of no use.
    await res.body?.cancel().catch(() => undefined);
    throw new CifarSourceError(`GET ${url}: HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`);
  }
  if (!res.body) throw new CifarSourceError(`GET ${url}: the response has no body`);
  // Content-Length counts encoded bytes; fetch hands out decoded ones, so only trust it for unencoded bodies.
  const length = res.headers.get('content-length');
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const bytes = length !== null && !encoded && /^\d+$/.test(length) ? Number(length) : null;
  return { stream: guardBody(url, res.body, bytes, signal), bytes };
}

/** GETs JSON; errors as in `openUrl`. */
export async function fetchJson(url: string, signal?: AbortSignal): Promise<unknown> {
  const { stream } = await openUrl(url, signal);
  const text = await new Response(stream).text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CifarSourceError(`GET ${url}: not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
}

/** Passes the body through, turning a dropped connection or a short body into a clear `CifarSourceError`. */
function guardBody(url: string, body: ReadableStream<Uint8Array>, expected: number | null, signal: AbortSignal | undefined): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let got = 0;
  const lost = (why: string) =>
    new CifarSourceError(`GET ${url}: connection lost after ${got}${expected === null ? '' : ` of ${expected}`} bytes (${why})`);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (err) {
          controller.error(signal?.aborted ? signal.reason : lost(messageOf(err, { cause: true })));
          return;
        }
        if (next.done) {
          if (expected !== null && got !== expected) controller.error(lost('the body ended early'));
          else controller.close();
          return;
        }
        got += next.value.byteLength;
        controller.enqueue(next.value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
