/**
 * Running the CLI as a person does, for tests: separate processes (`npm run -s wrn -- ...` in a process group of
 * its own, as a terminal's foreground job, or node directly), real signals, output collected as it comes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DATA_DIR } from '../test/fixtures/data';
import { REPO_ROOT } from '../src/node/localData';

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** resolves with the exit code (or the signal's name) */
  exited: Promise<number | string>;
}

export interface StartOptions {
  /** run `npm run -s wrn -- ...` detached into its own process group (else node runs cli/main.ts directly) */
  npm?: boolean;
  env?: NodeJS.ProcessEnv;
  /** written to the CLI's stdin, which is then closed */
  stdin?: string;
}

/** Every process a harness started, for `killAll` after the tests. */
const children: ChildProcess[] = [];

/** Starts the CLI; CIFAR10_DIR is the test data unless `env` says otherwise. */
export function start(args: string[], opts: StartOptions = {}): Running {
  const env = { ...process.env, CIFAR10_DIR: DATA_DIR, ...opts.env };
  const child = opts.npm
    ? spawn('npm', ['run', '-s', 'wrn', '--', ...args], { cwd: REPO_ROOT, env, detached: true })
    : spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'cli/main.ts'), ...args], { cwd: REPO_ROOT, env });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs the CLI to its end. */
export async function cli(args: string[], opts: StartOptions = {}) {
  const r = start(args, opts);
  const code = await r.exited;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** Signals the child's whole process group (what a terminal does on Ctrl-C), or just the child. */
export function kill(child: ChildProcess, signal: NodeJS.Signals, group = true): void {
  try {
    process.kill(group ? -child.pid! : child.pid!, signal);
  } catch {
    // already gone
  }
}

/** True while any process of the child's group is alive. */
export function groupAlive(child: ChildProcess): boolean {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends whatever a failed test left running (npm's whole group, or the process). */
export function killAll(): void {
  for (const c of children) {
    if (groupAlive(c)) kill(c, 'SIGKILL');
    else if (c.exitCode === null && c.signalCode === null) kill(c, 'SIGKILL', false);
  }
}

/** Polls `test` until it holds (or fails the test after `ms`: a wait for something that never came, not a timing). */
export async function until(test: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Lines of metrics.jsonl text that are training steps. */
export const stepLines = (text: string) => text.split('\n').filter((l) => l.includes('"kind":"step"')).length;
