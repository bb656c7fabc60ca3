/**
 * The hostile-input pass, on demand: replays a representative set of the inputs a hostile (or unlucky) person gives
 * the CLI, the dev and preview servers, the exported train.py and the page's import paths, and reports per area how
 * many were handled well and what went wrong with the rest: data lost, a crash, a hang, unsafe output (an unbounded
 * echo, a control character, an absolute path where the page sees it) or a wrong answer.
 *
 *   npx tsx scripts/hostile-pass.ts                       # every area, against this checkout
 *   npx tsx scripts/hostile-pass.ts --areas page,server   # some areas
 *   npx tsx scripts/hostile-pass.ts --repo ../other       # against another checkout (e.g. an older commit: before/after)
 *   npx tsx scripts/hostile-pass.ts --json pass.json      # also write every case's verdict
 *   npx tsx scripts/hostile-pass.ts --match resume        # only the inputs whose name holds this text
 *   npx tsx scripts/hostile-pass.ts --port 4188           # the dev server on this port, the preview server on the next
 *   npx tsx scripts/hostile-pass.ts --help                # this text
 *
 * Not part of `npm test` (it takes minutes: it trains, signals and starts servers); the tests that pin each fix are
 * (cli/hostile.slow.test.ts, server/servers.test.ts, cli/commands/export.torch.test.ts, the core's tests). train.py's cases
 * need a Python that imports torch (WRN_PYTHON, else /usr/bin/python3); without one they are reported as skipped.
 * Reads CIFAR-10 .bin files from CIFAR10_DIR when it is set, else the tests' data (test/fixtures/data.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { DATA_DIR } from '../test/fixtures/data';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SELF_REPO = path.resolve(HERE, '..');

type Area = 'cli' | 'server' | 'trainpy' | 'page';
const AREAS: Area[] = ['cli', 'server', 'trainpy', 'page'];
type Verdict = 'ok' | 'lost' | 'crash' | 'hang' | 'unsafe' | 'wrong' | 'skipped';
interface Outcome {
  verdict: Verdict;
  note?: string;
}
interface Case {
  area: Area;
  name: string;
  run(): Promise<Outcome>;
}

const ok = (): Outcome => ({ verdict: 'ok' });
const bad = (verdict: Verdict, note: string): Outcome => ({ verdict, note });

// ---------------------------------------------------------------------------------------------------------------
// Arguments and fixtures

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const REPO = path.resolve(argValue('--repo') ?? SELF_REPO);
/** The dev server's port; the preview server's is the next. */
const BASE_PORT = Number(argValue('--port') ?? 5186);
const scratch = mkdtempSync(path.join(tmpdir(), 'wrn-hostile-pass-'));

/** The tests' CIFAR-10 .bin files: CIFAR10_DIR's, else the built-in sample written as .bin (a fresh clone has them). */
const DATA = DATA_DIR;

// ---------------------------------------------------------------------------------------------------------------
// Running things

interface Ran {
  code: number | string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a program to its end or `timeoutMs` (then kills it: a hang). `onStart` may signal it meanwhile. */
function run(
  cmd: string[],
  opts: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    stdin?: string;
    timeoutMs?: number;
    onStart?: (pid: number, out: () => string, err: () => string) => void;
  } = {},
): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { cwd: opts.cwd ?? REPO, env: { ...process.env, CIFAR10_DIR: DATA, OMP_NUM_THREADS: '1', ...opts.env } });
    child.on('error', (err) => resolve({ code: null, stdout: '', stderr: `cannot start ${cmd[0]}: ${err.message}`, timedOut: false }));
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    // Kept up to 10 MB each: past that the output is unbounded anyway (judged by its length).
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < 10_000_000) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 10_000_000) stderr += d.toString();
    });
    child.stdin.on('error', () => undefined);
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    opts.onStart?.(
      child.pid!,
      () => stdout,
      () => stderr,
    );
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr, timedOut });
    });
  });
}

const wrn = (args: string[], opts: Parameters<typeof run>[1] = {}) =>
  run([process.execPath, '--import', 'tsx', path.join(REPO, 'cli/main.ts'), ...args], { timeoutMs: 90_000, ...opts });

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const STACK = /\n\s+at .+\(.*:\d+:\d+\)|Traceback \(most recent call last\)/;

/**
 * What a person reads, judged: bounded (`max` characters), without control characters, without a stack trace, and
 * (`noPaths`) without an absolute path of this machine.
 */
