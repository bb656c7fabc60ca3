/**
 * What the app's server says about its CIFAR-10 files: GET <base>/manifest.json and GET <base>/status.
 * Shared by the server plugin (which writes it) and the loader (which reads it), so the two cannot drift.
 */
import type { Split } from './tarball';

/** Where the server is with its data. 'idle': nothing asked yet; the first manifest request starts the work. */
export type CifarServerState = 'idle' | 'downloading' | 'extracting' | 'ready' | 'error';

/** GET <base>/status: the server's progress, for the page's download bar. */
export interface CifarServerStatus {
  status: CifarServerState;
  /** where the files come from, for people: "CIFAR10_DIR" or "download cache" (never a folder of the server's) */
  source: string;
  /** bytes of the official tarball downloaded so far (while 'downloading'), else 0 */
  bytesLoaded: number;
  /** the tarball's size if the download said so (Content-Length), else null */
  bytesTotal: number | null;
  /** why the server cannot serve data (status 'error'), else null */
  error: string | null;
}

/** One .bin file the server streams. */
export interface CifarManifestFile {
  /** file name, e.g. "data_batch_1.bin" */
  name: string;
  split: Split;
  /** size in bytes (a multiple of 3073) */
  bytes: number;
  /** where to GET it, relative to the manifest's URL, e.g. "files/data_batch_1.bin" */
  url: string;
}

/** GET <base>/manifest.json: the status plus, once 'ready', the files in order (train files by batch number). */
export interface CifarManifest extends CifarServerStatus {
  files: CifarManifestFile[];
}

const STATES: readonly CifarServerState[] = ['idle', 'downloading', 'extracting', 'ready', 'error'];

/** Checks the shape of a manifest that came over the wire; throws an Error naming what is wrong. */
export function parseManifest(json: unknown): CifarManifest {
  const o = isRecord(json) ? json : {};
  const status = o['status'];
  if (typeof status !== 'string' || !(STATES as readonly string[]).includes(status)) {
    throw new Error(`not a CIFAR-10 manifest: status is ${JSON.stringify(status)}`);
  }
  const files = Array.isArray(o['files']) ? o['files'] : [];
  return {
    status: status as CifarServerState,
    source: typeof o['source'] === 'string' ? o['source'] : '',
    bytesLoaded: typeof o['bytesLoaded'] === 'number' ? o['bytesLoaded'] : 0,
    bytesTotal: typeof o['bytesTotal'] === 'number' ? o['bytesTotal'] : null,
    error: typeof o['error'] === 'string' ? o['error'] : null,
    files: files.map((f: unknown, i) => {
      const r = isRecord(f) ? f : {};
      const { name, split, bytes, url } = r;
      if (typeof name !== 'string' || (split !== 'train' && split !== 'test') || typeof bytes !== 'number' || typeof url !== 'string') {
        throw new Error(`not a CIFAR-10 manifest: files[${i}] is ${JSON.stringify(f)}`);
      }
      return { name, split, bytes, url };
    }),
  };
}

/**
 * What a static build answers at <base>/status: the site carries that path as a file (public/cifar10/status) whose
 * status is 'none', so the page's probe learns "no app server here" from an answer rather than a 404, which the
 * browser would log as an error. The app's server (dev and preview) answers the path itself and never says 'none'.
 */
export function isNoServerStatus(json: unknown): boolean {
  return isRecord(json) && json['status'] === 'none';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
