/**
 * Comparing as the paper does: the accuracy-versus-cost scatter (one symbol per finished run, error bars, the
 * paper's reference layer), the per-net table with mean ± std, 95% interval and verdict, and racing nets.
 *
 * The picture and the table are checked on imported runs (no training, so the numbers are known exactly); racing
 * trains two tiny nets in the real worker. Screenshots go to test-results/<test>/.
 */
import fs from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { collectConsoleErrors, madeUpRun, openHarness, tinyConfig, waitForState } from './helpers';
import type { Harness } from './harness';
import { encodeMetricsCsv } from '../src/core/metricsFile';
import type { RunRecord } from '../src/ui/lib/runRecord';

/** A run whose final evaluation reaches `final` on `testImages` images after `steps` steps (half of it halfway). */
function finishedRun(name: string, params: number, final: number, steps = 20, testImages = 1000): RunRecord {
  return madeUpRun({
    id: `${name}-${final}`,
    name,
    params,
    macs: params * 100,
    steps,
    secondsPerStep: 0.5,
    flopsPerStep: params * 600 * 32,
    evals: [0.5, 1].map((k) => ({ at: k * steps, testLoss: 2 / (1 + k), testAccuracy: k === 1 ? final : final / 2, testImages })),
  });
}

async function importRuns(page: Page, file: string, runs: RunRecord[]): Promise<void> {
  fs.writeFileSync(file, encodeMetricsCsv(runs));
  await page.getByLabel('Import metrics').setInputFiles(file);
  await expect(page.getByTestId('export-import-note')).toContainText(`Imported ${runs.length} runs`);
}

const runSymbols = (page: Page) => page.getByTestId('cost-scatter').locator('.scatter-runs .recharts-scatter-symbol');
const meanSymbols = (page: Page) => page.getByTestId('cost-scatter').locator('.scatter-means .recharts-scatter-symbol');
const paperSymbols = (page: Page) => page.getByTestId('cost-scatter').locator('.scatter-paper .recharts-scatter-symbol');

