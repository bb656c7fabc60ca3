/**
 * The CIFAR-10 files the app's server offers, and how it gets them.
 *
 * Either a folder given by CIFAR10_DIR (served as it is), or a cache folder filled once from the official tarball:
 * download to a temporary file while hashing, keep it only if the MD5 matches, unpack its .bin files into a
 * temporary folder and rename that into place. So the cache is either complete or absent, never half there, and a
 * restart after any failure simply starts over.
 */
import { statSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { checkSize } from '../src/core/data/cifarStream';
import { CifarSourceError } from '../src/core/data/errors';
import type { CifarManifest, CifarManifestFile, CifarServerState, CifarServerStatus } from '../src/core/data/manifest';
import { readArchive, splitOfName, type Split } from '../src/core/data/tarball';
import { fileInput, listCifarFiles } from '../src/node/localData';
import { downloadVerified } from './download';
import { DownloadBar, type LogSink } from './progressBar';
import { escapeControls } from '../src/core/echo';
import { messageOf } from '../src/core/errors';

/** The dataset's home: https://www.cs.toronto.edu/~kriz/cifar.html */
export const OFFICIAL_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
/** MD5 of the official cifar-10-binary.tar.gz, as published on the dataset's home page. */
export const OFFICIAL_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

const TARBALL = 'cifar-10-binary.tar.gz';
const UNPACKED = 'cifar-10-batches-bin';

export interface CifarStoreOptions {
  /** a folder of .bin files to serve as they are (CIFAR10_DIR); when set, nothing is downloaded */
  dir?: string | null;
  /** the cache folder for the downloaded tarball and its unpacked files */
  cacheDir: string;
  /** where the tarball comes from (CIFAR10_URL overrides the official one, for tests and mirrors) */
  url: string;
  /** its expected MD5, hex (CIFAR10_MD5 overrides) */
  md5: string;
  /** terminal messages and the download bar (default process.stderr) */
  log?: LogSink;
}

/**
 * Options from the environment: CIFAR10_DIR (serve this folder), CIFAR10_CACHE (cache folder, default
 * <root>/.cache/cifar10; tests point it at an empty temporary folder), CIFAR10_URL, CIFAR10_MD5. Relative paths
 * resolve against `root`.
 */
export function storeOptionsFromEnv(root: string, env: NodeJS.ProcessEnv = process.env): CifarStoreOptions {
  const dir = env['CIFAR10_DIR'];
  return {
    dir: dir ? path.resolve(root, dir) : null,
    cacheDir: path.resolve(root, env['CIFAR10_CACHE'] || '.cache/cifar10'),
    url: env['CIFAR10_URL'] || OFFICIAL_URL,
    md5: env['CIFAR10_MD5'] || OFFICIAL_MD5,
  };
}

/** A served file: its manifest entry and where it is on disk. */
interface ServedFile extends CifarManifestFile {
  path: string;
}

export class CifarStore {
  private state: CifarServerState = 'idle';
  private bytesLoaded = 0;
  private bytesTotal: number | null = null;
  private error: string | null = null;
  private work: Promise<void> = Promise.resolve();
  private readonly log: LogSink;

  constructor(readonly options: CifarStoreOptions) {
    this.log = options.log ?? process.stderr;
  }

  /**
   * Where the files come from, for people. Named, not located: what the server sends is for any page that asks,
   * and a machine's folders are none of its business (the terminal log names them for the person running it).
   */
  get source(): string {
    return this.options.dir ? 'CIFAR10_DIR' : 'download cache';
  }

  /** The current state, without side effects (GET /status). */
  status(): CifarServerStatus {
    return this.publicStatus(this.current().status);
  }

  /** A status with every folder of this machine in its error replaced by a name (see `hidePaths`). */
  private publicStatus<T extends CifarServerStatus>(status: T): T {
    if (status.error === null) return status;
    const known = [
      { path: this.options.dir ?? null, label: 'CIFAR10_DIR' },
      { path: this.options.cacheDir, label: 'the download cache' },
    ];
    return { ...status, error: hidePaths(status.error, known) };
  }

  /**
   * The manifest (GET /manifest.json). In cache mode, asking for it starts getting the data when the cache is empty
   * (or again after a failure); the answer then says 'downloading' and the caller polls.
   */
  manifest(): CifarManifest {
    if (!this.options.dir && (this.state === 'idle' || this.state === 'error') && this.cached() === null) this.start();
    const { status, files } = this.current();
    return { ...this.publicStatus(status), files: files.map(({ path: _path, ...entry }) => entry) };
  }

  /** The file served under `name`, or null when there is none (not listed, or not ready). */
  file(name: string): ServedFile | null {
    return this.current().files.find((f) => f.name === name) ?? null;
  }

  /** Resolves when the download or unpacking under way (if any) has ended, successfully or not. */
  settled(): Promise<void> {
    return this.work;
  }

  private current(): { status: CifarServerStatus; files: ServedFile[] } {
    const base = { source: this.source, bytesLoaded: this.bytesLoaded, bytesTotal: this.bytesTotal, error: null };
    if (this.options.dir) {
      try {
        return { status: { ...base, status: 'ready' }, files: listServed(this.options.dir, (m) => this.warnOnce(m)) };
      } catch (err) {
        return { status: { ...base, status: 'error', error: `CIFAR10_DIR: ${messageOf(err)}` }, files: [] };
      }
    }
    const cached = this.cached();
    if (cached) return { status: { ...base, status: 'ready' }, files: cached };
    return { status: { ...base, status: this.state === 'ready' ? 'idle' : this.state, error: this.error }, files: [] };
  }

  private readonly warned = new Set<string>();

  /** A warning about the data (a file skipped), in the terminal log once, however often the folder is listed. */
  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.log.write(`CIFAR-10: ${this.source}: ${escapeControls(message)}\n`);
  }

  /** The unpacked cache's files, or null while it is not (completely) there. */
  private cached(): ServedFile[] | null {
    const dir = path.join(this.options.cacheDir, UNPACKED);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return null;
    try {
      return listServed(dir);
    } catch {
      return null; // emptied by hand: treat as no cache
    }
  }

  private start(): void {
    this.state = 'downloading';
    this.error = null;
    this.bytesLoaded = 0;
    this.bytesTotal = null;
    this.work = this.fill().then(
      () => {
        this.state = 'ready';
      },
      (err: unknown) => {
        this.state = 'error';
        this.error = messageOf(err);
        this.log.write(`CIFAR-10: ${this.error}\n`);
      },
    );
  }

  /** Download (unless a verified tarball is already cached), then unpack. */
  private async fill(): Promise<void> {
    const { cacheDir, url, md5 } = this.options;
    await mkdir(cacheDir, { recursive: true });
    const tarball = path.join(cacheDir, TARBALL);
    if (!statSync(tarball, { throwIfNoEntry: false })?.isFile()) {
      this.log.write(`CIFAR-10: no local copy; downloading ${url} once into ${cacheDir}\n`);
      const bar = new DownloadBar(this.log, 'CIFAR-10');
      try {
        await downloadVerified(url, tarball, md5, (p) => {
          this.bytesLoaded = p.bytesLoaded;
          this.bytesTotal = p.bytesTotal;
          bar.update(p.bytesLoaded, p.bytesTotal);
        });
      } catch (err) {
        throw new CifarSourceError(`download failed: ${messageOf(err)}`);
      } finally {
        bar.finish(this.bytesLoaded, this.bytesTotal);
      }
      this.log.write(`CIFAR-10: MD5 ${md5} ok\n`);
    }
    this.state = 'extracting';
    const files = await unpackBins(tarball, path.join(cacheDir, UNPACKED));
    this.log.write(`CIFAR-10: ready, ${files} files in ${path.join(cacheDir, UNPACKED)}\n`);
  }
}