function judgeText(text: string, max = 4000, noPaths = false): Outcome | null {
  if (STACK.test(text)) return bad('crash', `a stack trace: ${text.slice(0, 200)}`);
  if (text.length > max) return bad('unsafe', `${text.length.toLocaleString('en')} characters echoed`);
  if (CONTROLS.test(text)) return bad('unsafe', 'a control character reached the terminal');
  if (noPaths && (text.includes(REPO) || text.includes(scratch) || /(^|[\s"'(=])\/(?:etc|home|root|tmp|work|usr)\//.test(text)))
    return bad('unsafe', `an absolute path: ${text.slice(0, 200)}`);
  return null;
}

/** A command judged: not hung, exit code among `codes`, its messages safe; `extra` checks the rest. */
function judge(r: Ran, codes: (number | string)[], extra?: (r: Ran) => Outcome | null): Outcome {
  if (r.timedOut) return bad('hang', 'did not end in time');
  const text = judgeText(r.stderr);
  if (text) return text;
  if (!codes.includes(r.code as number))
    return bad(typeof r.code === 'string' || (r.code as number) > 2 ? 'crash' : 'wrong', `exit ${r.code}: ${r.stderr.slice(-300)}`);
  return extra?.(r) ?? ok();
}

/** Every file of a folder and its bytes. */
function snapshot(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => `${path.relative(dir, path.join(e.parentPath, e.name))}:${readFileSync(path.join(e.parentPath, e.name)).toString('base64')}`)
    .sort()
    .join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
// The CLI

const RUN = 'depth=10&width=1&batch=8&epochs=2&train=64&test=16&schedule=constant&backend=wasm&eval=3';
const LONG = 'depth=10&width=1&batch=8&epochs=1&train=2000&test=16&backend=wasm&schedule=constant';

/** Two finished runs of the same net, seeds 5 and 6, made once; each resume case works on a fresh copy. */
let seeded: Promise<{ five: string; six: string }> | null = null;
function seededRuns() {
  seeded ??= (async () => {
    const five = path.join(scratch, 'seed5');
    const six = path.join(scratch, 'seed6');
    for (const [dir, seed] of [
      [five, 5],
      [six, 6],
    ] as const) {
      const r = await wrn(['train', `${RUN}&seed=${seed}`, '--out', dir, '--steps', '6']);
      if (r.code !== 0) throw new Error(`could not make a run to resume: ${r.stderr}`);
    }
    return { five, six };
  })();
  return seeded;
}
let copies = 0;
function copyRun(from: string): string {
  const to = path.join(scratch, `copy-${++copies}`);
  execFileSync('cp', ['-r', from, to]);
  return to;
}
function editConfig(dir: string, edit: (doc: { url: string; config: Record<string, unknown> }) => void) {
  const file = path.join(dir, 'config.json');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  edit(doc);
  writeFileSync(file, JSON.stringify(doc));
}

/** A resume of a folder that must be refused (exit 2) and left as it was. */
async function refusedResume(prepare: (runs: { five: string; six: string }) => string): Promise<Outcome> {
  const dir = prepare(await seededRuns());
  const before = snapshot(dir);
  const r = await wrn(['train', '--resume', dir]);
  const after = snapshot(dir);
  if (r.timedOut) return bad('hang', 'did not end');
  if (after !== before) return bad('lost', `the folder changed (exit ${r.code}: ${r.stderr.trim().split('\n').at(-1)})`);
  return judge(r, [2], (x) => (/ENOENT|EISDIR/.test(x.stderr) ? bad('wrong', `a raw system error: ${x.stderr.trim()}`) : null));
}

/** A training run stopped by `signal` after a few steps: what it saved. */
async function signalled(signal: NodeJS.Signals): Promise<Outcome> {
  const out = path.join(scratch, `signal-${signal}`);
  let sent = false;
  const r = await wrn(['train', LONG, '--out', out], {
    timeoutMs: 240_000,
    onStart: (pid, stdout) => {
      const poll = setInterval(() => {
        if (!sent && stdout().split('"kind":"step"').length > 3) {
          sent = true;
          process.kill(pid, signal);
        }
      }, 100);
      setTimeout(() => clearInterval(poll), 240_000).unref();
    },
  });
  if (r.timedOut) return bad('hang', 'did not stop');
  const saved = existsSync(path.join(out, 'checkpoint.bin')) && existsSync(path.join(out, 'model', 'weights.bin'));
  if (!saved) return bad('lost', `exit ${r.code}, no checkpoint or no weights after ${signal}`);
  return judge(r, [0, 129, 130, 143]);
}

function cifarFile(name: string, bytes: Uint8Array): string {
  const dir = mkdtempSync(path.join(scratch, 'data-'));
  writeFileSync(path.join(dir, name), bytes);
  return path.join(dir, name);
}

/** A small tar of two .bin members (ustar), built by hand so that nothing outside Node is needed. */
function tarOf(files: { name: string; bytes: Uint8Array }[]): Uint8Array {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    h.write(f.name, 0);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${f.bytes.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\x0000', 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, Buffer.from(f.bytes), Buffer.alloc((512 - (f.bytes.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function records(n: number, label = (i: number) => i % 10): Uint8Array {
  const out = new Uint8Array(n * 3073);
  for (let i = 0; i < n; i++) out[i * 3073] = label(i);
  return out;
}

const dataCase = (name: string, file: () => string, codes: number[], extra?: (r: Ran) => Outcome | null): Case => ({
  area: 'cli',
  name,
  run: async () => judge(await wrn(['data', file()]), codes, extra),
});

/**
 * `info` of a config, accepting its corrections (--lenient: exit 0): what it says must stay short and safe. A config
 * longer than a command line takes (Linux: 128 KiB in one argument) goes through --config-file, the only way in.
 */
const infoCase = (name: string, config: string, max = 4000): Case => ({
  area: 'cli',
  name: `info: ${name}`,
  run: async () => {
    let args = [config];
    if (config.length > 128 * 1024) {
      const file = path.join(scratch, `config-${config.length}.txt`);
      writeFileSync(file, config);
      args = ['--config-file', file];
    }
    const r = await wrn(['info', ...args, '--lenient']);
    if (r.timedOut) return bad('hang', 'did not end');
    return judgeText(r.stderr, max) ?? judge(r, [0]);
  },
});

function cliCases(): Case[] {
  const tar = tarOf([
    { name: 'data_batch_1.bin', bytes: records(100) },
    { name: 'test_batch.bin', bytes: records(50) },
  ]);
  const gz = gzipSync(tar);
  return [
    infoCase('a 100,000-digit number', `depth=${'1'.repeat(100_000)}x`),
    infoCase('a 100,000-digit decimal', `lr=0.${'1'.repeat(100_000)}x`),
    infoCase('a compare item of 120,000 characters', `compare=${'x'.repeat(120_000)}`),
    infoCase('a 1 MB compare list (199,994 corrections)', `compare=${Array(200_000).fill('16-4').join(',')}`),
    infoCase('escape sequences (title, clear screen)', 'depth=%1B]0;pwned%07%1B[2J'),
    infoCase('a C1 control (CSI)', 'depth=%C2%9B2J'),
    infoCase('50,000 unknown keys', Array.from({ length: 50_000 }, (_, i) => `k${i}=1`).join('&')),
    infoCase('an entry "=5"', '=5&depth=16'),
    infoCase('malformed percent escapes', 'depth=%&width=%zz&lr=%E0%A4%A'),
    infoCase('a budget past a double', 'budget=flops:1e999'),
    infoCase('a data= link that is no URL', 'data=javascript:alert(1)'),
    infoCase('a 100 KB data= link', `data=http://x/${'a'.repeat(100_000)}`),
    {
      area: 'cli',
      name: 'train: a net far too big for WASM (what --lenient makes of depth=1000&width=64&batch=4096)',
      run: async () =>
        judge(await wrn(['train', 'depth=1000&width=64&batch=4096&backend=wasm', '--lenient', '--steps', '1'], { timeoutMs: 120_000 }), [2]),
    },
    {
      area: 'cli',
      name: 'train: WRN-16-8 at batch 512 on WASM',
      run: async () => judge(await wrn(['train', 'depth=16&width=8&batch=512&train=2000&backend=wasm', '--steps', '1'], { timeoutMs: 120_000 }), [2]),
    },
    {
      area: 'cli',
      name: "resume: another seed's checkpoint of the same net",
      run: () =>
        refusedResume(({ five, six }) => {
          const d = copyRun(five);
          copyFileSync(path.join(six, 'checkpoint.bin'), path.join(d, 'checkpoint.bin'));
          return d;
        }),
    },
    {
      area: 'cli',
      name: "resume: config.json's url edited by hand",
      run: () =>
        refusedResume(({ five }) => {
          const d = copyRun(five);
          editConfig(d, (doc) => {
            doc.url = doc.url.replace('seed=5', 'seed=6');
          });
          return d;
        }),
    },
    {
      area: 'cli',
      name: "resume: config.json's config object edited by hand",
      run: () =>
        refusedResume(({ five }) => {
          const d = copyRun(five);
          editConfig(d, (doc) => {
            doc.config['lr'] = 0.05;
          });
          return d;
        }),
    },
    {
      area: 'cli',
      name: "resume: another run's checkpoint with config.json edited to match it",
      run: () =>
        refusedResume(({ five, six }) => {
          const d = copyRun(five);
          copyFileSync(path.join(six, 'checkpoint.bin'), path.join(d, 'checkpoint.bin'));
          copyFileSync(path.join(six, 'config.json'), path.join(d, 'config.json'));
          return d;
        }),
    },
    {
      area: 'cli',
      name: 'resume: a checkpoint with flipped bits',
      run: () =>
        refusedResume(({ five }) => {
          const d = copyRun(five);
          const bytes = readFileSync(path.join(d, 'checkpoint.bin'));
          bytes[bytes.length - 40]! ^= 0x40;
          writeFileSync(path.join(d, 'checkpoint.bin'), bytes);
          return d;
        }),
    },
    {
      area: 'cli',
      name: 'resume: a checkpoint cut short',
      run: () =>
        refusedResume(({ five }) => {
          const d = copyRun(five);
          writeFileSync(path.join(d, 'checkpoint.bin'), readFileSync(path.join(d, 'checkpoint.bin')).subarray(0, 100));
          return d;
        }),
    },
    {
      area: 'cli',
      name: 'resume: a folder without a checkpoint',
      run: () =>
        refusedResume(({ five }) => {
          const d = copyRun(five);
          rmSync(path.join(d, 'checkpoint.bin'));
          return d;
        }),
    },
    {
      area: 'cli',
      name: 'resume: config.json that is not JSON',
      run: () =>
        refusedResume(({ five }) => {
          const d = copyRun(five);
          writeFileSync(path.join(d, 'config.json'), '{"url": "v=1&dep');
          return d;
        }),
    },
    { area: 'cli', name: 'train stopped by SIGTERM', run: () => signalled('SIGTERM') },
    { area: 'cli', name: 'train stopped by SIGHUP', run: () => signalled('SIGHUP') },
    { area: 'cli', name: 'train stopped by Ctrl-C (SIGINT)', run: () => signalled('SIGINT') },
    {
      area: 'cli',
      name: 'train --out onto a run',
      run: async () => {
        const d = copyRun((await seededRuns()).five);
        const before = snapshot(d);
        const r = await wrn(['train', RUN, '--out', d, '--steps', '1']);
        return snapshot(d) !== before ? bad('lost', 'the run was changed') : judge(r, [2]);
      },
    },
    {
      area: 'cli',
      name: 'two train --out on one folder, both checked before either writes',
      run: async () => {
        // Each waits on a named pipe for its data: checked, not yet writing, until fed.
        const out = path.join(scratch, 'together');
        const pipes = [1, 2].map((i) => path.join(scratch, `together-${i}.tar`));
        for (const p of pipes) execFileSync('mkfifo', [p]);
        const started = (err: () => string) => /^backend: /m.test(err());
        const launch = (seed: number, pipe: string) => {
          const entry = { ran: null as unknown as Promise<Ran>, err: () => '', done: false };
          entry.ran = wrn(['train', `${RUN}&seed=${seed}`, '--out', out, '--steps', '2', '--data', pipe], {
            onStart: (_pid, _out, err) => {
              entry.err = err;
            },
          }).then((r) => {
            entry.done = true;
            return r;
          });
          return entry;
        };
        const a = launch(1, pipes[0]!);
        for (let i = 0; i < 600 && !started(a.err) && !a.done; i++) await sleep(100);
        const b = launch(2, pipes[1]!);
        for (let i = 0; i < 600 && !started(b.err) && !b.done; i++) await sleep(100);
        const archive = tarOf([
          { name: 'data_batch_1.bin', bytes: readFileSync(path.join(DATA, 'train_subset.bin')).subarray(0, 64 * 3073) },
          { name: 'test_batch.bin', bytes: readFileSync(path.join(DATA, 'test_subset.bin')).subarray(0, 16 * 3073) },
        ]);
        for (const [r, p] of [
          [a, pipes[0]!],
          [b, pipes[1]!],
        ] as const) {
          if (!r.done) writeFileSync(p, archive); // a reader is there: it waits on this pipe
        }
        const [ra, rb] = await Promise.all([a.ran, b.ran]);
        if (ra.code === 0 && rb.code === 0) return bad('lost', 'both wrote the same folder');
        return judge(ra.code === 0 ? rb : ra, [2]);
      },
    },
    {
      area: 'cli',
      name: 'train --out --overwrite of a folder another train is writing',
      run: async () => {
        const out = path.join(scratch, 'busy');
        const holder: { second: Promise<Ran> | null } = { second: null };
        const first = wrn(['train', LONG, '--out', out, '--steps', '60'], {
          timeoutMs: 240_000,
          onStart: (_pid, stdout) => {
            const poll = setInterval(() => {
              if (!holder.second && stdout().includes('"kind":"step"')) {
                holder.second = wrn(['train', RUN, '--out', out, '--overwrite', '--steps', '1']);
                clearInterval(poll);
              }
            }, 100);
          },
        });
        const r1 = await first;
        const r2 = await (holder.second ?? Promise.resolve(null));
        if (!r2) return bad('wrong', `the first run ended before the second started: ${r1.stderr.slice(-200)}`);
        if (r2.code === 0) return bad('lost', 'the second run replaced a run being written');
        return judge(r2, [2]);
      },
    },
    {
      area: 'cli',
      name: 'export --out onto a run',
      run: async () => {
        const d = copyRun((await seededRuns()).five);
        const before = snapshot(d);
        const r = await wrn(['export', 'depth=16&width=4', '--out', d]);
        return snapshot(d) !== before ? bad('lost', "the run's config.json was replaced") : judge(r, [2]);
      },
    },
    {
      area: 'cli',
      name: 'train --out onto a file',
      run: async () => judge(await wrn(['train', RUN, '--out', cifarFile('a-file', new Uint8Array(1))]), [2]),
    },
    dataCase('data: a symlink loop beside the data', () => {
      const d = mkdtempSync(path.join(scratch, 'loop-'));
      for (const f of ['train_subset.bin', 'test_subset.bin']) symlinkSync(path.join(DATA, f), path.join(d, f));
      symlinkSync('b.bin', path.join(d, 'a.bin'));
      symlinkSync('a.bin', path.join(d, 'b.bin'));
      return d;
    }, [0]),
    dataCase('data: a dangling link beside the data', () => {
      const d = mkdtempSync(path.join(scratch, 'dangling-'));
      for (const f of ['train_subset.bin', 'test_subset.bin']) symlinkSync(path.join(DATA, f), path.join(d, f));
      symlinkSync(path.join(scratch, 'nothing.bin'), path.join(d, 'c.bin'));
      return d;
    }, [0]),
    dataCase('data: a device', () => '/dev/zero', [1]),
    dataCase('data: a path that does not exist', () => path.join(scratch, 'no-such'), [1]),
    dataCase(
      'data: a tar.gz of several gzip members',
      () => cifarFile('c.tar.gz', Buffer.concat([gzipSync(tar.subarray(0, 5000)), gzipSync(tar.subarray(5000))])),
      [0],
    ),
    dataCase(
      'data: two tar.gz files one after another (cat a.tar.gz b.tar.gz)',
      () =>
        cifarFile(
          'cat.tar.gz',
          Buffer.concat([
            gzipSync(tarOf([{ name: 'data_batch_1.bin', bytes: records(100) }])),
            gzipSync(tarOf([{ name: 'test_batch.bin', bytes: records(50) }])),
          ]),
        ),
      [0],
    ),
    dataCase(
      'data: a tar.gz with trailing garbage',
      () => cifarFile('g.tar.gz', Buffer.concat([gz, Buffer.from('appended by mistake')])),
      [1],
      (r) => (/trailing garbage/.test(r.stderr) ? null : bad('wrong', `not named as trailing garbage: ${r.stderr.trim()}`)),
    ),
    dataCase('data: a truncated tar.gz', () => cifarFile('t.tar.gz', gz.subarray(0, gz.length >> 1)), [1]),
    dataCase(
      'data: a label of 12',
      () =>
        cifarFile(
          'data_batch_1.bin',
          records(3, (i) => (i === 1 ? 12 : 0)),
        ),
      [1],
    ),
    dataCase('data: a .bin that is no whole number of records', () => cifarFile('data_batch_1.bin', new Uint8Array(3073 * 2 + 5)), [1]),
    dataCase('data: an empty file', () => cifarFile('data_batch_1.bin', new Uint8Array(0)), [1]),
    dataCase('data: a file name with escape sequences', () => cifarFile('x\u001b[2J\u009b.bin', new Uint8Array(7)), [1]),
    {
      area: 'cli',
      name: 'data: a named pipe nobody writes (says it waits, and SIGTERM ends it)',
      run: async () => {
        const fifo = path.join(scratch, 'silent.bin');
        execFileSync('mkfifo', [fifo]);
        let said = false;
        const r = await wrn(['data', fifo], {
          timeoutMs: 60_000,
          onStart: (pid, _out, err) => {
            const poll = setInterval(() => {
              if (/wait/i.test(err())) said = true;
            }, 100);
            setTimeout(() => {
              clearInterval(poll);
              process.kill(pid, 'SIGTERM');
            }, 8000);
          },
        });
        if (r.timedOut) return bad('hang', 'SIGTERM did not end it');
        return said ? (judgeText(r.stderr) ?? ok()) : bad('wrong', 'waited without a word');
      },
    },
    {
      area: 'cli',
      name: 'a 200 KB config, which no command line takes: --config-file',
      run: async () => {
        const file = path.join(scratch, 'long.txt');
        writeFileSync(file, `depth=10&width=1&${Array.from({ length: 25_000 }, (_, i) => `k${i}=1`).join('&')}`);
        return judge(await wrn(['info', '--config-file', file, '--lenient']), [0]);
      },
    },
    {
      area: 'cli',
      name: 'a 200 KB config on stdin (-)',
      run: async () => judge(await wrn(['info', '-', '--lenient'], { stdin: `depth=10&${'x'.repeat(200_000)}=1` }), [0]),
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// The dev and preview servers

/** One raw request; the status and body, or null when the connection died without an answer. */
function rawRequest(port: number, target: string, method = 'GET'): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.setTimeout(20_000, () => socket.destroy());
    socket.on('data', (d: string) => (text += d));
    socket.on('error', () => resolve(null));
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve(m ? { status: Number(m[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) } : null);
    });
    socket.write(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

async function startServer(kind: 'dev' | 'preview', port: number): Promise<{ stop: () => void; alive: () => boolean }> {
  const args =
    kind === 'dev'
      ? ['vite', '--port', String(port), '--strictPort', '--host', '127.0.0.1']
      : ['vite', 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'];
  if (kind === 'preview') {
    // a built site of its own, so that the pass does not depend on dist/
    const dist = path.join(scratch, 'dist');
    mkdirSync(dist, { recursive: true });
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>t</title>');
    args.push('--outDir', dist);
  }
  const child = spawn(path.join(REPO, 'node_modules/.bin/vite'), args.slice(1), {
    cwd: REPO,
    env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true', CIFAR10_CACHE: path.join(scratch, 'cache'), CIFAR10_DIR: '' },
    stdio: 'ignore',
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  child.on('error', () => (exited = true)); // no vite in that checkout: every case then says the server is not there
  for (let i = 0; i < 120 && !(await rawRequest(port, '/cifar10/status')); i++) await sleep(500);
  return { stop: () => child.kill('SIGTERM'), alive: () => !exited };
}

function serverCases(): Case[] {
  const targets: [string, string, string?][] = [
    ['http://[', 'a bracket host'],
    ['http://[::1/cifar10/status', 'an unclosed IPv6 host'],
    ['http://x@[/', 'credentials and a bracket'],
    ['http://[/cifar10/manifest.json', 'a bracket host, then a path'],
    ['*', 'the asterisk form'],
    ['//', 'two slashes'],
    ['/%', 'a lone percent'],
    ['/cifar10/files/%', 'a lone percent in a file name'],
    ['/cifar10/files/..%2f..%2f..%2fetc%2fpasswd', 'encoded traversal'],
    ['/cifar10/files/../../package.json', 'traversal'],
    [`/cifar10/files/${'a'.repeat(8000)}`, 'an 8,000-character name'],
    ['/cifar10/status?%00', 'a NUL in the query'],
    ['/cifar10/status', 'PUT', 'PUT'],
    ['/@fs/etc/passwd', '/@fs/ outside the project'],
    ['/@fs/ROOT/../package.json', '/@fs/ up from the project'],
    ['/@fs/ROOT/%2e%2e/x', '/@fs/ encoded up'],
    ['/@fs/nonexistent/x.js', '/@fs/ a path that does not exist'],
    ['/@id/%00', 'a NUL module id'],
  ];
  const cases: Case[] = [];
  for (const kind of ['dev', 'preview'] as const) {
    const port = kind === 'dev' ? BASE_PORT : BASE_PORT + 1;
    let server: Promise<Awaited<ReturnType<typeof startServer>>> | null = null;
    for (const [target, what, method] of targets) {
      if (kind === 'preview' && target.startsWith('/@')) continue;
      cases.push({
        area: 'server',
        name: `${kind}: ${what}`,
        run: async () => {
          server ??= startServer(kind, port);
          const s = await server;
          if (!s.alive()) {
            server = null; // a new one for the next case
            return bad('crash', 'the server had died before this request');
          }
          const r = await rawRequest(port, target.replace('ROOT', REPO.slice(1)), method);
          await sleep(200);
          if (!s.alive() || !(await rawRequest(port, '/cifar10/status'))) {
            server = null;
            return bad('crash', 'the request ended the server');
          }
          if (!r) return bad('wrong', 'no answer');
          if (r.status >= 500) return bad('crash', `answered ${r.status}`);
          if (target.startsWith('/@fs/') && r.status === 200) return bad('unsafe', 'served a file outside the project');
          return judgeText(r.body, 100_000, true) ?? ok();
        },
      });
    }
    cases.push({
      area: 'server',
      name: `${kind}: (stopped)`,
      run: async () => {
        (await server)?.stop();
        return { verdict: 'skipped', note: 'bookkeeping' };
      },
    });
  }
  cases.push({
    area: 'server',
    name: 'CIFAR10_DIR with a symlink loop: the status names no folder',
    run: async () => {
      const dir = mkdtempSync(path.join(scratch, 'served-'));
      for (const f of ['train_subset.bin', 'test_subset.bin']) symlinkSync(path.join(DATA, f), path.join(dir, f));
      symlinkSync('b.bin', path.join(dir, 'a.bin'));
      symlinkSync('a.bin', path.join(dir, 'b.bin'));
      const r = await pageChild('store', dir);
      if (r.timedOut) return bad('hang', 'did not answer');
      const status = r.stdout.trim();
      if (!status.includes('"ready"')) return bad('crash', `not ready: ${status.slice(0, 300)}`);
      return judgeText(status, 100_000, true) ?? ok();
    },
  });
  return cases;
}

// ---------------------------------------------------------------------------------------------------------------
// train.py

async function torchPython(): Promise<string | null> {
  for (const p of [process.env['WRN_PYTHON'], '/usr/bin/python3', 'python3']) {
    if (!p) continue;
    const r = await run([p, '-c', 'import torch'], { timeoutMs: 60_000 });
    if (r.code === 0) return p;
  }
  return null;
}

function trainPyCases(): Case[] {
  let setup: Promise<{ python: string; dir: string; w10: string; w16: string; run: string } | null> | null = null;
  const prepare = () =>
    (setup ??= (async () => {
      const python = await torchPython();
      if (!python) return null;
      const config = 'depth=10&width=1&batch=8&epochs=1&train=64&test=16';
      const dir = path.join(scratch, 'py');
      const w10 = path.join(scratch, 'py-w10');
      const w16 = path.join(scratch, 'py-w16');
      await wrn(['export', config, '--out', dir]);
      await wrn(['train', config, '--backend', 'wasm', '--steps', '3', '--out', w10]);
      await wrn(['train', 'depth=16&width=1&batch=8&epochs=1&train=16&test=8', '--backend', 'wasm', '--steps', '1', '--out', w16]);
      return { python, dir, w10, w16, run: path.join(dir, 'train.py') };
    })());
  const weights = (
    name: string,
    w10: string,
    edit: (doc: { weightsManifest: { paths: string[]; weights: Record<string, unknown>[] }[] }) => void,
    bytes?: (b: Buffer) => Buffer,
  ) => {
    const folder = path.join(scratch, `pyw-${name}`);
    mkdirSync(folder, { recursive: true });
    const doc = JSON.parse(readFileSync(path.join(w10, 'model', 'model.json'), 'utf8'));
    edit(doc);
    writeFileSync(path.join(folder, 'model.json'), JSON.stringify(doc));
    const b = readFileSync(path.join(w10, 'model', 'weights.bin'));
    writeFileSync(path.join(folder, 'weights.bin'), bytes ? bytes(b) : b);
    return folder;
  };
  const configWith = (name: string, dir: string, change: Record<string, unknown>) => {
    const doc = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    Object.assign(doc.config, change);
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete doc.config[k];
    const file = path.join(scratch, `pyc-${name}.json`);
    writeFileSync(file, JSON.stringify(doc));
    return file;
  };
  type Env = NonNullable<Awaited<ReturnType<typeof prepare>>>;
  const pyCase = (name: string, args: (e: Env) => string[], check: (r: Ran, e: Env) => Outcome | null = () => null): Case => ({
    area: 'trainpy',
    name,
    run: async () => {
      const e = await prepare();
      if (!e) return { verdict: 'skipped', note: 'no Python with torch' };
      const r = await run([e.python, e.run, '--data', DATA, '--device', 'cpu', '--threads', '1', ...args(e)], { cwd: e.dir, timeoutMs: 120_000 });
      return check(r, e) ?? judge(r, [2], (x) => (x.stderr.trim().split('\n').length > 1 ? bad('wrong', 'more than one line') : null));
    },
  });
  const evalFrom = (f: string) => ['--init-from', f, '--eval-only'];
  return [
    pyCase('a weights.bin cut short', (e) =>
      evalFrom(
        weights(
          'short',
          e.w10,
          () => undefined,
          (b) => b.subarray(0, 1000),
        ),
      ),
    ),
    pyCase('a weights.bin twice too long', (e) =>
      evalFrom(
        weights(
          'long',
          e.w10,
          () => undefined,
          (b) => Buffer.concat([b, b]),
        ),
      ),
    ),
    pyCase("WRN-16-1's weights for WRN-10-1", (e) => evalFrom(e.w16)),
    pyCase('a manifest path ../../etc/passwd', (e) =>
      evalFrom(
        weights('up', e.w10, (d) => {
          d.weightsManifest[0]!.paths = ['../../../../etc/passwd'];
        }),
      ),
    ),
    pyCase('a manifest path /etc/hostname', (e) =>
      evalFrom(
        weights('abs', e.w10, (d) => {
          d.weightsManifest[0]!.paths = ['/etc/hostname'];
        }),
      ),
    ),
    pyCase('a model.json with no weightsManifest', (e) =>
      evalFrom(weights('nomanifest', e.w10, (d) => void delete (d as Partial<typeof d>).weightsManifest)),
    ),
    pyCase('a weight with no shape', (e) => evalFrom(weights('noshape', e.w10, (d) => void delete d.weightsManifest[0]!.weights[0]!['shape']))),
    pyCase('--config with width 0', (e) => ['--config', configWith('w0', e.dir, { width: 0 })]),
    pyCase('--config with no lr', (e) => ['--config', configWith('nolr', e.dir, { lr: undefined })]),
    pyCase('--config with lr "0.1"', (e) => ['--config', configWith('lrtext', e.dir, { lr: '0.1' })]),
    pyCase('--config with batch 0', (e) => ['--config', configWith('b0', e.dir, { batch: 0 })]),
    pyCase('--config with train -5', (e) => ['--config', configWith('tneg', e.dir, { train: -5 })]),
    pyCase('--config with depth 1000, width 64', (e) => ['--config', configWith('huge', e.dir, { depth: 1000, width: 64 })]),
    pyCase('--config that is not JSON', (e) => ['--config', e.run]),
    {
      area: 'trainpy',
      name: '--out onto a run',
      run: async () => {
        const e = await prepare();
        if (!e) return { verdict: 'skipped', note: 'no Python with torch' };
        const before = snapshot(e.w10);
        const r = await run([e.python, e.run, '--data', DATA, '--device', 'cpu', '--threads', '1', '--out', e.w10, '--steps', '1'], {
          cwd: e.dir,
          timeoutMs: 120_000,
        });
        return snapshot(e.w10) !== before ? bad('lost', `the run was changed (exit ${r.code})`) : judge(r, [2]);
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// The page's import paths (the core's readers, as the page calls them), each in a child process so a hang is seen

/** Runs one page case in a child that imports the checkout's core: `what` names it, `arg` is its input file. */
function pageChild(what: string, arg: string): Promise<Ran> {
  return run([process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', what, arg, '--repo', REPO], {
    cwd: SELF_REPO,
    timeoutMs: 30_000,
  });
}

/** In the child: runs a page case and prints what a person would see (the result or the error's message). */
async function childMain(what: string, arg: string): Promise<void> {
  const core = (file: string) => import(path.join(REPO, 'src/core', file));
  const say = (text: string) => process.stdout.write(`${text}\n`);
  try {
    switch (what) {
      case 'metrics': {
        const { decodeMetricsFile } = await core('metricsFile.ts');
        const runs = decodeMetricsFile(readFileSync(arg, 'utf8')) as { name: string; params: number; evals: { confusion: number[] }[] }[];
        say(
          JSON.stringify({
            runs: runs.length,
            first: runs[0]?.name.slice(0, 100),
            params: runs[0]?.params,
            confusion: runs[0]?.evals[0]?.confusion.slice(0, 3),
          }),
        );
        return;
      }
      case 'cost': {
        const { costOfName } = await core('cost.ts');
        say(JSON.stringify({ cost: costOfName(readFileSync(arg, 'utf8')) }));
        return;
      }
      case 'link': {
        const url = await core('url.ts');
        const { corrections } = url.decodeConfig(readFileSync(arg, 'utf8'));
        const lines: string[] = url.describeCorrections ? url.describeCorrections(corrections) : corrections.map(url.describeCorrection);
        say(JSON.stringify({ corrections: corrections.length }));
        say(lines.join('\n'));
        return;
      }
      case 'store': {
        const { CifarStore } = await import(path.join(REPO, 'server/cifarStore.ts'));
        const store = new CifarStore({ dir: arg, cacheDir: path.join(path.dirname(arg), 'cache'), url: '', md5: '', log: { write: () => true } });
        say(JSON.stringify(store.manifest()));
        return;
      }
    }
  } catch (err) {
    say(`error: ${(err as Error).message}`);
  }
}

function pageCases(): Case[] {
  const file = (name: string, text: string) => {
    const f = path.join(scratch, `page-${name}`);
    writeFileSync(f, text);
    return f;
  };
  const step = {
    kind: 'step',
    step: 1,
    epoch: 0.1,
    loss: 2.3,
    trainAccuracy: 0.1,
    lr: 0.1,
    imagesPerSec: 10,
    stepMs: 5,
    numTensors: 1,
    deviceBytes: 0,
    seconds: 1,
    flops: 1,
  };
  const line = (o: Record<string, unknown>) => JSON.stringify({ model: 'WRN-10-1', seed: 0, ...step, ...o });
  const evalLine = (confusion: unknown) =>
    JSON.stringify({
      model: 'WRN-10-1',
      seed: 0,
      kind: 'eval',
      step: 2,
      epoch: 1,
      testLoss: 2,
      testAccuracy: 0.1,
      testImages: 10,
      confusion,
      seconds: 1,
      flops: 1,
    });
  const header =
    'run,name,params,macs,kind,step,epoch,seconds,flops,loss,trainAccuracy,lr,imagesPerSec,stepMs,numTensors,deviceBytes,testLoss,testAccuracy,testImages,confusion';
  const csvRow = (stepCell: string) => `${header}\n0,WRN-10-1,1,1,step,${stepCell},0.1,1,1,2.3,0.1,0.1,1,1,1,1,,,,`;
  /** A page case: `input` is the file, `check` judges what the child printed (null: fine). */
  const pageCase = (name: string, what: string, input: () => string, check: (out: string) => Outcome | null): Case => ({
    area: 'page',
    name,
    run: async () => {
      const r = await pageChild(what, input());
      if (r.timedOut) return bad('hang', 'the main thread would be stuck');
      if (r.code !== 0) return bad('crash', r.stderr.slice(-300));
      return judgeText(r.stdout, 4000, true) ?? check(r.stdout) ?? ok();
    },
  });
  const refused = (pattern?: RegExp) => (out: string) =>
    out.startsWith('error: ') && (!pattern || pattern.test(out)) ? null : bad('wrong', `accepted: ${out.slice(0, 200)}`);
  const accepted = (out: string) => (out.startsWith('error: ') ? bad('wrong', out.slice(0, 200)) : null);
  return [
    pageCase(
      'metrics.jsonl: a model named WRN-6000000000004-1',
      'metrics',
      () => file('huge-depth.jsonl', line({ model: 'WRN-6000000000004-1' })),
      accepted,
    ),
    pageCase(
      'model.json named WRN-6000000000004-1 (its cost, for Open weights)',
      'cost',
      () => file('name.txt', 'WRN-6000000000004-1'),
      (out) => (out.includes('"cost":null') ? null : bad('wrong', out)),
    ),
    pageCase('metrics.jsonl: a 50 MB loss field', 'metrics', () => file('big-field.jsonl', line({ loss: 'x'.repeat(50_000_000) })), refused()),
    pageCase('metrics.jsonl: a 50 MB kind', 'metrics', () => file('big-kind.jsonl', line({ kind: 'k'.repeat(50_000_000) })), refused()),
    pageCase('metrics CSV: a 50 MB cell', 'metrics', () => file('big.csv', csvRow('y'.repeat(50_000_000))), refused()),
    pageCase('metrics CSV: step 0x10', 'metrics', () => file('hex.csv', csvRow('0x10')), refused(/not a number/)),
    pageCase('metrics CSV: step 0b1', 'metrics', () => file('bin.csv', csvRow('0b1')), refused(/not a number/)),
    pageCase('metrics.jsonl: confusion ["NaN","x"]', 'metrics', () => file('confusion.jsonl', evalLine(['NaN', 'x'])), refused(/confusion/)),
    pageCase('metrics.jsonl: confusion of -1s', 'metrics', () => file('confusion2.jsonl', evalLine(Array(100).fill(-1))), refused(/confusion/)),
    pageCase(
      'metrics.jsonl: a million distinct model names',
      'metrics',
      () => file('names.jsonl', Array.from({ length: 1_000_000 }, (_, i) => line({ model: `m${i}` })).join('\n')),
      refused(/runs/),
    ),
    pageCase('metrics.jsonl: escape sequences in a field', 'metrics', () => file('esc.jsonl', line({ loss: '\u001b]0;pwned\u0007\u001b[2J' })), refused()),
    pageCase(
      'metrics.jsonl: a line that is not JSON, with controls',
      'metrics',
      () => file('notjson.jsonl', `{"model":"WRN-10-1","kind":"step","loss":\u001b[2J`),
      refused(),
    ),
    pageCase('metrics: an empty file', 'metrics', () => file('empty.jsonl', ''), refused()),
    pageCase('metrics: a BOM and CRLF lines', 'metrics', () => file('bom.jsonl', `\uFEFF${line({})}\r\n${line({ step: 2 })}\r\n`), accepted),
    pageCase(
      'metrics JSON: runs is not a list',
      'metrics',
      () => file('runs.json', '{"format":"wrn-playground-metrics","version":1,"runs":"x"}'),
      refused(),
    ),
    pageCase('metrics CSV: an unclosed quote', 'metrics', () => file('quote.csv', `${header}\n"0,WRN`), refused()),
    pageCase(
      'metrics: JSON nested 100,000 deep',
      'metrics',
      () => file('deep.jsonl', `{"model":"a","kind":"step","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
      refused(),
    ),
    pageCase(
      'link: a 1 MB compare list',
      'link',
      () => file('compare.txt', `compare=${Array(200_000).fill('16-4').join(',')}`),
      (out) => {
        const n = JSON.parse(out.split('\n')[0]!).corrections as number;
        return n > 100 || out.split('\n').length > 30 ? bad('unsafe', `${n.toLocaleString('en')} corrections listed`) : null;
      },
    ),
    pageCase(
      'link: escape sequences',
      'link',
      () => file('esc.txt', 'depth=%1B]0;pwned%07%1B[2J'),
      () => null,
    ),
    pageCase(
      'link: a compare item of 120,000 characters',
      'link',
      () => file('item.txt', `compare=${'x'.repeat(120_000)}`),
      () => null,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// The pass

async function main(): Promise<void> {
  const wanted = (argValue('--areas')?.split(',') as Area[] | undefined) ?? AREAS;
  const match = argValue('--match');
  const all = [...cliCases(), ...serverCases(), ...trainPyCases(), ...pageCases()].filter(
    (c) => wanted.includes(c.area) && (!match || c.name.includes(match) || c.name.endsWith('(stopped)')),
  );
  const results: { area: Area; name: string; verdict: Verdict; note?: string }[] = [];
  process.stderr.write(`hostile pass over ${REPO}: ${all.length} inputs\n`);
  for (const c of all) {
    let outcome: Outcome;
    try {
      outcome = await c.run();
    } catch (err) {
      outcome = bad('crash', `the pass itself failed: ${(err as Error).message}`);
    }
    if (c.name.endsWith('(stopped)')) continue;
    results.push({ area: c.area, name: c.name, ...outcome });
    process.stderr.write(
      `${outcome.verdict.padEnd(7)} ${c.area.padEnd(7)} ${c.name}${outcome.note ? ` -- ${outcome.note.replace(/\s+/g, ' ').slice(0, 160)}` : ''}\n`,
    );
  }
  const verdicts: Verdict[] = ['ok', 'lost', 'crash', 'hang', 'unsafe', 'wrong', 'skipped'];
  const lines = [
    '| area | inputs | handled well | lost | crash | hang | unsafe output | wrong answer | skipped |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const area of [...wanted, 'all' as const]) {
    const rows = results.filter((r) => area === 'all' || r.area === area);
    const count = (v: Verdict) => rows.filter((r) => r.verdict === v).length;
    lines.push(`| ${area} | ${rows.length} | ${verdicts.map(count).join(' | ')} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  const json = argValue('--json');
  if (json) writeFileSync(json, JSON.stringify({ repo: REPO, results }, null, 2));
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  const header = /\/\*\*\n([\s\S]*?)\n \*\//.exec(source)?.[1] ?? '';
  process.stdout.write(`${header.replace(/^ \* ?/gm, '')}\n`);
} else if (process.argv.includes('--child')) {
  const i = process.argv.indexOf('--child');
  try {
    await childMain(process.argv[i + 1]!, process.argv[i + 2]!);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
} else {
  try {
    await main();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
