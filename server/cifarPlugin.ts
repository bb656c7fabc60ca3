/**
 * Serves CIFAR-10 from the app's own server (Vite dev and preview), for the page's worker to stream:
 *
 *   GET /cifar10/manifest.json   CifarManifest: the files once ready, else the download's status (and a request
 *                                while the cache is empty, or after a failure, starts the download)
 *   GET /cifar10/status          CifarServerStatus: the same status, without side effects (for progress bars and the
 *                                page's probe; it shadows the built site's own cifar10/status file, which says 'none')
 *   GET /cifar10/files/<name>    one .bin file, streamed with its Content-Length
 *
 * Failures (no such folder, HTTP 404 upstream, a cut connection, a wrong checksum) are reported in the status,
 * never by crashing the dev server. See `CifarStore` for where the files come from.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import { CifarStore, storeOptionsFromEnv, type CifarStoreOptions } from './cifarStore';
import { messageOf } from '../src/core/errors';

/** The URL path the endpoints live under. */
export const CIFAR_BASE = '/cifar10';

type Next = (err?: unknown) => void;
/** A connect-style handler, as Vite's `server.middlewares.use` takes. */
export type CifarMiddleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/** The Vite plugin. Options default from the environment (see `storeOptionsFromEnv`); nothing happens until a request. */
export function cifarPlugin(options: Partial<CifarStoreOptions> = {}): Plugin {
  let root = process.cwd();
  let handler: CifarMiddleware | null = null;
  // One store for the life of the process, created on first use so that merely loading the config costs nothing.
  const lazy: CifarMiddleware = (req, res, next) => {
    handler ??= cifarMiddleware(new CifarStore({ ...storeOptionsFromEnv(root), ...options }));
    handler(req, res, next);
  };
  return {
    name: 'wrn-cifar10',
    configResolved(config) {
      root = config.root;
    },
    configureServer(server) {
      server.middlewares.use(lazy);
    },
    configurePreviewServer(server) {
      server.middlewares.use(lazy);
    },
  };
}

/** The request handler over a store; requests outside `base` go to `next`. */
export function cifarMiddleware(store: CifarStore, base = CIFAR_BASE): CifarMiddleware {
  return (req, res, next) => {
    // Bodies never echo the request or name a folder: they go to whatever page asked.
    try {
      const url = parseTarget(req.url);
      if (url === null) return sendJson(res, 400, { error: 'malformed request target' });
      if (url.pathname !== base && !url.pathname.startsWith(base + '/')) return next();
      const route = url.pathname.slice(base.length);
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'only GET and HEAD' }, { Allow: 'GET, HEAD' });
      if (route === '/manifest.json') return sendJson(res, 200, store.manifest());
      if (route === '/status') return sendJson(res, 200, store.status());
      if (route.startsWith('/files/')) {
        const name = decodeName(route.slice('/files/'.length));
        if (name === null) return sendJson(res, 400, { error: 'malformed percent-encoding in the file name' });
        return sendFile(req, res, store, name);
      }
      return sendJson(res, 404, { error: 'no such endpoint (manifest.json, status, files/<name>)' });
    } catch (err) {
      // A bug or a disk error: answer it rather than take the dev server down, and say no more than that.
      process.stderr.write(`CIFAR-10 server: ${req.method ?? '?'} ${JSON.stringify(req.url)}: ${messageOf(err)}\n`);
      if (res.headersSent) return void res.destroy();
      return sendJson(res, 500, { error: 'internal error (see the server log)' });
    }
  };
}

/** The request target as a URL, or null when it is not one (e.g. `http://[`, which `new URL` refuses). */
function parseTarget(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

/** A percent-decoded file name, or null when the escapes are malformed (`%`, `%zz`, a lone UTF-8 byte). */
function decodeName(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, store: CifarStore, name: string): void {
  // Only names in the listing are served, so no path can reach outside the data folder.
  const file = store.file(name);
  if (!file) return sendJson(res, 404, { error: 'no CIFAR-10 file of that name (is the data ready?)' });
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(file.bytes),
    'Cache-Control': 'no-cache',
  });
  if (req.method === 'HEAD') return void res.end();
  const stream = createReadStream(file.path, { highWaterMark: 1 << 20 });
  // Headers are gone already: a read error can only cut the body short, which the client reports as such.
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