test.describe('accuracy vs cost', () => {
  test('the scatter shows one symbol per finished run, seed means with intervals, and the paper layer on demand', async ({ page }, testInfo) => {
    const errors = collectConsoleErrors(page);
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.goto('/');
    // Three "seeds" of one net and one run of another: 4 finished runs, 2 nets.
    await importRuns(page, testInfo.outputPath('metrics.csv'), [
      finishedRun('WRN-16-4', 2_748_890, 0.452),
      finishedRun('WRN-16-4', 2_748_890, 0.447),
      finishedRun('WRN-16-4', 2_748_890, 0.47),
      finishedRun('WRN-10-1', 77_850, 0.405),
    ]);
    const scatter = page.getByTestId('cost-scatter');
    await expect(scatter).toHaveAttribute('data-finished', '4');
    await expect(runSymbols(page)).toHaveCount(4);
    await expect(meanSymbols(page)).toHaveCount(1); // only WRN-16-4 has several runs
    await expect(scatter.locator('.recharts-errorBar')).not.toHaveCount(0);
    await expect(scatter).toContainText('parameters (log scale)');
    await expect(scatter).toContainText('final test accuracy (%)');
    await expect(paperSymbols(page)).toHaveCount(0);

    // The reference layer: the paper's 7 nets on the parameters axis, with its note.
    await scatter.getByLabel('Paper’s results (reference layer)').check();
    await expect(paperSymbols(page)).toHaveCount(7);
    await expect(page.getByTestId('paper-note')).toContainText('Not comparable');
    await expect(page.getByTestId('paper-note')).toContainText('200 epochs on all 50,000 training images');
    await page.screenshot({ path: testInfo.outputPath('laptop-scatter.png'), fullPage: true });
    await scatter.screenshot({ path: testInfo.outputPath('laptop-scatter-card.png') });
    // FLOPs: the 5 WRNs (the pre-act ResNets have no cost model here); time: the paper gives none.
    await scatter.getByLabel('Cost axis').selectOption('flops');
    await expect(scatter).toContainText('training FLOPs spent (log scale)');
    await expect(paperSymbols(page)).toHaveCount(5);
    await expect(runSymbols(page)).toHaveCount(4);
    await scatter.getByLabel('Cost axis').selectOption('seconds');
    await expect(paperSymbols(page)).toHaveCount(0);
    await expect(page.getByTestId('paper-note')).toContainText('no training times');
    await scatter.getByLabel('Paper’s results (reference layer)').uncheck();
    await expect(page.getByTestId('paper-note')).toHaveCount(0);

    // The table: mean ± std and the t interval of WRN-16-4's three final accuracies, computed by hand:
    // mean 1.369 / 3 = 45.63%, std 1.21 points, 95% interval 45.63 ± 4.3027 · 1.2097 / √3 = 42.63–48.64%.
    const table = page.getByTestId('comparison-table');
    const main = table.locator('tr[data-net="WRN-16-4"]').first();
    await expect(main.getByTestId('mean-std')).toHaveText('45.6 ± 1.2%');
    await expect(main.getByTestId('interval')).toContainText('42.6–48.6%');
    await expect(main.getByTestId('interval')).toContainText('t, 3 seeds');
    const other = table.locator('tr[data-net="WRN-10-1"]');
    await expect(other.getByTestId('interval')).toContainText('binomial, 1,000 images');
    await expect(main.getByTestId('verdict')).toHaveCount(0); // the main net has no verdict against itself
    await expect(other.getByTestId('verdict')).toContainText('WRN-16-4 is ahead of WRN-10-1 by 5.1');
    await expect(other.getByTestId('verdict')).toContainText('seed noise is not measured');

    await page.setViewportSize({ width: 390, height: 844 });
    await scatter.scrollIntoViewIfNeeded();
    await page.screenshot({ path: testInfo.outputPath('phone-scatter.png'), fullPage: true });
    // Charts resize on their own observer a moment after the viewport: poll until the layout has settled.
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await scatter.screenshot({ path: testInfo.outputPath('phone-scatter-card.png') });
    await page.getByTestId('comparison').screenshot({ path: testInfo.outputPath('phone-comparison-card.png') });
    expect(errors).toEqual([]);
  });

  test('seeds, order and budget controls write their URL keys', async ({ page }) => {
    await page.goto('/#seeds=9&budget=time');
    const notice = page.getByRole('status').filter({ hasText: 'corrected' });
    await expect(notice).toContainText('seeds=9 -> 5');
    await expect(notice).toContainText('budget=time -> epochs');
    await expect(page.getByLabel('Seeds per net')).toHaveValue('5');
    await page.getByLabel('Seeds per net').fill('3');
    await page.getByLabel('Order').selectOption('interleaved');
    await page.getByLabel('Budget per net').selectOption('flops');
    await page.getByLabel('Training FLOPs').fill('3e15');
    await expect.poll(() => new URL(page.url()).hash).toContain('seeds=3&order=interleaved&budget=flops:3e15');
    await page.getByLabel('Training FLOPs').fill('12');
    await expect(page.getByText('training FLOPs outside')).toBeVisible();
    await expect.poll(() => new URL(page.url()).hash).toContain('budget=flops:3e15');
  });
});

