/**
 * The built site as a static host serves it: a folder (dist/, or a changed copy of it) under a sub-path
 * (/wrn-playground/, like a project page) from a plain Node file server, with only a content type (no COOP/COEP, no
 * app server). It records every path it was asked for, can be switched to another folder (a new deployment), and can
 * go down (refusing every request, as when the network is gone).
 */
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
export const PREFIX = '/wrn-playground/';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

export interface StaticServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** the site's address: origin + PREFIX */
  site: string;
  /** every path asked for, with its status (0: refused while down) */
  served: { path: string; status: number }[];
  /** serves another folder from now on */
  setRoot(dir: string): void;
  /** down: every request is cut without an answer */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startStaticServer(root = DIST): Promise<StaticServer> {
  let dir = root;
  let down = false;
  const served: StaticServer['served'] = [];
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (down) {
      served.push({ path: pathname, status: 0 });
      req.socket.destroy();
      return;
    }
    let file: string | null = null;
    if (pathname.startsWith(PREFIX)) {
      const rel = pathname.slice(PREFIX.length) || 'index.html';
      const full = path.resolve(dir, rel);
      if (full.startsWith(dir + path.sep) && statSync(full, { throwIfNoEntry: false })?.isFile()) file = full;
    }
    served.push({ path: pathname, status: file ? 200 : 404 });
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return void res.end('not found');
    }
    // Only a content type: no Cross-Origin-Opener-Policy / Embedder-Policy, as on most static hosts.
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    site: `${origin}${PREFIX}`,
    served,
    setRoot: (next) => void (dir = path.resolve(next)),
    setDown: (value) => void (down = value),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
