/**
 * CIFAR-10 from the local disk, for Node (the CLI and the app's server): a folder of `.bin` files, one `.bin`, or
 * the official `.tar.gz`, streamed through the same core loader as the page.
 */
import { constants, open as openCallback, readdirSync, statSync, type Stats } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { CifarSourceError } from '../core/data/errors';
import type { CifarInput } from '../core/data/inputs';
import { loadCifar, type CifarLoad, type LoadOptions } from '../core/data/load';
import { messageOf } from '../core/errors';
import { sampleInputs, type SampleReader } from '../core/data/sample';
import { SAMPLE } from '../core/data/sampleInfo';
import type { SourcePreference } from '../core/config';

/** The repository root (this file is src/node/localData.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Bytes per file read: large enough that the parser, not the syscalls, sets the pace. */
const READ_CHUNK = 1 << 20;

/** The built-in sample's folder (the page serves the same files from the site's root). */
export const SAMPLE_DIR = path.join(REPO_ROOT, 'public', SAMPLE.folder);

/** What reading local data may tell a person along the way (the CLI writes these to stderr, the server to its log). */
export interface LocalDataEvents {
  /** a file skipped in a folder (a dangling link, a symlink loop), said with its name in the folder */
  onWarning?: (message: string) => void;
  /** a named pipe that nobody has written to for WAIT_NOTE_MS: said once */
  onWait?: (message: string) => void;
}

/** How long a named pipe may stay silent before the person is told it is being waited on. */
export const WAIT_NOTE_MS = 3000;

/** Where the CLI reads CIFAR-10 from, and how to say it to a person. */
export interface LocalData {
  /** for messages: the path given, or "the built-in sample (public/cifar10-sample/)" */
  label: string;
  /** true for the built-in sample */
  sample: boolean;
  /** what a person should be told about the choice (why the sample), else null */
  note: string | null;
  /** the loader inputs */
  inputs(): Promise<CifarInput[]>;
}

/**
 * The data a command reads: `--data` if given, else $CIFAR10_DIR, else the built-in sample (2,000 train and 1,000
 * test images in the repository), so a fresh clone trains with nothing else on disk. The config's `source` can
 * insist: 'sample' reads the sample whatever is given; 'full' fails rather than fall back to it.
 */
export function localDataSource(data: string | undefined, source: SourcePreference = 'auto', events: LocalDataEvents = {}): LocalData {
  const target = source === 'sample' ? undefined : data || process.env['CIFAR10_DIR'] || undefined;
  if (target !== undefined) return { label: target, sample: false, note: null, inputs: () => cifarInputsFromPath(target, events) };
  const label = `the built-in sample (${path.relative(process.cwd(), SAMPLE_DIR) || '.'}: ${SAMPLE.train} train, ${SAMPLE.test} test images)`;
  if (source === 'full') {
    const error = new CifarSourceError('source=full needs the full data set: pass --data DIR (or set CIFAR10_DIR)');
    return { label: '--data (none given)', sample: false, note: null, inputs: () => Promise.reject(error) };
  }
  const reader = fileSampleReader();
  return {
    label,
    sample: true,
    note: `${source === 'sample' ? 'source=sample' : 'no --data and no CIFAR10_DIR'}: using ${label}`,
    inputs: () => sampleInputs(reader, new AbortController().signal),
  };
}

/** The sample's files from a folder on disk (default: the repository's copy). */
export function fileSampleReader(dir = SAMPLE_DIR): SampleReader {
  return {
    where: dir + path.sep,
    async read(name) {
      try {
        return new Uint8Array(await readFile(path.join(dir, name)));
      } catch (err) {
        throw new CifarSourceError(`${path.join(dir, name)}: ${describeFsError(err)}`);
      }
    },
  };
}

/** Starts loading from a `localDataSource`, like `loadCifar`. */
export function loadLocal(data: LocalData, options: LoadOptions): CifarLoad {
  return loadCifar({ kind: 'inputs', inputs: () => data.inputs() }, options);
}

/**
 * Starts loading CIFAR-10 from a folder or a file (see `listCifarFiles`) and returns the datasets at once, like
 * `loadCifar`. A missing path or a folder without CIFAR-10 files fails `done` (and both datasets) with a clear error.
 */
export function loadCifarFromPath(target: string, options: LoadOptions): CifarLoad {
  return loadCifar({ kind: 'inputs', inputs: async () => cifarInputsFromPath(target) }, options);
}

/** The loader inputs for a folder or a file. */
export async function cifarInputsFromPath(target: string, events: LocalDataEvents = {}): Promise<CifarInput[]> {
  return listCifarFiles(target, events.onWarning).map((file) => fileInput(file, path.basename(file), events.onWait));
}

/**
 * The CIFAR-10 files at `target`, as absolute paths. A file is taken as it is (its content decides what it is). In a
 * folder: its `.bin` files in natural name order; failing those, its `.tar.gz`/`.tgz`/`.tar` archives; failing
 * those, the same in its `cifar-10-batches-bin/` subfolder (the official archive's layout).
 * A link in a folder is followed; one that leads nowhere (dangling, or a loop such as a.bin -> b.bin -> a.bin) is
 * skipped, and `onWarning` says so with its name in the folder.
 * Throws `CifarSourceError` for a missing path or a folder with none of these.
 */