/**
 * The .bin files a folder serves, in natural order, with their splits and sizes. Throws if there are none; a link
 * that leads nowhere is skipped, said through `onWarning`.
 */
function listServed(dir: string, onWarning?: (message: string) => void): ServedFile[] {
  const files = listCifarFiles(dir, onWarning).filter((f) => /\.bin$/i.test(f));
  if (!files.length) throw new CifarSourceError(`${dir}: no .bin files`);
  return files.map((file) => {
    const name = path.basename(file);
    return { name, split: splitOfName(name) ?? 'train', bytes: statSync(file).size, url: `files/${encodeURIComponent(name)}`, path: file };
  });
}

/**
 * Unpacks the .bin members of a .tar.gz into `outDir`, all or nothing: into a temporary folder first, renamed into
 * place once every member was written whole. Returns how many files it wrote.
 */
export async function unpackBins(tarball: string, outDir: string): Promise<number> {
  const partial = `${outDir}.partial-${process.pid}-${Date.now().toString(36)}`;
  await mkdir(partial, { recursive: true });
  try {
    const { stream } = await fileInput(tarball).open(new AbortController().signal);
    const splits = new Set<Split>();
    let count = 0;
    for await (const member of readArchive(stream, { gzip: true, name: path.basename(tarball) })) {
      checkSize(`${path.basename(tarball)}: ${member.name}`, member.size);
      const out = await open(path.join(partial, path.basename(member.name)), 'wx');
      try {
        const reader = member.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          await out.write(value);
        }
      } finally {
        await out.close();
      }
      splits.add(member.split);
      count++;
    }
    for (const split of ['train', 'test'] as const) {
      if (!splits.has(split)) throw new CifarSourceError(`${path.basename(tarball)} holds no ${split} .bin file`);
    }
    try {
      await rename(partial, outDir);
    } catch (err) {
      // Another server process sharing this cache got there first: theirs is just as complete.
      if (!statSync(outDir, { throwIfNoEntry: false })?.isDirectory()) throw err;
    }
    return count;
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/**
 * `text` with the folders in `known` replaced by their labels and any other absolute path cut to its last part
 * (".../name"), so that an error message can go to a page without telling it how this machine is laid out.
 */
export function hidePaths(text: string, known: readonly { path: string | null; label: string }[]): string {
  let out = text;
  for (const { path: dir, label } of [...known].sort((a, b) => (b.path?.length ?? 0) - (a.path?.length ?? 0))) {
    if (dir) out = out.split(dir).join(label).split(`${label}: ${label}`).join(label); // "CIFAR10_DIR: <its path>: ..." says it once
  }
  // An absolute path starts a word (not after ':', so that http://host/path stays a URL).
  return out.replace(/(^|[\s"'(=,])(\/[^\s"'),]*)/g, (_m, lead: string, token: string) => {
    const last = token.split('/').filter(Boolean).at(-1);
    return `${lead}${last ? `.../${last}` : '...'}`;
  });
}
