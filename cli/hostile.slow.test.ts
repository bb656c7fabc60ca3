/**
 * The CLI against the inputs a hostile (or unlucky) person gives it: another run's checkpoint in a run folder, a
 * config.json edited by hand, a damaged checkpoint, SIGTERM and SIGHUP, two runs on one folder at once, an export
 * onto a run, a net too big for its backend, control characters, a config too long for a command line, a named pipe
 * nobody writes, a symlink loop in a data folder. Nothing is lost, nothing hangs, and what is said is short and safe
 * for a terminal.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateTrainingBytes } from '../src/core/cost';
import { hasControls } from '../src/core/echo';
import { DATA_DIR, makeTarGz, sharedBytes, TEST_RECORDS, TRAIN_RECORDS } from '../test/fixtures/data';
import { CifarStore } from '../server/cifarStore';
import { cli, kill, killAll, start, stepLines, until } from './cliHarness';

const scratch = mkdtempSync(path.join(tmpdir(), 'wrn-hostile-'));
afterAll(() => {
  killAll();
  rmSync(scratch, { recursive: true, force: true });
});

/** A quick run on WASM with a checkpoint at step 3 (an evaluation) and a stop at step 6. */
const RUN = 'depth=10&width=1&batch=8&epochs=2&train=64&test=16&schedule=constant&backend=wasm&eval=3';

/** Every file of a folder (recursively) and its bytes, to see that nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out[path.relative(dir, path.join(e.parentPath, e.name))] = readFileSync(path.join(e.parentPath, e.name)).toString('base64');
  }
  return out;
}

function editJson(file: string, edit: (doc: { url: string; config: Record<string, unknown> }) => void): void {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { url: string; config: Record<string, unknown> };
  edit(doc);
  writeFileSync(file, JSON.stringify(doc, null, 2));
}

describe('train --resume checks the whole folder before it changes anything', () => {
  const five = path.join(scratch, 'seed5');
  const six = path.join(scratch, 'seed6');
  beforeAll(async () => {
    const runs = await Promise.all([five, six].map((out, i) => cli(['train', `${RUN}&seed=${5 + i}`, '--out', out, '--steps', '6'])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
  }, 240_000);

  /** Resumes `dir`, expecting a refusal (exit 2) that matches `message` and leaves every file as it was. */
  async function refused(dir: string, message: RegExp): Promise<string> {
    const before = snapshot(dir);
    const r = await cli(['train', '--resume', dir]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1); // one line, said before any backend or data
    expect(r.stdout).toBe('');
    expect(snapshot(dir)).toEqual(before);
    return r.stderr;
  }

  it("refuses another seed's checkpoint of the same net, a config.json edited by hand, a damaged checkpoint and a folder without one", async () => {
    const own = readFileSync(path.join(five, 'checkpoint.bin'));
    const config = readFileSync(path.join(five, 'config.json'));
    copyFileSync(path.join(six, 'checkpoint.bin'), path.join(five, 'checkpoint.bin'));
    await refused(five, /checkpoint\.bin does not belong to this run: the checkpoint is of another config: seed: 6 in the checkpoint, 5 in this run/);

    // The link edited, the config object not: the folder disagrees with itself.
    writeFileSync(path.join(five, 'checkpoint.bin'), own);
    editJson(path.join(five, 'config.json'), (d) => void (d.url = d.url.replace('seed=5', 'seed=6')));
    await refused(five, /config\.json disagrees with itself: seed: 5 in its "config", 6 in its "url"/);

    // Both edited to match seed 6's checkpoint: metrics.jsonl still says whose run the folder holds.
    editJson(path.join(five, 'config.json'), (d) => void (d.config['seed'] = 6));
    copyFileSync(path.join(six, 'checkpoint.bin'), path.join(five, 'checkpoint.bin'));
    await refused(five, /metrics\.jsonl holds WRN-10-1 with seed 5 as model 0, .* WRN-10-1 with seed 6 there: the folder mixes two runs/);

    writeFileSync(path.join(five, 'config.json'), config);
    const damaged = Buffer.from(own);
    damaged[damaged.length >> 1]! ^= 0x04;
    writeFileSync(path.join(five, 'checkpoint.bin'), damaged);
    await refused(five, /checkpoint\.bin: the checkpoint file is damaged: its checksum does not match/);

    rmSync(path.join(five, 'checkpoint.bin'));
    await refused(five, /has no checkpoint\.bin: the run ended before its first checkpoint .* nothing to go on from/);

    // Put back whole, the run goes on.
    writeFileSync(path.join(five, 'checkpoint.bin'), own);
    const r = await cli(['train', '--resume', five, '--steps', '8']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resuming WRN-10-1 at step 3/);
  }, 240_000);
});