export function listCifarFiles(target: string, onWarning: (message: string) => void = () => undefined): string[] {
  const full = path.resolve(target);
  let stats;
  try {
    stats = statSync(full);
  } catch (err) {
    throw new CifarSourceError(`${target}: ${describeFsError(err)}`);
  }
  if (!stats.isDirectory()) {
    checkReadable(target, stats);
    return [full];
  }
  const byName = new Intl.Collator('en', { numeric: true }).compare;
  // A link is followed (people keep one copy of a data set and link it); what it leads to must be a plain file.
  const files = readdirSync(full, { withFileTypes: true })
    .filter((e) => e.isFile() || (e.isSymbolicLink() && linkedFile(full, e.name, onWarning)))
    .map((e) => e.name)
    .sort(byName);
  const bins = files.filter((f) => /\.bin$/i.test(f));
  const archives = files.filter((f) => /\.(tar\.gz|tgz|tar)$/i.test(f));
  const chosen = bins.length ? bins : archives;
  if (chosen.length) return chosen.map((f) => path.join(full, f));
  const nested = path.join(full, 'cifar-10-batches-bin');
  if (statSync(nested, { throwIfNoEntry: false })?.isDirectory()) return listCifarFiles(nested);
  throw new CifarSourceError(`${target}: no CIFAR-10 files here (expected .bin files or cifar-10-binary.tar.gz)`);
}

/** Whether a link in `dir` leads to a plain file; a dangling link or a loop is skipped with a warning. */
function linkedFile(dir: string, name: string, onWarning: (message: string) => void): boolean {
  try {
    return statSync(path.join(dir, name)).isFile();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'a link to nothing (dangling)' : describeFsError(err);
    if (/\.(bin|tar\.gz|tgz|tar)$/i.test(name) || code === 'ELOOP') onWarning(`${name}: ${why}; skipped`);
    return false;
  }
}

/**
 * Throws a `CifarSourceError` for what cannot be read as data: a device, a socket. A plain file and a named pipe
 * (FIFO; read as a stream of unknown length, e.g. `--data <(zcat ...)`) are fine.
 */
function checkReadable(target: string, stats: Stats): void {
  if (stats.isFile() || stats.isFIFO()) return;
  throw new CifarSourceError(`${target}: not a file, a folder or a named pipe; give CIFAR-10 .bin files, a folder of them or a .tar.gz`);
}

/**
 * A loader input over a local file, read in 1 MiB chunks as the parser asks for them. A named pipe is read through
 * the event loop instead (see `pipeInput`).
 */
export function fileInput(file: string, name = path.basename(file), onWait?: (message: string) => void): CifarInput {
  const stats = statSync(file, { throwIfNoEntry: false });
  if (stats?.isFIFO()) return pipeInput(file, name, onWait);
  return {
    name,
    bytes: stats?.size ?? null,
    open: async () => {
      try {
        const handle = await open(file, 'r');
        const { size } = await handle.stat();
        return { stream: fileStream(handle), bytes: size };
      } catch (err) {
        throw new CifarSourceError(`${name}: ${describeFsError(err)}`);
      }
    },
  };
}

/**
 * A named pipe, of unknown length (its size on disk is 0, which is not "empty"). A blocking open or read would sit in
 * libuv's thread pool until a writer comes, and Node cannot exit while a pool thread is stuck, so neither Ctrl-C
 * nor SIGTERM could end the process. Opened non-blocking and read as a socket (Node's documented way for pipes), the
 * wait is in the event loop: Linux reports nothing until a writer has written or closed, and signals work as ever.
 * A pipe that stays silent for WAIT_NOTE_MS is said once through `onWait` (it waits as `cat` would: for a writer).
 */
function pipeInput(file: string, name: string, onWait?: (message: string) => void): CifarInput {
  return {
    name,
    bytes: null,
    open: async (signal) => {
      let fd: number;
      try {
        fd = await openFd(file, constants.O_RDONLY | constants.O_NONBLOCK);
      } catch (err) {
        throw new CifarSourceError(`${name}: ${describeFsError(err)}`);
      }
      // A raw descriptor, not a FileHandle: the socket owns it and closes it when it ends or is destroyed.
      const socket = new Socket({ fd, readable: true, writable: false });
      signal.addEventListener('abort', () => socket.destroy(), { once: true });
      const timer = onWait
        ? setTimeout(() => onWait(`${name} is a named pipe that nothing has written to yet: waiting for data (Ctrl-C to stop)`), WAIT_NOTE_MS)
        : null;
      timer?.unref();
      const quiet = () => timer && clearTimeout(timer);
      socket.once('close', quiet);
      const stream = (Readable.toWeb(socket) as ReadableStream<Uint8Array>).pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            quiet();
            controller.enqueue(chunk);
          },
        }),
      );
      return { stream, bytes: null };
    },
  };
}

const openFd = promisify(openCallback);

type FileHandle = Awaited<ReturnType<typeof open>>;

/** A web ReadableStream over an open file; closes the file at the end, on error and on cancel. */
function fileStream(handle: FileHandle): ReadableStream<Uint8Array> {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const buffer = new Uint8Array(READ_CHUNK);
        const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK, null);
        if (bytesRead === 0) {
          await close();
          controller.close();
        } else {
          controller.enqueue(buffer.subarray(0, bytesRead));
        }
      } catch (err) {
        await close().catch(() => undefined); // the read error is the one worth reporting
        controller.error(new CifarSourceError(`read failed: ${describeFsError(err)}`));
      }
    },
    cancel: close,
  });
}

/**
 * "no such file or directory" rather than "ENOENT: no such file or directory, stat '/x'": said without the path
 * (the caller names the file as the person gave it; an absolute path must not reach the page).
 */
export function describeFsError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder';
  if (code === 'ELOOP') return 'a symlink loop (too many levels of symbolic links)';
  if (code === 'ENOTDIR') return 'a part of the path is not a folder';
  if (typeof code === 'string')
    return `${code} (${messageOf(err)
      .replace(/,? *(open|stat|lstat|scandir|read|opendir|access) '.*'$/, '')
      .replace(/^[A-Z]+: /, '')})`;
  return messageOf(err);
}
