/**
 * The PyTorch round trip in the page: "Export as PyTorch" downloads train.py + config.json; a run of that script
 * under torchrun (2 ranks, DDP on gloo, the CPU) gives a metrics.jsonl that "Import metrics" draws next to a browser
 * run, and weights that "Open weights" evaluates on the same test images to the same accuracy.
 * Needs a Python that imports torch (src/node/torchPython.ts): skipped without one, unless CI=true (then it fails).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { DATA_DIR } from '../test/fixtures/data';
import { localTorchrun } from '../src/node/torchPython';
import { needTorch } from '../test/fixtures/requirements';
import { decodeConfig } from '../src/core/url';
import { exportPytorch } from '../src/core/export/pytorch';
import { collectConsoleErrors } from './helpers';

/** The shared CIFAR-10 subsets where they are, else the built-in sample decoded to .bin files (a fresh clone). */
const CIFAR_DIR = DATA_DIR;
/** The browser run: WRN-10-1, 8 steps of 8 images, 50 test images (the machine's emulated backends are slow). */
const TINY = 'depth=10&width=1&batch=8&epochs=1&train=64&test=50&lr=0.05&schedule=constant&backend=auto';
/** The PyTorch run: the same net and test images, 16 steps of 16 (8 per rank). */
const TORCH = 'depth=10&width=1&batch=16&epochs=1&train=256&test=50&lr=0.05&seed=2';

const button = (page: import('@playwright/test').Page, name: string) => page.getByRole('button', { name, exact: true });

test.describe('PyTorch export, torchrun runs and their results in the page', () => {
  test.slow();

  test('Export as PyTorch downloads train.py and config.json for the config in the link', async ({ page }, testInfo) => {
    await page.goto('/#depth=28&width=10&epochs=200&train=50000&test=10000');
    const downloads: { name: string; text: string }[] = [];
    page.on('download', async (d) => {
      const file = testInfo.outputPath(d.suggestedFilename());
      await d.saveAs(file);
      downloads.push({ name: d.suggestedFilename(), text: readFileSync(file, 'utf8') });
    });
    await button(page, 'Export as PyTorch').click();
    await expect.poll(() => downloads.map((d) => d.name).sort()).toEqual(['config.json', 'train.py']);
    const config = JSON.parse(downloads.find((d) => d.name === 'config.json')!.text);
    expect(config.config).toMatchObject({ depth: 28, width: 10, epochs: 200, train: 50000, test: 10000 });
    expect(downloads.find((d) => d.name === 'train.py')!.text).toContain(`"url": "${config.url}"`);
    await expect(page.getByTestId('export-import-note')).toContainText('Saved train.py and config.json');
  });

  test('a torchrun DDP run: its metrics.jsonl plots next to a browser run, and the page evaluates its weights', async ({ page }, testInfo) => {
    // a missing torch skips this test (and says so), or fails it under CI=true
    const found = await needTorch();
    test.skip(!found, 'no PyTorch: a Python that imports torch (see the line on stderr)');
    if (!found) return;
    const errors = collectConsoleErrors(page);
    // train.py as the CLI exports it, run by torchrun with 2 processes on the CPU.
    const dir = testInfo.outputPath('torch');
    mkdirSync(dir, { recursive: true });
    for (const f of exportPytorch(decodeConfig(TORCH).config).files) writeFileSync(path.join(dir, f.name), f.text);
    const [torchrun, ...torchrunArgs] = localTorchrun(found, 2);
    const r = spawnSync(torchrun!, [...torchrunArgs, 'train.py', '--data', CIFAR_DIR, '--out', 'run', '--threads', '1', '--device', 'cpu'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
      timeout: 300_000,
    });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const metrics = path.join(dir, 'run', 'metrics.jsonl');
    const summary = JSON.parse(readFileSync(path.join(dir, 'run', 'model', 'summary.json'), 'utf8')) as { testAccuracy: number };

    // A browser run of the same net...
    await page.goto(`/#${TINY}`);
    await button(page, 'Train').click();
    await expect(page.getByTestId('run-phase')).toHaveText('Finished', { timeout: 400_000 });
    const legend = page.getByTestId('chart-legend');
    await expect(legend.getByRole('listitem').filter({ hasText: /^WRN-10-1$/ })).toBeVisible();

    // ...and the PyTorch run's metrics beside it: 16 steps and one evaluation.
    await page.getByLabel('Import metrics').setInputFiles(metrics);
    await expect(page.getByTestId('export-import-note')).toContainText('Imported 1 run (17 points) from metrics.jsonl');
    const imported = legend.getByRole('listitem').filter({ hasText: 'WRN-10-1 (imported)' });
    await expect(imported).toBeVisible();
    await expect(imported).toHaveAttribute('data-points', /^[1-9]/);
    await page.screenshot({ path: testInfo.outputPath('torchrun-next-to-browser.png'), fullPage: true });

    // Its weights, opened in the page: evaluated on the same 50 test images, the same accuracy as PyTorch's.
    await page
      .getByLabel('Open weights (model.json + weights.bin)')
      .setInputFiles([path.join(dir, 'run', 'model', 'model.json'), path.join(dir, 'run', 'model', 'weights.bin')]);
    await expect(page.getByTestId('run-phase')).toHaveText('Finished', { timeout: 300_000 });
    const evaluation = page.locator('section.evaluation');
    await expect(evaluation).toContainText(`WRN-10-1 at step 0 (epoch 0.00), 50 test images: ${(100 * summary.testAccuracy).toFixed(1)}% right.`);
    await expect(page.getByTestId('confusion-matrix').locator('tbody tr')).toHaveCount(10);
    await expect(page.getByTestId('per-class-accuracy').getByRole('button')).toHaveCount(10);
    await expect(page.getByTestId('sample-grid').getByRole('img').first()).toHaveAttribute('aria-label', /predicted/);
    await page.screenshot({ path: testInfo.outputPath('torch-weights-evaluated.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
