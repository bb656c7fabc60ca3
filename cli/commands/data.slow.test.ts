import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_DIR, TEST_PER_CLASS, TEST_RECORDS, TRAIN_PER_CLASS, TRAIN_RECORDS, sharedBytes, sharedTarGz } from '../../test/fixtures/data';
import { REPO_ROOT, listCifarFiles, loadCifarFromPath } from '../../src/node/localData';
import { summarizeCifar } from './data';

const scratch = mkdtempSync(path.join(tmpdir(), 'wrn-data-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `npm run -s wrn -- data <target>` (without npm's start-up cost); `env` replaces the environment. */
function cli(...args: string[]) {
  return cliIn(process.env, 'data', ...args);
}
function cliIn(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), [path.join(REPO_ROOT, 'cli/main.ts'), ...args], { encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const withoutData = () => {
  const env = { ...process.env };
  delete env['CIFAR10_DIR'];
  return env;
};

describe('wrn data', () => {
  it('counts the real train subset: every record, by class', async () => {
    const s = await summarizeCifar(path.join(DATA_DIR, 'train_subset.bin'));
    expect(s.records).toBe(TRAIN_RECORDS);
    expect(s.perClass).toEqual(TRAIN_PER_CLASS);
    expect(s.files).toEqual([{ name: 'train_subset.bin', split: 'train', records: TRAIN_RECORDS, perClass: TRAIN_PER_CLASS }]);
  });

  it('counts a folder by split, and the same data as a tar.gz', async () => {
    const folder = await summarizeCifar(DATA_DIR);
    expect(folder.train).toEqual({ records: TRAIN_RECORDS, perClass: TRAIN_PER_CLASS });
    expect(folder.test).toEqual({ records: TEST_RECORDS, perClass: TEST_PER_CLASS });
    expect(folder.records).toBe(TRAIN_RECORDS + TEST_RECORDS);
    const tgz = path.join(scratch, 'cifar-10-binary.tar.gz');
    writeFileSync(tgz, await sharedTarGz());
    const archive = await summarizeCifar(tgz);
    expect(archive.train).toEqual(folder.train);
    expect(archive.test).toEqual(folder.test);
    expect(archive.files.map((f) => f.name)).toEqual([
      'cifar-10-binary.tar.gz: cifar-10-batches-bin/train_subset.bin',
      'cifar-10-binary.tar.gz: cifar-10-batches-bin/test_subset.bin',
    ]);
  });

  it('prints one JSON object on stdout and exits 0', () => {
    const r = cli(path.join(DATA_DIR, 'train_subset.bin'));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { records: number; perClass: number[] };
    expect(out.records).toBe(TRAIN_RECORDS);
    expect(out.perClass).toEqual(TRAIN_PER_CLASS);
  });

  it('without a path or CIFAR10_DIR, counts the built-in sample and says so on stderr', () => {
    const r = cliIn(withoutData(), 'data');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^data: no --data and no CIFAR10_DIR: using the built-in sample/);
    const out = JSON.parse(r.stdout) as { records: number; train: { perClass: number[] }; test: { perClass: number[] } };
    expect(out.records).toBe(3000);
    expect(out.train.perClass).toEqual(new Array(10).fill(200));
    expect(out.test.perClass).toEqual(new Array(10).fill(100));
  });

  it('every command answers --help (and `help <command>`) with its flags and an example, exit 0', () => {
    for (const [command, flag] of [
      ['data', 'file-or-folder'],
      ['train', '--data'],
      ['info', 'config'],
      ['bench', '--nets'],
      ['export', '--out'],
    ] as const) {
      const r = cliIn(process.env, command, '--help');
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toMatch(new RegExp(`^usage: npm run .*${command === 'bench' ? 'bench' : `wrn -- ${command}`}`));
      expect(r.stdout, command).toContain(flag);
      expect(r.stdout, command).toMatch(/example/);
    }
    expect(cliIn(process.env, 'help', 'train').stdout).toBe(cliIn(process.env, 'train', '-h').stdout);
    const top = cliIn(process.env);
    expect(top.code).toBe(0);
    expect(top.stderr).toMatch(/--help/);
  });

  it('exits 1 with a one-line error for bad data', () => {
    const bad = path.join(scratch, 'data_batch_1.bin');
    const bytes = sharedBytes('train_subset.bin').slice(0, 3073 * 3);
    bytes[3073] = 12;
    writeFileSync(bad, bytes);
    const r = cli(bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: data_batch_1.bin: record 1 (byte 3073) has label 12; CIFAR-10 labels are 0..9\n');
    const missing = cli(path.join(scratch, 'nothing-here'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: .*nothing-here: no such file or directory\n$/);
  });
});

describe('local data helpers', () => {
  it('lists .bin files in natural order, else archives, else the official subfolder', () => {
    const dir = mkdtempSync(path.join(scratch, 'list-'));
    const sub = path.join(dir, 'cifar-10-batches-bin');
    writeFileSync(path.join(dir, 'readme.txt'), 'x');
    expect(() => listCifarFiles(dir)).toThrow(/no CIFAR-10 files here/);
    mkdirSync(sub);
    for (const f of ['data_batch_10.bin', 'test_batch.bin', 'data_batch_2.bin']) writeFileSync(path.join(sub, f), '');
    expect(listCifarFiles(dir).map((f) => path.basename(f))).toEqual(['data_batch_2.bin', 'data_batch_10.bin', 'test_batch.bin']);
  });

  it('loadCifarFromPath fills both splits from a folder, and fails both for a missing one', async () => {
    const load = loadCifarFromPath(DATA_DIR, { train: 500, test: 200, subset: 'balanced' });
    await load.done;
    expect(load.train.perClass).toEqual(new Array(10).fill(50));
    expect(load.test.perClass).toEqual(new Array(10).fill(20));
    const missing = loadCifarFromPath(path.join(scratch, 'nope'), { train: 10, test: 10, subset: 'first' });
    await expect(missing.done).rejects.toThrow(/nope: no such file or directory/);
    await expect(missing.train.waitFor(1)).rejects.toThrow(/no such file/);
  });
});
