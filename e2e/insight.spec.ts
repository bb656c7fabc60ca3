/**
 * Inside the nets, in the page: after a two-net comparison (WRN-22-1: 9 blocks, WRN-10-2: 3) the residual heatmaps
 * have a row per block, the lesion study (which starts by itself when the run finishes) draws a bar per block and
 * the curve against blocks removed, and the feature maps render for a test image picked in the evaluation grid.
 * An axe-core scan with every view drawn finds no serious or critical violation at either width. Screenshots at laptop
 * and phone widths go to test-results/<test>/.
 */
import { test, expect } from '@playwright/test';
import { collectConsoleErrors, seriousViolations } from './helpers';

/** Two steps of 8 images per net, an evaluation after each, 40 test images, 32 of them probed. */
const RUN = 'depth=22&width=1&batch=8&epochs=1&train=16&test=40&lr=0.05&schedule=constant&eval=1&probe=32&backend=auto&compare=10-2';

test('heatmaps, lesions and feature maps of a two-net comparison', async ({ page }, testInfo) => {
  const errors = collectConsoleErrors(page);
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.goto(`/#${RUN}`);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-phase')).toHaveText('Finished', { timeout: 400_000 });

  const inside = page.getByTestId('inside-nets');
  await expect(inside.getByRole('heading', { name: /Inside the nets/ })).toBeVisible();
  await expect(inside).toContainText('Wide Residual Networks');
  const heatmap = (net: string) => inside.locator(`[data-testid="residual-heatmap"][data-net="${net}"]`);
  await expect(heatmap('WRN-22-1').getByTestId('heatmap-row')).toHaveCount(9);
  await expect(heatmap('WRN-10-2').getByTestId('heatmap-row')).toHaveCount(3);
  // one column per evaluation (steps 1 and 2), and the values in a table for screen readers
  await expect(heatmap('WRN-22-1').getByTestId('heatmap-row').first().locator('.heatmap-cell')).toHaveCount(2);
  await expect(heatmap('WRN-10-2').locator('table tbody tr')).toHaveCount(3);
  await heatmap('WRN-22-1').locator('.heatmap-cell').nth(3).hover();
  await expect(heatmap('WRN-22-1').locator('.heatmap-readout')).toContainText(/g1b2 at step 2: r = \d/);

  // The lesion study runs by itself on the finished nets: one bar per block.
  const lesion = (net: string) => inside.locator(`[data-testid="lesion-net"][data-net="${net}"]`);
  await expect(lesion('WRN-22-1').getByTestId('lesion-bar')).toHaveCount(9, { timeout: 300_000 });
  await expect(lesion('WRN-10-2').getByTestId('lesion-bar')).toHaveCount(3, { timeout: 300_000 });
  await expect(lesion('WRN-22-1')).toContainText(/intact \d+\.\d%/);
  await expect(inside.getByTestId('lesion-curves').locator('.recharts-line-curve')).toHaveCount(2);

  // Feature maps for a picked test image: 3 groups of 16 tiles per net, side by side.
  await page.getByTestId('sample-grid').getByRole('button').nth(2).click();
  await expect(inside.getByTestId('feature-net')).toHaveCount(2);
  for (const net of ['WRN-22-1', 'WRN-10-2']) {
    await expect(inside.locator(`[data-testid="feature-net"][data-net="${net}"]`).getByTestId('feature-tile')).toHaveCount(48, { timeout: 120_000 });
  }
  await expect(inside.locator('[data-testid="layer-norms"][data-net="WRN-10-2"] .layer-box')).toHaveCount(10);

  await inside.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('laptop-inside.png'), fullPage: true });
  await inside.screenshot({ path: testInfo.outputPath('laptop-inside-card.png') });
  // the scan sees the lesion curves' tooltip too (its text once took the second net's orange, too light on white)
  await inside.getByTestId('lesion-curves').getByRole('application').hover();
  await expect(inside.getByTestId('lesion-curves').locator('.recharts-tooltip-wrapper')).toContainText('removed');
  const violations = await seriousViolations(page, testInfo, 'laptop');
  await page.mouse.move(0, 0); // a tooltip left from the laptop layout would hang past the phone's edge
  await page.setViewportSize({ width: 390, height: 844 });
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await inside.screenshot({ path: testInfo.outputPath('phone-inside-card.png') });
  violations.push(...(await seriousViolations(page, testInfo, 'phone')));
  expect(violations).toEqual([]);
  expect(errors).toEqual([]);
});
