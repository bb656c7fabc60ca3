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
 *
 * The plugin also guards both servers as a whole:
 * - a request target that Node's URL parsers refuse (`http://[`, `http://x@[/`) is answered 400 before Vite's
 *   router parses it (its `parseurl` throws, and the throw took the whole process down);
 * - the dev server's `/@fs/...` serves nothing outside the project, and a refusal (403) says so without naming any
 *   folder of this machine (Vite's own 403 page lists its allowed folders).
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { parse as legacyParse } from 'node:url';
import type { Plugin } from 'vite';
import { CifarStore, storeOptionsFromEnv, type CifarStoreOptions } from './cifarStore';
import { echo, escapeControls } from '../src/core/echo';
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
      if (server.httpServer) guardRequestTargets(server.httpServer);
      server.middlewares.use(fsGuard(() => root));
      server.middlewares.use(lazy);
    },
    configurePreviewServer(server) {
      if (server.httpServer) guardRequestTargets(server.httpServer);
      server.middlewares.use(fsGuard(() => root));
      server.middlewares.use(lazy);
    },
  };
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
/** An HTTP server as far as the guard needs it (Node's http.Server; Vite may hand an http2 one). */
interface RequestEmitter {
  listeners(event: 'request'): unknown[];
  removeAllListeners(event: 'request'): unknown;
  on(event: 'request', listener: RequestListener): unknown;
}

/**
 * Puts a check in front of the server's request handlers: a request whose target cannot be parsed is answered 400
 * and goes no further; every other request goes to the handlers as before. Vite's router (connect) parses every
 * target with Node's legacy `url.parse`, which throws on `http://[` outside any try, so one such request ended the
 * dev or preview server.
 */
export function guardRequestTargets(server: RequestEmitter): void {
  const handlers = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    if (!parsableTarget(req.url)) return sendJson(res, 400, { error: 'malformed request target' });
    for (const h of handlers) h.call(server, req, res);
  });
}

/** True when both of Node's URL parsers take the request target (connect uses the legacy one, we the WHATWG one). */
export function parsableTarget(target: string | undefined): boolean {
  const t = target ?? '/';
  // connect's fast path (parseurl): a plain path is never handed to url.parse
  const plain = t.startsWith('/') && !/[\t\n\f\r #]/.test(t);
  try {
    if (!plain) legacyParse(t);
    new URL(t, 'http://localhost');
    return true;
  } catch {
    return false;
  }
}

const FORBIDDEN = "Forbidden: only the project's own files are served.\n";

/**
 * `/@fs/<path>` outside the project (or its parent folders by `..`) is refused here, with a message that names no
 * folder; and any 403 page Vite writes (it lists the folders it serves) is replaced by the same plain message.
 */
export function fsGuard(root: () => string): CifarMiddleware {
  return (req, res, next) => {
    const url = parseTarget(req.url);
    if (url?.pathname.startsWith('/@fs/')) {
      let file: string | null;
      try {
        file = path.resolve(decodeURIComponent(url.pathname.slice('/@fs'.length)));
      } catch {
        file = null;
      }
      const inside = file !== null && (file === root() || file.startsWith(root() + path.sep));
      if (!inside) return sendText(res, 403, FORBIDDEN);
    }
    // Vite's 403 page (strict fs, denied files) sets the status, then writes its HTML: written here instead.
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((...args: unknown[]) => (res.statusCode === 403 && !res.headersSent ? true : write(...args))) as ServerResponse['write'];
    res.end = ((...args: unknown[]) => {
      if (res.statusCode !== 403 || res.headersSent) return end(...args);
      res.removeHeader('Content-Length');
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      return end(FORBIDDEN);
    }) as ServerResponse['end'];
    next();
  };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), 'Cache-Control': 'no-store' });
  res.end(text);
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
      process.stderr.write(`CIFAR-10 server: ${escapeControls(`${req.method ?? '?'} ${echo(req.url ?? '', 200)}: ${messageOf(err)}`)}\n`);
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
