/**
 * The playground page as a person uses it: controls, URL state, notices, keyboard, layout at laptop and phone
 * widths; then, with the real worker training tiny WRN-10-x runs on the e2e CIFAR-10 subsets, charts, progress,
 * pause/resume, comparison, evaluation views and export/import.
 *
 * Training data comes from the app's own server, which serves the CIFAR-10 files in CIFAR10_DIR (set by
 * playwright.config.ts: the shared subsets, else the built-in sample as .bin files). Screenshots are saved with
 * testInfo.outputPath (test-results/<test>/...). static.spec.ts covers the site without an app server.
 */
import fs from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { collectConsoleErrors, madeUpRun } from './helpers';
import { DATA_DIR } from '../test/fixtures/data';
import { decodeMetricsFile, encodeMetricsCsv } from '../src/core/metricsFile';
import type { RunRecord } from '../src/ui/lib/runRecord';

/** The e2e CIFAR-10 files: the folder playwright.config.ts gives the app's server. */
const CIFAR_DIR = DATA_DIR;

/** The main model's controls, by their accessible names (exact: other labels must not shadow them). */
const depth = (page: Page) => page.getByLabel('Depth', { exact: true });
const width = (page: Page) => page.getByLabel('Width (k)', { exact: true });
const dropout = (page: Page) => page.getByLabel('Dropout', { exact: true });
const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });
const hashOf = (page: Page) => new URL(page.url()).hash;

/**
 * A run small enough for this machine's emulated backends: WRN-10-1, 8 steps of 8 images, 50 test images.
 * 'auto' takes the fastest backend that works (WASM on this machine's CPUs; WebGPU on a real GPU).
 */
const TINY = 'depth=10&width=1&batch=8&epochs=1&train=64&test=50&lr=0.05&schedule=constant&backend=auto';

