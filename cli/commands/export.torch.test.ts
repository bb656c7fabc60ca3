/**
 * The exported train.py against `wrn train` on the same short recipe:
 * weights trained by tfjs evaluate to the same test accuracy in PyTorch (same arithmetic, same BN statistics), and
 * PyTorch trained from scratch on the same subset lands within 3 points of tfjs (the figures measured: README,
 * "Training on a GPU machine").
 * Needs a Python that imports torch (src/node/torchPython.ts): skipped without one, unless CI=true (then it fails).
 * `wrn export` itself is export.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { estimateTrainingBytes } from '../../src/core/cost';
import { DATA_DIR, TEST_RECORDS } from '../../test/fixtures/data';
import { REPO_ROOT } from '../../src/node/localData';
import { needTorch } from '../../test/fixtures/requirements';

const scratch = mkdtempSync(path.join(tmpdir(), 'wrn-export-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const torch = await needTorch();

function exec(cmd: string[], cwd = REPO_ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { cwd, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const wrn = (...args: string[]) => exec([path.join(REPO_ROOT, 'node_modules/.bin/tsx'), path.join(REPO_ROOT, 'cli/main.ts'), ...args]);
const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe.skipIf(!torch)('train.py next to wrn train, on the same recipe and subset', () => {
  it('evaluates the tfjs weights to the same accuracy (0.2 points), and learns to within 3 points of tfjs', async () => {
    const python = torch!.python;
    // The README's recipe (WRN-10-1, batch 32, lr 0.05, Nesterov, wd 5e-4, flip + crop), 2 epochs over 4,000 images.
    const config = 'depth=10&width=1&batch=32&epochs=2&lr=0.05&train=4000&test=2000&seed=0';
    const tfjsOut = path.join(scratch, 'tfjs');
    const exported = path.join(scratch, 'py');
    const [tfjs, exp] = await Promise.all([
      wrn('train', config, '--backend', 'wasm', '--data', DATA_DIR, '--out', tfjsOut),
      wrn('export', config, '--out', exported),
    ]);
    expect(tfjs.code, tfjs.stderr).toBe(0);
    expect(exp.code, exp.stderr).toBe(0);
    const tfjsAccuracy = lines(tfjs.stdout).find((l) => l['kind'] === 'summary')!['testAccuracy'] as number;

    const script = path.join(exported, 'train.py');
    const common = ['--data', DATA_DIR, '--threads', '1', '--device', 'cpu'];
    const evalOnly = await exec([python, script, ...common, '--init-from', tfjsOut, '--eval-only'], exported);
    expect(evalOnly.code, evalOnly.stderr).toBe(0);
    const evaluated = JSON.parse(evalOnly.stdout) as { testAccuracy: number; testLoss: number; testImages: number };
    expect(evaluated.testImages).toBe(Math.min(2000, TEST_RECORDS)); // 1,000 on the built-in sample

    const trained = await exec([python, script, ...common, '--out', path.join(scratch, 'py-run')], exported);
    expect(trained.code, trained.stderr).toBe(0);
    const torchAccuracy = lines(trained.stdout).find((l) => l['kind'] === 'summary')!['testAccuracy'] as number;
    console.info(
      `parity: tfjs ${tfjsAccuracy}; its weights in PyTorch ${evaluated.testAccuracy} (loss ${evaluated.testLoss}); PyTorch trained ${torchAccuracy}`,
    );
    expect(tfjsAccuracy).toBeGreaterThan(0.3); // it learned: chance is 10%
    expect(Math.abs(evaluated.testAccuracy - tfjsAccuracy)).toBeLessThanOrEqual(0.002);
    expect(torchAccuracy).toBeGreaterThan(0.3);
    expect(Math.abs(torchAccuracy - tfjsAccuracy)).toBeLessThanOrEqual(0.03);
  }, 900_000);
});

describe("train.py's own checks", () => {
  it.skipIf(!torch)(
    'refuses bad configs, weights that do not fit or lie outside their folder, a run folder, and a net too big, with one line and exit 2',
    async () => {
      const python = torch!.python;
      const config = 'depth=10&width=1&batch=8&epochs=1&train=64&test=16';
      const dir = path.join(scratch, 'hostile');
      const w10 = path.join(scratch, 'w10');
      const w16 = path.join(scratch, 'w16');
      const made = await Promise.all([
        wrn('export', config, '--out', dir),
        wrn('train', config, '--backend', 'wasm', '--data', DATA_DIR, '--steps', '1', '--out', w10),
        wrn('train', 'depth=16&width=1&batch=8&epochs=1&train=16&test=8', '--backend', 'wasm', '--data', DATA_DIR, '--steps', '1', '--out', w16),
      ]);
      for (const r of made) expect(r.code, r.stderr).toBe(0);
      const modelJson = JSON.parse(readFileSync(path.join(w10, 'model', 'model.json'), 'utf8'));
      const weights = readFileSync(path.join(w10, 'model', 'weights.bin'));
      /** A weights folder: model.json edited by `edit`, and `bytes` as weights.bin. */
      const weightsFolder = (name: string, edit: (doc: typeof modelJson) => void, bytes: Uint8Array = weights) => {
        const folder = path.join(scratch, name);
        mkdirSync(folder, { recursive: true });
        const doc = structuredClone(modelJson);
        edit(doc);
        writeFileSync(path.join(folder, 'model.json'), JSON.stringify(doc));
        writeFileSync(path.join(folder, 'weights.bin'), bytes);
        return folder;
      };
      /** A config.json with the config's fields changed (a field set to undefined is removed). */
      const configFile = (name: string, change: Record<string, unknown>) => {
        const doc = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
        Object.assign(doc.config, change);
        const file = path.join(scratch, `${name}.json`);
        writeFileSync(file, JSON.stringify(doc));
        return file;
      };
      const evalFrom = (folder: string) => ['--init-from', folder, '--eval-only'];
      const cases: [string, string[], RegExp][] = [
        [
          'a short weights.bin',
          evalFrom(weightsFolder('short', () => undefined, weights.subarray(0, 1000))),
          /hold 1,000 bytes; model\.json's manifest needs more/,
        ],
        ['a long weights.bin', evalFrom(weightsFolder('long', () => undefined, Buffer.concat([weights, weights]))), /manifest needs 313,320/],
        [
          'a path out of the folder',
          evalFrom(weightsFolder('up', (d) => (d.weightsManifest[0].paths = ['../../../../etc/hostname']))),
          /outside its folder/,
        ],
        ['an absolute path', evalFrom(weightsFolder('abs', (d) => (d.weightsManifest[0].paths = ['/etc/hostname']))), /a file beside it is expected/],
        ['no weightsManifest', evalFrom(weightsFolder('nomanifest', (d) => delete d.weightsManifest)), /has no weightsManifest/],
        ['a weight with no shape', evalFrom(weightsFolder('noshape', (d) => delete d.weightsManifest[0].weights[0].shape)), /no name or no shape/],
        [
          "WRN-16-1's weights for WRN-10-1",
          evalFrom(w16),
          /does not hold this config's WRN-10-1 \(model\.json says "WRN-16-1"\): 30 weights this net does not have/,
        ],
        ['width 0', ['--config', configFile('w0', { width: 0 })], /width is 0: outside 1\.\.16/],
        ['no lr', ['--config', configFile('nolr', { lr: undefined })], /lr is missing/],
        ['lr as text', ['--config', configFile('lrtext', { lr: '0.1' })], /lr is "0\.1", not a number/],
        ['batch 0', ['--config', configFile('b0', { batch: 0 })], /batch is 0: outside 1\.\.512/],
        ['train -5', ['--config', configFile('tneg', { train: -5 })], /train is -5: outside 1\.\.50000/],
        ['depth 1000', ['--config', configFile('d1000', { depth: 1000, width: 64 })], /depth is 1000: outside 10\.\.100/],
        ['depth 11', ['--config', configFile('d11', { depth: 11 })], /depth is 11: depth must be 6N\+4/],
        ['a config that is not JSON', ['--config', path.join(dir, 'train.py')], /^error: --config .*train\.py/],
        ['--out onto a run', ['--out', w10], /holds a run \(.*metrics\.jsonl.*\); pass --overwrite/],
      ];
      const big = { depth: 100, width: 16, batch: 512, train: 512 };
      if (estimateTrainingBytes({ ...big, dropout: 0 }, 512) > totalmem()) {
        cases.push([
          'a net bigger than the machine',
          ['--config', configFile('big', big)],
          /WRN-100-16 at batch 512 needs about \d+\.\d GiB .* more than this machine's/,
        ]);
      }
      const before = readFileSync(path.join(w10, 'metrics.jsonl'), 'utf8');
      const script = path.join(dir, 'train.py');
      // A few at a time: each is mostly Python importing torch.
      for (let i = 0; i < cases.length; i += 4) {
        const results = await Promise.all(
          cases.slice(i, i + 4).map(([, args]) => exec([python, script, '--data', DATA_DIR, '--device', 'cpu', '--threads', '1', ...args], dir)),
        );
        results.forEach((r, j) => {
          const [what, , message] = cases[i + j]!;
          expect(r.code, `${what}: ${r.stderr}`).toBe(2);
          expect(r.stderr.trim().split('\n'), what).toHaveLength(1);
          expect(r.stderr, what).toMatch(message);
          expect(r.stdout, what).toBe('');
        });
      }
      expect(readFileSync(path.join(w10, 'metrics.jsonl'), 'utf8')).toBe(before); // the refused --out left the run as it was
    },
    600_000,
  );
});