test.describe('racing and repeats in the worker', () => {
  test.slow();

  test('order=interleaved: both nets have curve points before the first net finishes', async ({ page }) => {
    const errors = collectConsoleErrors(page);
    await openHarness(page);
    // Every state the client goes through, as [steps of net 0, steps of net 1, net 0 ended, net 1 ended].
    await page.evaluate(() => {
      const w = window as unknown as { harness: Harness; raceTrace: number[][] };
      w.raceTrace = [];
      w.harness.client.subscribe(() => {
        const models = w.harness.client.getSnapshot().run?.models ?? [];
        w.raceTrace.push([models[0]?.steps.length ?? 0, models[1]?.steps.length ?? 0, models[0]?.summary ? 1 : 0, models[1]?.summary ? 1 : 0]);
      });
    });
    // Two tiny nets, 12 steps of 4 images each, an evaluation every 4 steps: turns of 4 steps (one window).
    const config = tinyConfig({
      steps: 12,
      batch: 4,
      backend: 'wasm',
      evalEvery: 4,
      order: 'interleaved',
      compare: [{ depth: 10, width: 2, dropout: 0 }],
    });
    await page.evaluate(
      (c) => (window as unknown as { harness: Harness }).harness.client.start(c, { kind: 'server', base: `${location.origin}/cifar10` }),
      config,
    );
    const done = await waitForState(page, (s) => s.run?.status === 'finished' || s.run?.status === 'failed');
    expect(done.run?.status).toBe('finished');
    const trace = await page.evaluate(() => (window as unknown as { raceTrace: number[][] }).raceTrace);
    const firstEnd = trace.findIndex(([, , a, b]) => a === 1 || b === 1);
    expect(firstEnd).toBeGreaterThan(0);
    // Before either net finished, both had drawn steps.
    expect(trace.slice(0, firstEnd).some(([a, b]) => a! > 0 && b! > 0)).toBe(true);
    // and they took turns: net 1 had steps while net 0 was still short of its 12
    expect(trace.some(([a, b]) => b! > 0 && a! < 12)).toBe(true);
    for (const m of done.run!.models) {
      expect(m).toMatchObject({ totalSteps: 12, summary: { status: 'finished', steps: 12 } });
      expect(m.evals.map((e) => e.step)).toEqual([4, 8, 12]);
    }
    expect(errors).toEqual([]);
  });

  test('the page races two nets over two seeds: table, scatter with seed means, comparison and budget', async ({ page }, testInfo) => {
    const errors = collectConsoleErrors(page);
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.goto('/#depth=10&width=1&batch=8&epochs=1&train=48&test=50&lr=0.05&schedule=constant&backend=wasm&compare=10-2&order=interleaved&seeds=2');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await expect(page.getByTestId('run-phase')).toHaveText('Finished', { timeout: 300_000 });
    await expect(page.getByTestId('run-table').locator('tbody tr')).toHaveCount(4);
    await expect(page.getByTestId('run-table')).toContainText('WRN-10-2 (seed 1)');
    const scatter = page.getByTestId('cost-scatter');
    await expect(scatter).toHaveAttribute('data-finished', '4');
    await expect(runSymbols(page)).toHaveCount(4);
    await expect(meanSymbols(page)).toHaveCount(2);
    await expect(page.getByTestId('scatter-budget')).toHaveText('Budget: equal epochs (1 per net).');
    const table = page.getByTestId('comparison-table');
    await expect(table.locator('tr[data-net="WRN-10-1"]').first().getByTestId('interval')).toContainText('t, 2 seeds');
    await expect(table.getByTestId('verdict')).toContainText(/WRN-10-[12] is ahead of WRN-10-[12] by .*(Welch's t, p=|no test applies)/);
    await page.screenshot({ path: testInfo.outputPath('laptop-raced.png'), fullPage: true });
    await scatter.screenshot({ path: testInfo.outputPath('laptop-raced-scatter.png') });
    await page.getByTestId('comparison').screenshot({ path: testInfo.outputPath('laptop-raced-comparison.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await scatter.scrollIntoViewIfNeeded();
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: testInfo.outputPath('phone-raced.png'), fullPage: true });
    await scatter.screenshot({ path: testInfo.outputPath('phone-raced-scatter.png') });
    await page.getByTestId('comparison').screenshot({ path: testInfo.outputPath('phone-raced-comparison.png') });
    // On a phone the settings fold away once a run has started: one tap opens them.
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('region', { name: 'Compare' }).screenshot({ path: testInfo.outputPath('phone-compare-controls.png') });
    await page.getByRole('region', { name: 'Curves' }).screenshot({ path: testInfo.outputPath('phone-raced-curves.png') });
    expect(errors).toEqual([]);
  });

  test('budget=time:2 on the page: each net trains 2 s of its own time, far short of its 50 epochs, and the views say so', async ({ page }) => {
    const errors = collectConsoleErrors(page);
    await page.goto('/#depth=10&width=1&batch=8&epochs=50&train=48&test=50&lr=0.05&schedule=constant&backend=wasm&compare=10-2&budget=time:2');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    // While it trains, progress is in seconds of the budget (the steps are not known ahead).
    await expect(page.getByTestId('progress-step')).not.toContainText('/', { timeout: 120_000 });
    await expect(page.getByTestId('run-phase')).toHaveText('Finished', { timeout: 300_000 });
    const steps = Number(await page.getByTestId('progress-step').textContent());
    expect(steps).toBeGreaterThan(0);
    expect(steps).toBeLessThan(50 * 6); // 50 epochs of 6 steps, had the budget not ended it
    await expect(page.getByTestId('scatter-budget')).toHaveText('Budget: equal time (2 s of active training per net).');
    await expect(page.getByTestId('comparison-budget')).toHaveText('Budget: equal time (2 s of active training per net).');
    const rows = page.getByTestId('run-table').locator('tbody tr');
    await expect(rows).toHaveCount(2);
    for (const row of await rows.all()) await expect(row).toContainText('finished');
    await page.getByTestId('cost-scatter').getByLabel('Cost axis').selectOption('seconds');
    await expect(runSymbols(page)).toHaveCount(2);
    expect(errors).toEqual([]);
  });
});