test.describe('controls and URL state', () => {
  test('loads with no console errors and names the backend', async ({ page }) => {
    const errors = collectConsoleErrors(page);
    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Wide ResNet playground' })).toBeVisible();
    const status = page.getByTestId('backend-status');
    await expect(status).toContainText('Backend:', { timeout: 90_000 });
    await expect(status).toContainText(/WebGPU/);
    // The worker read WebGL's renderer too: here it is SwiftShader, so WASM stays ahead of WebGL.
    await expect(status).toContainText("WebGL's renderer is swiftshader, software too");
    // The config is written back, so the link holds every key (and the format's version) from the start.
    expect(hashOf(page)).toMatch(/^#v=2&depth=\d+&/);
    expect(hashOf(page)).toContain('seed=0');
    expect(errors).toEqual([]);
  });

  test('#depth=28&width=10 shows 36,479,194 parameters, FLOPs and memory', async ({ page }) => {
    await page.goto('/#depth=28&width=10');
    await expect(depth(page)).toHaveValue('28');
    await expect(width(page)).toHaveValue('10');
    await expect(page.getByTestId('param-count')).toHaveText('36,479,194');
    // 5.243 G multiply-accumulates per image = 10.5 GFLOP forward
    await expect(page.getByTestId('flops-per-image')).toContainText('10.5 GFLOP');
    await expect(page.getByTestId('memory-estimate')).toContainText(/GiB/);
    await expect(page.getByTestId('correction-notice')).toHaveCount(0);
  });

  test('a bad hash shows a notice listing each correction', async ({ page }) => {
    await page.goto('/#depth=17&width=1000&dropout=abc');
    const notice = page.getByRole('status').filter({ hasText: 'corrected' });
    await expect(notice).toBeVisible();
    await expect(notice).toContainText('depth=17 -> 16');
    await expect(notice).toContainText('width=1000 -> 16');
    await expect(notice).toContainText('dropout=abc -> 0');
    await expect(notice.getByRole('listitem')).toHaveCount(3);
    await expect(depth(page)).toHaveValue('16');
    await expect(width(page)).toHaveValue('16');
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await expect(page.getByTestId('correction-notice')).toHaveCount(0);
  });

  test('a net too big for the backend is named under its cost, and Train is refused before any data moves', async ({ page }) => {
    await page.goto('/#depth=100&width=16&batch=512&train=2000&test=50&backend=wasm');
    const warning = page.getByTestId('memory-warning');
    await expect(warning).toContainText('Too big for this backend: WRN-100-16 at batch 512 needs about', { timeout: 90_000 });
    await expect(warning).toContainText("more than the WASM backend's 4 GiB memory");
    await button(page, 'Train').click();
    const error = page.getByTestId('error-notice');
    await expect(error).toContainText(/WRN-100-16 at batch 512 needs about \d+ GiB to train/);
    await expect(error).toContainText('(out-of-memory)');
    await expect(button(page, 'Train')).toBeEnabled(); // the page is usable again at once
  });

  test('a link of a million corrections lists a few of them', async ({ page }) => {
    await page.goto(`/#compare=${Array(20_000).fill('x').join(',')}&${Array.from({ length: 300 }, (_, i) => `k${i}=1`).join('&')}`);
    const notice = page.getByTestId('correction-notice');
    await expect(notice).toBeVisible();
    const items = await notice.getByRole('listitem').count();
    expect(items).toBeLessThan(20);
    await expect(notice).toContainText('more like this: unknown key, ignored');
  });

  test('editing the hash updates the controls', async ({ page }) => {
    await page.goto('/');
    await expect(depth(page)).toHaveValue('16');
    await page.evaluate(() => (window.location.hash = '#depth=40&width=4&dropout=0.3'));
    await expect(depth(page)).toHaveValue('40');
    await expect(width(page)).toHaveValue('4');
    await expect(dropout(page)).toHaveValue('0.3');
    await expect(page.getByTestId('param-count')).toHaveText('8,949,210');
  });

  test('invalid input is explained inline and never reaches the URL', async ({ page }) => {
    await page.goto('/#width=4');
    await width(page).fill('1000');
    await expect(width(page)).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByText('Width (k): must be from 1 to 16')).toBeVisible();
    expect(hashOf(page)).toContain('width=4&');
    await width(page).fill('6');
    await expect(width(page)).not.toHaveAttribute('aria-invalid', 'true');
    await expect.poll(() => hashOf(page)).toContain('width=6&');
  });

  test('changing controls updates the URL, and opening it in a new page restores every control', async ({ page, context }) => {
    await page.goto('/');
    await depth(page).selectOption('22');
    await width(page).fill('3');
    await dropout(page).fill('0.3');
    const set = async (label: string, value: string) => page.getByLabel(label, { exact: true }).fill(value);
    await set('Batch size', '64');
    await set('Epochs', '2');
    await set('Train images', '2000');
    await set('Test images', '500');
    await set('Learning rate', '0.05');
    await set('Warm-up', '1');
    await set('Momentum', '0.8');
    await set('Weight decay', '0.001');
    await set('Seed', '7');
    await set('Evaluate every', '10');
    await page.getByLabel('Schedule', { exact: true }).selectOption('cosine');
    await page.getByLabel('Subset', { exact: true }).selectOption('balanced');
    await page.getByLabel('Backend', { exact: true }).selectOption('webgl');
    await page.getByLabel('Nesterov').uncheck();
    await page.getByLabel('Augment (flip + crop)').uncheck();
    await button(page, 'Add model').click();
    await page.getByLabel('Model 2 layers').selectOption('10');
    await page.getByLabel('Model 2 k').fill('5');

    await expect.poll(() => hashOf(page)).toContain('compare=10-5');
    const hash = hashOf(page);
    for (const kv of [
      'depth=22',
      'width=3',
      'dropout=0.3',
      'batch=64',
      'epochs=2',
      'train=2000',
      'test=500',
      'lr=0.05',
      'warmup=1',
      'momentum=0.8',
      'wd=0.001',
      'seed=7',
      'eval=10',
      'schedule=cosine',
      'subset=balanced',
      'backend=webgl',
      'nesterov=0',
      'augment=0',
    ]) {
      expect(hash).toContain(kv);
    }

    const fresh = await context.newPage();
    await fresh.goto(page.url());
    await expect(depth(fresh)).toHaveValue('22');
    await expect(width(fresh)).toHaveValue('3');
    await expect(dropout(fresh)).toHaveValue('0.3');
    const value = (label: string) => fresh.getByLabel(label, { exact: true });
    await expect(value('Batch size')).toHaveValue('64');
    await expect(value('Epochs')).toHaveValue('2');
    await expect(value('Train images')).toHaveValue('2000');
    await expect(value('Test images')).toHaveValue('500');
    await expect(value('Learning rate')).toHaveValue('0.05');
    await expect(value('Warm-up')).toHaveValue('1');
    await expect(value('Momentum')).toHaveValue('0.8');
    await expect(value('Weight decay')).toHaveValue('0.001');
    await expect(value('Seed')).toHaveValue('7');
    await expect(value('Evaluate every')).toHaveValue('10');
    await expect(value('Schedule')).toHaveValue('cosine');
    await expect(value('Subset')).toHaveValue('balanced');
    await expect(value('Backend')).toHaveValue('webgl');
    await expect(fresh.getByLabel('Nesterov')).not.toBeChecked();
    await expect(fresh.getByLabel('Augment (flip + crop)')).not.toBeChecked();
    await expect(fresh.getByLabel('Model 2 layers')).toHaveValue('10');
    await expect(fresh.getByLabel('Model 2 k')).toHaveValue('5');
    await expect(fresh.getByTestId('correction-notice')).toHaveCount(0);
    expect(hashOf(fresh)).toBe(hash);
  });

  test('a paper preset sets a thin-deep vs wide-shallow pair', async ({ page }) => {
    await page.goto('/');
    await page.getByLabel('Preset').selectOption({ label: 'Paper: WRN-40-4 vs WRN-16-8' });
    await button(page, 'Apply preset').click();
    await expect(depth(page)).toHaveValue('40');
    await expect(width(page)).toHaveValue('4');
    await expect(page.getByRole('listitem', { name: /Model 2: WRN-16-8/ })).toBeVisible();
    await expect.poll(() => hashOf(page)).toContain('compare=16-8');
    // Both nets are listed with their sizes before anything trains.
    const rows = page.getByTestId('run-table').locator('tbody tr');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText('8,949,210');
    await expect(rows.nth(1)).toContainText('10,961,370');
    await button(page, 'Remove WRN-16-8').click();
    await expect.poll(() => hashOf(page)).not.toContain('compare=');
  });

  test('Copy link copies location.href and confirms', async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto('/#depth=22&width=2');
    await button(page, 'Copy link').click();
    await expect(page.getByText('Copied', { exact: true })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(page.url());
  });

  test('Copy link falls back to a selected field when the clipboard is refused', async ({ page }) => {
    await page.goto('/#depth=22&width=2');
    await page.evaluate(() => {
      Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new Error('denied')) } });
      // the legacy command fails too, so the person is asked to copy by hand
      document.execCommand = () => false;
    });
    await button(page, 'Copy link').click();
    const field = page.getByLabel('Link (press Ctrl+C to copy)');
    await expect(field).toBeFocused();
    await expect(field).toHaveValue(page.url());
  });

  test('a third-party data URL in a link asks in the page before fetching', async ({ page }) => {
    page.on('dialog', () => {
      throw new Error('window.confirm/alert must not be used');
    });
    await page.goto('/#data=https%3A%2F%2Fexample.org%2Fcifar-10-binary.tar.gz');
    const dialog = page.getByRole('dialog', { name: 'Fetch data from another site?' });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText('https://example.org/cifar-10-binary.tar.gz');
    await dialog.getByRole('button', { name: 'Use the app’s server' }).click();
    await expect(dialog).toBeHidden();
    expect(hashOf(page)).not.toContain('data=');
    await expect(page.getByRole('radio', { name: 'This app’s server' })).toBeChecked();

    await page.evaluate(() => (window.location.hash = '#data=https%3A%2F%2Fexample.org%2Fc.bin'));
    await expect(dialog).toBeVisible();
    // The safe answer has the focus; the person tabs to the other one on purpose.
    await expect(dialog.getByRole('button', { name: 'Use the app’s server' })).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(dialog.getByRole('button', { name: 'Fetch from this site' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('radio', { name: 'From a URL' })).toBeChecked();
    await expect(page.getByLabel('Data URL')).toHaveValue('https://example.org/c.bin');
  });

  test('keyboard only: skip link, controls in order, visible focus, actions', async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto('/#depth=16&width=4');
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Skip to results' })).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(depth(page)).toBeFocused();
    // The focus ring is drawn (3px outline), not suppressed.
    const outline = await depth(page).evaluate((el) => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth);
    expect(outline).toBe('solid 3px');
    await page.keyboard.press('ArrowDown');
    await expect(depth(page)).toHaveValue('22');
    await page.keyboard.press('Tab');
    await expect(width(page)).toBeFocused();
    await page.keyboard.press('ArrowUp');
    await expect(width(page)).toHaveValue('5');
    await page.keyboard.press('Tab');
    await expect(dropout(page)).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(button(page, 'Train')).toBeFocused();
    // Pause, Resume and Stop are disabled before a run. Next: the comparisons sized for this device, offered under
    // the estimate (WRN-22-5 on 10,000 images, what this version 1 link trains, takes hours here), then Copy link.
    const quicker = page
      .getByRole('group', { name: /That is long for a first try\. Thin-deep vs wide-shallow, sized for this device/ })
      .getByRole('button');
    await expect(quicker.first()).toBeVisible({ timeout: 90_000 });
    for (let i = 0; i < (await quicker.count()); i++) {
      await page.keyboard.press('Tab');
      await expect(quicker.nth(i)).toBeFocused();
    }
    await page.keyboard.press('Tab');
    await expect(button(page, 'Copy link')).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByText('Copied', { exact: true })).toBeVisible();
    await expect.poll(() => hashOf(page)).toContain('depth=22&width=5');
    // Next come the comparison controls.
    await page.keyboard.press('Tab');
    await expect(page.getByLabel('Preset')).toBeFocused();
  });

  test('imported metrics are drawn without training', async ({ page }, testInfo) => {
    await page.goto('/');
    const file = testInfo.outputPath('metrics.csv');
    fs.writeFileSync(file, encodeMetricsCsv([fakeRun('WRN-16-4', 30), fakeRun('WRN-40-1', 20)]));
    await page.getByLabel('Import metrics').setInputFiles(file);
    await expect(page.getByTestId('export-import-note')).toContainText('Imported 2 runs');
    const legend = page.getByTestId('chart-legend');
    await expect(legend).toContainText('WRN-16-4 (imported)');
    await expect(legend).toContainText('WRN-40-1 (imported)');
    await expect(page.getByTestId('chart-loss')).toHaveAttribute('data-points', String(30 + 3 + 20 + 3));
    await expect(page.getByTestId('chart-loss').locator('.recharts-line-curve').first()).toBeVisible();
    await expect(page.getByTestId('run-table').locator('tbody tr')).toHaveCount(2);
    await expect(page.getByTestId('confusion-matrix')).toBeVisible();
    // Hovering a chart shows a tooltip naming the x quantity and the runs' values.
    const surface = page.getByTestId('chart-accuracy').locator('.recharts-surface');
    const box = (await surface.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect(page.getByTestId('chart-accuracy').locator('.recharts-tooltip-wrapper')).toContainText('SGD step:');
    await expect(page.getByTestId('chart-accuracy').locator('.recharts-tooltip-wrapper')).toContainText('WRN-16-4 (imported) train');
    // The x axis can show compute instead of steps; the label says the unit.
    await page.getByLabel('X axis').selectOption('flops');
    await expect(page.getByTestId('chart-loss')).toContainText('training compute (');
    await page.getByLabel('Log scale (loss)').check();
    await expect(page.getByTestId('chart-loss').locator('.recharts-line-curve').first()).toBeVisible();
  });

  for (const [name, size] of [
    ['laptop', { width: 1366, height: 768 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    test(`layout at ${name} width (${size.width}x${size.height})`, async ({ page }, testInfo) => {
      await page.setViewportSize(size);
      await page.goto('/#depth=40&width=4&compare=16-8');
      await expect(page.getByTestId('backend-status')).toContainText('Backend:', { timeout: 90_000 });
      // Nothing overflows the viewport sideways.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await expect(button(page, 'Train')).toBeInViewport();
      await page.screenshot({ path: testInfo.outputPath(`${name}.png`) });
      await page.screenshot({ path: testInfo.outputPath(`${name}-full.png`), fullPage: true });
    });
  }
});

test.describe('training in the worker', () => {
  test.slow();

  test('a compare run draws curves, fills the table and evaluation views, exports and re-imports its metrics, and its weights open again', async ({
    page,
  }, testInfo) => {
    const errors = collectConsoleErrors(page);
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.goto(`/#${TINY}&compare=10-2`);
    await button(page, 'Train').click();

    const loss = page.getByTestId('chart-loss');
    await expect(loss).toHaveAttribute('data-points', /^[1-9]/, { timeout: 180_000 });
    const first = Number(await loss.getAttribute('data-points'));
    await expect.poll(async () => Number(await loss.getAttribute('data-points')), { timeout: 180_000 }).toBeGreaterThan(first);
    await expect(loss.locator('.recharts-line-curve').first()).toBeVisible();

    await expect(page.getByTestId('run-phase')).toHaveText('Finished', { timeout: 400_000 });
    await expect(page.getByRole('progressbar', { name: 'Data loaded' })).toHaveAttribute('value', '100');
    const legend = page.getByTestId('chart-legend');
    await expect(legend.getByRole('listitem').filter({ hasText: /^WRN-10-1$/ })).toBeVisible();
    await expect(legend.getByRole('listitem').filter({ hasText: /^WRN-10-2$/ })).toBeVisible();
    const rows = page.getByTestId('run-table').locator('tbody tr');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText('77,850');
    await expect(rows.nth(1)).toContainText('303,706');
    await expect(rows.nth(1)).toContainText('finished');

    // Evaluation: a 10x10 confusion matrix with class names, per-class accuracy, test images with predictions.
    await expect(page.getByTestId('confusion-matrix').locator('tbody tr')).toHaveCount(10);
    await expect(page.getByTestId('confusion-matrix')).toContainText('airplane');
    await expect(page.getByTestId('per-class-accuracy').getByRole('button')).toHaveCount(10);
    const grid = page.getByTestId('sample-grid');
    await expect(grid.locator('canvas')).toHaveCount(50);
    await expect(grid.getByRole('img').first()).toHaveAttribute('aria-label', /predicted/);
    // Clicking a class filters the grid to that class's mistakes.
    await page.getByTestId('per-class-accuracy').getByRole('button').first().click();
    await expect(page.getByRole('heading', { name: /Mistakes on airplane/ })).toBeVisible();
    const mistakes = await grid.locator('li').count();
    expect(mistakes).toBeLessThanOrEqual(5); // 50 interleaved test images hold 5 airplanes
    await button(page, 'Show all images').click();
    await expect(grid.locator('canvas')).toHaveCount(50);

    await page.screenshot({ path: testInfo.outputPath('laptop-trained.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    // Charts re-measure on resize (ResizeObserver); once they have, nothing is wider than the phone.
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: testInfo.outputPath('phone-trained.png'), fullPage: true });
    await page.setViewportSize({ width: 1366, height: 768 });

    // Export CSV, import it back: the imported runs have as many points as the live ones.
    const livePoints = await legend
      .getByRole('listitem')
      .filter({ hasText: /^WRN-10-1$/ })
      .getAttribute('data-points');
    const [csv] = await Promise.all([page.waitForEvent('download'), button(page, 'Download CSV').click()]);
    expect(csv.suggestedFilename()).toMatch(/\.csv$/);
    const csvPath = testInfo.outputPath('metrics.csv');
    await csv.saveAs(csvPath);
    await page.getByLabel('Import metrics').setInputFiles(csvPath);
    const imported = legend.getByRole('listitem').filter({ hasText: 'WRN-10-1 (imported)' });
    await expect(imported).toHaveAttribute('data-points', livePoints!);
    await expect(rows).toHaveCount(4);

    const [json] = await Promise.all([page.waitForEvent('download'), button(page, 'Download JSON').click()]);
    expect(json.suggestedFilename()).toMatch(/\.json$/);
    const jsonPath = testInfo.outputPath('metrics.json');
    await json.saveAs(jsonPath);
    await page.getByLabel('Import metrics').setInputFiles(jsonPath);
    // The JSON export held the live runs and the CSV import: 4 more runs, the same points for each.
    await expect(legend.getByRole('listitem').filter({ hasText: 'WRN-10-1 (imported)' })).toHaveCount(3);
    for (const item of await legend.getByRole('listitem').filter({ hasText: 'WRN-10-1' }).all()) {
      await expect(item).toHaveAttribute('data-points', livePoints!);
    }

    // Trained weights: model.json plus the weights.bin its manifest names.
    await page.getByLabel('Model to export').selectOption({ label: 'WRN-10-2' });
    const downloads: string[] = [];
    page.on('download', async (d) => {
      await d.saveAs(testInfo.outputPath(d.suggestedFilename()));
      downloads.push(d.suggestedFilename());
    });
    await page.getByRole('button', { name: /^Download weights/ }).click();
    await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(2);
    expect(downloads).toEqual(expect.arrayContaining(['WRN-10-2-model.json', 'weights.bin']));

    // Those weights, opened again: a run that trains nothing evaluates them on the same 50 test images, to the
    // accuracy WRN-10-2 ended with, and the evaluation views show it.
    const trained = decodeMetricsFile(fs.readFileSync(csvPath, 'utf8'))
      .find((r) => r.name === 'WRN-10-2')!
      .evals.at(-1)!;
    await page.getByLabel('Open weights (model.json + weights.bin)').setInputFiles(downloads.map((f) => testInfo.outputPath(f)));
    await expect(page.getByTestId('export-import-note')).toContainText('Evaluating WRN-10-2 from');
    const evaluation = page.locator('section.evaluation');
    await expect(evaluation).toContainText(`WRN-10-2 at step 0 (epoch 0.00), 50 test images: ${(100 * trained.testAccuracy).toFixed(1)}% right.`, {
      timeout: 300_000,
    });
    await expect(page.getByTestId('run-phase')).toHaveText('Finished');
    await expect(page.getByTestId('confusion-matrix').locator('tbody tr')).toHaveCount(10);
    await expect(page.getByTestId('per-class-accuracy').getByRole('button')).toHaveCount(10);
    await expect(page.getByTestId('sample-grid').getByRole('img').first()).toHaveAttribute('aria-label', /predicted/);
    expect(errors).toEqual([]);
  });

  test('Pause holds the step count and Resume continues; Stop ends the run', async ({ page }) => {
    await page.goto(`/#${TINY.replace('train=64', 'train=400')}`);
    await button(page, 'Train').click();
    const step = page.getByTestId('progress-step');
    await expect.poll(async () => parseInt((await step.textContent()) ?? '0', 10), { timeout: 180_000 }).toBeGreaterThan(0);
    await button(page, 'Pause').click();
    await expect(page.getByTestId('run-phase')).toHaveText('Paused');
    await expect(button(page, 'Resume')).toBeEnabled();
    // Let the step in flight finish and its metrics arrive, then the count must hold still.
    await page.waitForTimeout(4000);
    const held = await step.textContent();
    await page.waitForTimeout(4000);
    expect(await step.textContent()).toBe(held);
    await button(page, 'Resume').click();
    await expect(page.getByTestId('run-phase')).toHaveText('Training');
    await expect.poll(async () => step.textContent(), { timeout: 120_000 }).not.toBe(held);
    await button(page, 'Stop').click();
    await expect(page.getByTestId('run-phase')).toHaveText('Stopped', { timeout: 120_000 });
    await expect(button(page, 'Train')).toBeEnabled();
  });

  test('the learning rate can be set while training (Enter applies) and returned to the schedule; the link keeps the recipe', async ({
    page,
  }, testInfo) => {
    const errors = collectConsoleErrors(page);
    // 1,000 steps: far more than the test needs, so the run is still going when it changes the rate.
    await page.goto(`/#${TINY.replace('train=64', 'train=400').replace('epochs=1', 'epochs=20')}`);
    await expect(page.getByLabel('Learning rate', { exact: true })).toHaveValue('0.05');
    const hash = hashOf(page);
    const rate = page.getByLabel('New learning rate', { exact: true });
    await expect(rate).toHaveCount(0); // only while a run is under way
    await button(page, 'Train').click();
    await expect(rate).toBeVisible();
    await expect(rate).toHaveAccessibleDescription(/not saved in the link/);
    const used = page.getByTestId('progress-lr');
    const mode = page.getByTestId('live-lr-mode');
    await expect(used).toHaveText('0.05', { timeout: 180_000 });
    await expect(mode).toContainText('Following the schedule');
    await expect(button(page, 'Back to schedule')).toBeDisabled();

    // A rate outside the recipe's bounds is refused with a reason, and nothing is sent.
    await rate.fill('20');
    await rate.press('Enter');
    await expect(rate).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByRole('alert').filter({ hasText: 'New learning rate: must be from' })).toBeVisible();
    await expect(mode).toContainText('Following the schedule');

    await rate.fill('0.001');
    await rate.press('Enter');
    await expect(rate).not.toHaveAttribute('aria-invalid', 'true');
    await expect(mode).toContainText('Set by hand to 0.001');
    // Later steps report the rate they used.
    await expect(used).toHaveText('0.001', { timeout: 120_000 });
    await page.getByRole('region', { name: 'Learning rate of this run' }).screenshot({ path: testInfo.outputPath('live-lr.png') });
    await expect(page.getByLabel('Learning rate', { exact: true })).toHaveValue('0.05');
    expect(hashOf(page)).toBe(hash);

    await button(page, 'Back to schedule').click();
    await expect(mode).toContainText('Following the schedule');
    await expect(used).toHaveText('0.05', { timeout: 120_000 });
    await expect(button(page, 'Back to schedule')).toBeDisabled();

    await button(page, 'Stop').click();
    await expect(page.getByTestId('run-phase')).toHaveText('Stopped', { timeout: 120_000 });
    await expect(rate).toHaveCount(0);
    expect(hashOf(page)).toBe(hash);
    expect(errors).toEqual([]);
  });

  test('keyboard only: pick CIFAR-10 files as the source and train from them', async ({ page }) => {
    const errors = collectConsoleErrors(page);
    await page.goto(`/#${TINY}`);
    const files = page.getByRole('radio', { name: 'Files on this computer' });
    await files.focus();
    await page.keyboard.press('Space');
    await expect(files).toBeChecked();
    await expect(button(page, 'Train')).toBeDisabled(); // nothing picked yet, and the page says so
    await expect(page.getByText('Choose CIFAR-10 files (below) first.')).toBeVisible();
    // A file chooser cannot be driven by keys in a test; the files are set on the labelled input instead.
    await page.getByLabel('CIFAR-10 files').setInputFiles([`${CIFAR_DIR}/train_subset.bin`, `${CIFAR_DIR}/test_subset.bin`]);
    await expect(page.getByRole('list', { name: 'Chosen files' })).toContainText('train_subset.bin');
    await button(page, 'Train').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('run-phase')).toHaveText('Finished', { timeout: 300_000 });
    await expect(page.getByRole('progressbar', { name: 'Data loaded' })).toHaveAttribute('value', '100');
    await expect(page.getByTestId('run-table').locator('tbody tr')).toHaveCount(1);
    expect(errors).toEqual([]);
  });

  test('a data error is shown with its suggestion; the page stays', async ({ page }) => {
    // The server says it has CIFAR-10 (so the page picks it over the sample), then serves none of it.
    await page.route('**/cifar10/**', (route) =>
      route.request().url().endsWith('/status')
        ? route.fulfill({ json: { status: 'ready', source: 'test', bytesLoaded: 0, bytesTotal: null, error: null } })
        : route.fulfill({ status: 404, body: 'not here' }),
    );
    await page.goto(`/#${TINY}`);
    await button(page, 'Train').click();
    const alert = page.getByTestId('error-notice');
    await expect(alert).toBeVisible({ timeout: 120_000 });
    await expect(alert).toHaveAttribute('role', 'alert');
    await expect(alert.locator('.suggestion')).not.toBeEmpty();
    await expect(page.getByTestId('run-phase')).toHaveText('Failed');
    await expect(page.getByRole('heading', { name: 'Wide ResNet playground' })).toBeVisible();
    await expect(button(page, 'Train')).toBeEnabled();
  });
});

/** A made-up run for the import test: a falling loss and a rising accuracy, evaluated three times. */
function fakeRun(name: string, steps: number): RunRecord {
  return madeUpRun({
    name,
    params: 1000,
    macs: 1e6,
    steps,
    secondsPerStep: 0.1,
    flopsPerStep: 6e9,
    evals: [1, 2, 3].map((k) => ({ at: (k * steps) / 3, testLoss: 2 / k, testAccuracy: 0.2 * k, testImages: 100 })),
  });
}