describe('SIGTERM and SIGHUP', () => {
  const LONG = 'depth=10&width=1&batch=8&epochs=1&train=2000&test=16&backend=wasm&schedule=constant';

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} stops after the current step, keeps the checkpoint and weights, exits ${code}${signal === 'SIGTERM' ? ', and the run resumes' : ''}`, async () => {
      const out = path.join(scratch, signal);
      const r = start(['train', LONG, '--out', out]);
      await until(() => stepLines(r.stdout()) >= 3, 240_000, 'training steps');
      kill(r.child, signal, false); // what `timeout`, `kill` and schedulers do: the one process
      expect(await r.exited, r.stderr()).toBe(code);
      expect(r.stderr()).toMatch(new RegExp(`${signal}: stopping after the current step, then saving`));
      const summary = JSON.parse(r.stdout().trim().split('\n').at(-1)!) as { kind: string; status: string; steps: number };
      expect(summary).toMatchObject({ kind: 'summary', status: 'stopped' });
      expect(existsSync(path.join(out, 'checkpoint.bin'))).toBe(true);
      expect(existsSync(path.join(out, 'model', 'weights.bin'))).toBe(true);
      expect(existsSync(path.join(out, '.wrn-train.lock'))).toBe(false);
      if (signal === 'SIGHUP') return;
      const resumed = await cli(['train', '--resume', out, '--steps', String(summary.steps + 2)]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(new RegExp(`resuming WRN-10-1 at step ${summary.steps}`));
    }, 300_000);
  }
});

describe('one run per folder', () => {
  it('of two train --out on one folder, both past their checks before either writes, one trains and the other is refused', async () => {
    const out = path.join(scratch, 'together');
    // Each reads its data from a named pipe, so that it waits there, checked but not yet writing, until fed.
    const data = await makeTarGz([
      { name: 'data_batch_1.bin', bytes: sharedBytes('train_subset.bin').subarray(0, 64 * 3073) },
      { name: 'test_batch.bin', bytes: sharedBytes('test_subset.bin').subarray(0, 16 * 3073) },
    ]);
    const pipes = [1, 2].map((i) => path.join(scratch, `together-${i}.tar.gz`));
    for (const p of pipes) execFileSync('mkfifo', [p]);
    const first = start(['train', `${RUN}&seed=1`, '--out', out, '--steps', '2', '--data', pipes[0]!]);
    await until(() => /^backend: /m.test(first.stderr()), 60_000, 'the first run past its checks');
    const second = start(['train', `${RUN}&seed=2`, '--out', out, '--steps', '2', '--data', pipes[1]!]);
    // The second is refused at once, or (without a lock) gets past its checks too and waits for its data.
    await until(() => second.child.exitCode !== null || /^backend: /m.test(second.stderr()), 60_000, 'the second run refused or past its checks');
    // Fed only while its run reads it (a pipe nobody reads would block the writer).
    const readers = [first, second].filter((r) => r.child.exitCode === null);
    await Promise.all(readers.map((r) => writeFile(pipes[r === first ? 0 : 1]!, data)));
    const codes = await Promise.all([first.exited, second.exited]);
    expect(codes, second.stderr()).toEqual([0, 2]);
    expect(second.stderr()).toMatch(/in use by another wrn train \(pid \d+/);
    expect(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toBe(first.stdout());
    expect(readdirSync(out)).not.toContain('.wrn-train.lock');
  }, 240_000);

  it('export refuses a folder that holds a run unless --overwrite, and writes over an earlier export', async () => {
    const run = path.join(scratch, 'a-run');
    expect((await cli(['train', RUN, '--out', run, '--steps', '3'])).code).toBe(0);
    const before = snapshot(run);
    const refused = await cli(['export', 'depth=16&width=4', '--out', run]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/holds a run \(.*metrics\.jsonl.*\); pass --overwrite/);
    expect(snapshot(run)).toEqual(before);

    const exported = path.join(scratch, 'an-export');
    for (const config of ['depth=16&width=4', 'depth=16&width=8']) expect((await cli(['export', config, '--out', exported])).code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(exported, 'config.json'), 'utf8')).config.width).toBe(8);

    const replaced = await cli(['export', 'depth=16&width=4', '--out', run, '--overwrite']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(readdirSync(run).sort()).toEqual(['config.json', 'train.py']);
  }, 240_000);
});

describe('a net too big for its backend', () => {
  it('is refused before the data loads, with the estimate, the backend’s room and a batch that fits; info reports the estimate', async () => {
    const r = await cli(['train', 'depth=16&width=8&batch=512&train=2000&backend=wasm', '--steps', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /error: WRN-16-8 at batch 512 needs about \d+ GiB to train .* more than the WASM backend's 4 GiB memory\. At batch \d+ it needs about .*: try batch=\d+/,
    );
    expect(r.stderr).not.toMatch(/^data: \d+ train/m);
    const fits = Number(/try batch=(\d+)/.exec(r.stderr)![1]);
    expect(estimateTrainingBytes({ depth: 16, width: 8, dropout: 0 }, fits)).toBeLessThanOrEqual(4 * 2 ** 30);
    expect(estimateTrainingBytes({ depth: 16, width: 8, dropout: 0 }, fits + 1)).toBeGreaterThan(4 * 2 ** 30);

    const info = await cli(['info', 'depth=16&width=8&batch=512']);
    expect(JSON.parse(info.stdout)).toMatchObject({ batch: 512, trainingBytes: estimateTrainingBytes({ depth: 16, width: 8, dropout: 0 }, 512) });
  }, 120_000);
});

describe('what reaches the terminal', () => {
  it('escapes control characters from input: no retitled window, no cleared screen', async () => {
    const r = await cli(['info', 'depth=%1B]0;pwned%07%1B[2J']);
    expect(r.code).toBe(2);
    expect(hasControls(r.stderr.replaceAll('\n', ''))).toBe(false);
    expect(r.stderr).toContain('depth=\\x1b]0;pwned\\x07\\x1b[2J');
    // A C1 control (CSI) in a folder name: JSON on stdout carries it as an escape, and reads back the same.
    const out = path.join(scratch, 'csi\u009b2J');
    const e = await cli(['export', 'depth=10&width=1', '--out', out]);
    expect(e.code, e.stderr).toBe(0);
    expect(hasControls(e.stdout.replaceAll('\n', ''))).toBe(false);
    expect(JSON.parse(e.stdout).trainPy).toBe(path.join(out, 'train.py'));
    expect(hasControls(e.stderr.replaceAll('\n', ''))).toBe(false);
  }, 120_000);

  it('reads a config too long for a command line from a file or stdin, and says its corrections in a few lines', async () => {
    const long = `depth=10&width=1&${Array.from({ length: 30_000 }, (_, i) => `k${i}=1`).join('&')}`;
    expect(long.length).toBeGreaterThan(200 * 1024);
    const file = path.join(scratch, 'long.txt');
    writeFileSync(file, long);
    for (const [args, stdin] of [
      [['info', '--config-file', file, '--lenient'], undefined],
      [['info', '-', '--lenient'], long],
      [['info', '--config-file', '-', '--lenient'], long],
    ] as const) {
      const r = await cli([...args], stdin === undefined ? {} : { stdin });
      expect(r.code, r.stderr.slice(0, 500)).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ name: 'WRN-10-1' });
      expect(r.stderr.split('\n').length).toBeLessThan(16);
      expect(r.stderr).toMatch(/29,988 more like this: unknown key, ignored/);
    }
    const strict = await cli(['info', '--config-file', file]);
    expect(strict.code).toBe(2);
    const missing = await cli(['info', '--config-file', path.join(scratch, 'nope.txt')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the config from .*nope\.txt: no such file/);
  }, 120_000);
});

describe('data that never comes, or loops', () => {
  it('a named pipe nobody writes: one line says it waits, and SIGTERM still ends it', async () => {
    const fifo = path.join(scratch, 'waiting.bin');
    execFileSync('mkfifo', [fifo]);
    const r = start(['data', fifo]);
    await until(() => /waiting for data/.test(r.stderr()), 30_000, 'the waiting line');
    expect(r.stderr()).toMatch(/^data: waiting\.bin is a named pipe that nothing has written to yet: waiting for data \(Ctrl-C to stop\)$/m);
    kill(r.child, 'SIGTERM', false);
    expect(await r.exited).not.toBe(0);
  }, 60_000);

  it('skips a symlink loop in a data folder with a warning that names no absolute path (CLI and server)', async () => {
    const dir = path.join(scratch, 'loop');
    mkdirSync(dir);
    for (const f of ['train_subset.bin', 'test_subset.bin']) symlinkSync(path.join(DATA_DIR, f), path.join(dir, f));
    symlinkSync('b.bin', path.join(dir, 'a.bin'));
    symlinkSync('a.bin', path.join(dir, 'b.bin'));
    const r = await cli(['data', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ records: TRAIN_RECORDS + TEST_RECORDS });
    expect(r.stderr).toMatch(/^warning: a\.bin: a symlink loop .*; skipped$/m);
    expect(r.stderr).not.toContain(scratch);

    const log: string[] = [];
    const store = new CifarStore({
      dir,
      cacheDir: path.join(scratch, 'cache'),
      url: '',
      md5: '',
      log: { write: (t: string) => log.push(t), isTTY: false },
    });
    expect(store.status()).toMatchObject({ status: 'ready', error: null });
    store.status(); // listed again: warned once
    expect(store.manifest().files.map((f) => f.name)).toEqual(['test_subset.bin', 'train_subset.bin']);
    expect(log.filter((l) => /a\.bin: a symlink loop/.test(l))).toHaveLength(1);
    expect(log.join('')).not.toContain(scratch);
  }, 120_000);
});
