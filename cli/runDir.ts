/**
 * The folder a headless run writes (`train --out DIR`): whether it may be used, and writing it so that no failure
 * leaves a half-written run behind.
 *
 * - A folder that already holds a run (its `config.json` or `metrics.jsonl`) is refused unless the person says
 *   `--overwrite` (replace that run) or `--resume` (continue it; the runner decides what that reads).
 * - Nothing in the folder changes when it is opened: `begin` is called only once the data and the backend are
 *   loaded, so a run that fails before training leaves the previous run exactly as it was.
 * - Whole files are written under a temporary name and renamed into place (a rename within a folder is atomic), and
 *   a model's folder is written whole under a temporary name, then renamed: a reader sees the old file or the new
 *   one, never a torn one. Only `metrics.jsonl` grows in place, one complete line per append, so Ctrl-C or a crash
 *   keeps every point written so far.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';

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
 * Checks that `dir` may take a run in `mode`, and returns a handle to write it; changes nothing on disk yet.
 * Throws `RunDirError` for a path that is a file, for a folder that holds a run in mode 'new', and for a folder
 * without a run in mode 'resume'.
 */
export function openRunDir(dir: string, mode: RunDirMode = 'new'): RunDir {
  const full = path.resolve(dir);
  const stats = statSync(full, { throwIfNoEntry: false });
  if (stats && !stats.isDirectory()) throw new RunDirError(`${dir} is not a folder`);
  const existing = stats !== undefined && holdsRun(full);
  if (existing && mode === 'new') {
    throw new RunDirError(
      `${dir} already holds a run (${RUN_MARKERS.filter((f) => existsSync(path.join(full, f))).join(', ')}); pass --resume to continue it, --overwrite to replace it, or choose another folder`,
    );
  }
  if (!existing && mode === 'resume') throw new RunDirError(`${dir} holds no run to resume (no ${RUN_MARKERS.join(' or ')})`);
  return new RunDir(full, mode);
}

export class RunDir {
  private begun = false;

  constructor(
    /** the folder, absolute */
    readonly dir: string,
    readonly mode: RunDirMode,
  ) {}

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
