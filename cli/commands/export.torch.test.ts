/**
 * The exported train.py against `wrn train` on the same short recipe:
 * weights trained by tfjs evaluate to the same test accuracy in PyTorch (same arithmetic, same BN statistics), and
 * PyTorch trained from scratch on the same subset lands within 3 points of tfjs (the figures measured: README,
 * "Training on a GPU machine").
 * Needs a Python that imports torch (src/node/torchPython.ts): skipped without one, unless CI=true (then it fails).
 * `wrn export` itself is export.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
