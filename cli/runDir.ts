/**
 * The folder a headless run writes (`train --out DIR`): whether it may be used, and writing it so that no failure
 * leaves a half-written run behind.
 *
 * - A folder that already holds a run (its `config.json` or `metrics.jsonl`) is refused unless the person says
 *   `--overwrite` (replace that run) or `--resume` (continue it; the runner decides what that reads).
 * - One process at a time: opening the folder takes a lock (`.wrn-train.lock`, created exclusively, holding the pid),
 *   so a second `train --out` or `--resume` of the same folder is refused even when both start at once; a lock left
 *   by a process that is gone (killed, or the machine restarted) is taken over. The lock goes when the process ends.
 * - Nothing else in the folder changes when it is opened: `begin` is called only once the run is known to go ahead
 *   (data, backend and checkpoint loaded), so a run that fails before training leaves the previous run as it was.
 * - Whole files are written under a temporary name and renamed into place (a rename within a folder is atomic), and
 *   a model's folder is written whole under a temporary name, then renamed: a reader sees the old file or the new
 *   one, never a torn one. Only `metrics.jsonl` grows in place, one complete line per append, so Ctrl-C or a crash
 *   keeps every point written so far.
 */
import {
  appendFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/** The lock file of a folder a run writes (hidden, and no run entry: `--overwrite` leaves it). */
export const LOCK_FILE = '.wrn-train.lock';

/** Files whose presence means "this folder holds a run". */
export const RUN_MARKERS = ['config.json', 'metrics.jsonl'] as const;

/**
 * The entries a run writes into its folder; `--overwrite` removes these and nothing else, so a person's own files
 * beside a run survive. Runs write config.json, metrics.jsonl, summary.json, `model/` (one net) or `<i>-WRN-d-k/`
 * (several), and checkpoints (`checkpoint*`).
 */
export function isRunEntry(name: string): boolean {
  return (
    (RUN_MARKERS as readonly string[]).includes(name) ||
    name === 'summary.json' ||
    name === 'model' ||
    /^\d+-WRN-/.test(name) ||
    /^checkpoints?(\b|[-_.])/.test(name) ||
    isTemporaryName(name)
  );
}

/** How an existing run in the folder is to be treated. */
export type RunDirMode = 'new' | 'overwrite' | 'resume';

/** A refusal with a message for people; the CLI reports it as bad usage (exit 2). */
export class RunDirError extends Error {
  override name = 'RunDirError';
}

/** True when `dir` exists and holds a run (one of `RUN_MARKERS`). */
export function holdsRun(dir: string): boolean {
  return RUN_MARKERS.some((f) => existsSync(path.join(dir, f)));
}

/**
 * Checks that `dir` may take a run in `mode`, takes its lock, and returns a handle to write it; changes nothing else
 * on disk yet (a missing folder is made, to hold the lock; `release` removes it again if the run wrote nothing).
 * Throws `RunDirError` for a path that is a file, for a folder another process is writing, for a folder that holds a
 * run in mode 'new', and for a folder without a run in mode 'resume'.
 */
export function openRunDir(dir: string, mode: RunDirMode = 'new'): RunDir {
  const full = path.resolve(dir);
  const stats = statSync(full, { throwIfNoEntry: false });
  if (stats && !stats.isDirectory()) throw new RunDirError(`${dir} is not a folder`);
  if (!stats && mode === 'resume') throw new RunDirError(`${dir} holds no run to resume (no such folder)`);
  // The folder holds the lock; the topmost folder made for it goes again if the run writes nothing.
  const created = stats ? undefined : mkdirSync(full, { recursive: true });
  let release: () => void;
  try {
    release = takeLock(full, dir);
  } catch (err) {
    if (created) removeEmpty(full, created);
    throw err;
  }
  const handle = new RunDir(full, mode, release, created);
  try {
    // Checked under the lock: two runs started at once cannot both find the folder empty.
    const existing = holdsRun(full);
    if (existing && mode === 'new') {
      throw new RunDirError(
        `${dir} already holds a run (${RUN_MARKERS.filter((f) => existsSync(path.join(full, f))).join(', ')}); pass --resume to continue it, --overwrite to replace it, or choose another folder`,
      );
    }
    if (!existing && mode === 'resume') throw new RunDirError(`${dir} holds no run to resume (no ${RUN_MARKERS.join(' or ')})`);
  } catch (err) {
    handle.release();
    throw err;
  }
  return handle;
}

/** What a lock file says: who holds the folder. */
interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

/**
 * Takes `dir`'s lock (an exclusive create, so exactly one of two racing processes gets it), taking over a lock whose
 * process is gone; returns the function that releases it. Throws RunDirError when a live process holds it.
 */
function takeLock(full: string, dir: string): () => void {
  const lock = path.join(full, LOCK_FILE);
  const mine: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(lock, JSON.stringify(mine), { flag: 'wx' });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        // Only our own lock: a stale-lock takeover elsewhere could in principle have replaced it.
        if (readOwner(lock)?.pid === mine.pid) rmSync(lock, { force: true });
      };
      process.on('exit', release); // also when a signal or a second Ctrl-C ends the process
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(lock);
    if (owner && alive(owner)) {
      throw new RunDirError(
        `${dir} is in use by another wrn train (pid ${owner.pid}${owner.host === hostname() ? '' : ` on ${owner.host}`}, since ${owner.since}); wait for it to end, or choose another folder`,
      );
    }
    takeOver(lock);
  }
  throw new RunDirError(`${dir}: cannot take its lock (${LOCK_FILE}); another process keeps taking it`);
}

function readOwner(lock: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(lock, 'utf8')) as Partial<LockOwner>;
    return typeof o.pid === 'number' ? { pid: o.pid, host: String(o.host ?? ''), since: String(o.since ?? '?') } : null;
  } catch {
    return null; // unreadable or half-written: treated as stale (a writer writes it whole in one call)
  }
}

/** Whether the lock's process runs; on another host it cannot be known, so it counts as alive. */
function alive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // it exists, but is another user's
  }
}

/**
 * Removes a stale lock. Moved aside first and read again there: if another process took the lock over in the
 * meantime (so what was moved is its live lock), it is put back.
 */
function takeOver(lock: string): void {
  const aside = `${lock}.${process.pid}`;
  try {
    renameSync(lock, aside);
  } catch {
    return; // gone already: someone else took it over; the next attempt sees
  }
  const moved = readOwner(aside);
  if (moved && alive(moved)) {
    try {
      linkSync(aside, lock);
    } catch {
      // a third process created a lock meanwhile: it holds the folder, and the next attempt says so
    }
  }
  unlinkSync(aside);
}

export class RunDir {
  private begun = false;

  constructor(
    /** the folder, absolute */
    readonly dir: string,
    readonly mode: RunDirMode,
    private readonly unlock: () => void = () => undefined,
    /** the topmost folder opening made (then `release` removes the folders it made while the run has written nothing) */
    private readonly created: string | undefined = undefined,
  ) {}

  /** Marks the folder as written by other means (an export): `release` then keeps it even when begin never ran. */
  keep(): void {
    this.kept = true;
  }

  private kept = false;

  /** Releases the lock (idempotent); a folder made only to hold it goes too, if the run wrote nothing. */
  release(): void {
    this.unlock();
    if (this.created && !this.begun && !this.kept) removeEmpty(this.dir, this.created);
  }

  /**
   * Starts the run on disk, once it can no longer fail for want of data or a backend: in mode 'overwrite' removes
   * the previous run's entries; then writes `config.json` (atomically; a resumed run keeps its own) and an empty
   * `metrics.jsonl` (a resumed run appends to its own). Idempotent.
   */
  begin(config: unknown): void {
    if (this.begun) return;
    mkdirSync(this.dir, { recursive: true });
    this.sweepTemporaries();
    if (this.mode === 'overwrite') {
      // The new config goes in first under a temporary name, so the folder is never without one for long and never
      // pairs the new config with the old weights.
      const staged = this.stage('config.json', JSON.stringify(config, null, 2));
      for (const name of readdirSync(this.dir)) {
        if (isRunEntry(name) && name !== path.basename(staged)) rmSync(path.join(this.dir, name), { recursive: true, force: true });
      }
      renameSync(staged, this.path('config.json'));
    } else if (this.mode === 'new' || !existsSync(this.path('config.json'))) {
      this.writeFile('config.json', JSON.stringify(config, null, 2)); // a resumed run keeps the config it began with
    }
    if (this.mode !== 'resume' || !existsSync(this.path('metrics.jsonl'))) this.writeFile('metrics.jsonl', '');
    this.begun = true;
  }

  /** An absolute path inside the folder. */
  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** Appends complete lines to `metrics.jsonl` (or another log); each call is one write. */
  append(name: string, text: string): void {
    appendFileSync(this.path(name), text);
  }

  /** Writes a whole file: to a temporary name beside it, then renamed over the old one. */
  writeFile(name: string, data: string | Uint8Array): void {
    renameSync(this.stage(name, data), this.path(name));
  }

  /**
   * Writes a whole folder `name` (e.g. a model: model.json + weights.bin + summary.json): `fill` writes into a
   * temporary folder, which then replaces `name`. A failure in `fill` leaves the old folder (if any) untouched.
   */
  writeFolder(name: string, fill: (dir: string) => void): void {
    const staging = this.path(temporaryName(name));
    mkdirSync(staging, { recursive: true });
    try {
      fill(staging);
      const target = this.path(name);
      // A rename cannot replace a non-empty folder; the old one is moved aside first, then dropped.
      const old = existsSync(target) ? this.path(temporaryName(`${name}.old`)) : null;
      if (old) renameSync(target, old);
      renameSync(staging, target);
      if (old) rmSync(old, { recursive: true, force: true });
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }

  /** Writes `data` under a temporary name in the folder and returns that path. */
  private stage(name: string, data: string | Uint8Array): string {
    mkdirSync(path.dirname(this.path(name)), { recursive: true });
    const staged = this.path(temporaryName(name));
    writeFileSync(staged, data, { flag: 'wx' });
    return staged;
  }

  /** Removes what an earlier run killed mid-write left under a temporary name (never a live file). */
  private sweepTemporaries(): void {
    for (const name of readdirSync(this.dir)) {
      if (isTemporaryName(name)) rmSync(this.path(name), { recursive: true, force: true });
    }
  }
}

/** Removes `dir` and its parents up to `top`, each only while empty (what was made to hold a lock, and nothing else). */
function removeEmpty(dir: string, top: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      rmdirSync(d); // fails when not empty: something else is there; leave it
    } catch {
      return;
    }
    if (d === top || path.dirname(d) === d) return;
  }
}

let counter = 0;

/** `.name.tmp-<pid>-<n>`: hidden, unique per process and call, and recognisable by `isTemporaryName`. */
function temporaryName(name: string): string {
  const dir = path.dirname(name);
  const base = `.${path.basename(name)}.tmp-${process.pid}-${++counter}`;
  return dir === '.' ? base : path.join(dir, base);
}

function isTemporaryName(name: string): boolean {
  return /^\..+\.tmp-\d+-\d+$/.test(name);
}
