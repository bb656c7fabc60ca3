/**
 * The WASM backend in the page: cross-origin isolation (the app's server sends COOP/COEP), the threaded build,
 * and the thread count the page reports.
 *
 * tfjs's WASM build runs XNNPACK on half the logical cores (capped at 8), so on a 2-core machine such as CI it
 * runs 1 thread and the page loads the plain SIMD build (see src/browser/wasmAssets.ts). To check the threaded
 * path here, the second test presents the worker with an 8-core machine: its script is served with
 * `navigator.hardwareConcurrency` overridden, nothing else changed. The threads then really start and train.
 */
import { test, expect, type Page } from '@playwright/test';
import { collectConsoleErrors } from './helpers';

const TINY = 'depth=10&width=1&batch=8&epochs=1&train=32&test=20&lr=0.05&schedule=constant&backend=wasm';

async function trainTiny(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('cell', { name: 'finished' })).toBeVisible({ timeout: 180_000 });
}

test('the page is cross-origin isolated and reports the WASM threads it trains on', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  await page.goto(`/#${TINY}`);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const status = page.getByTestId('backend-status');
  await expect(status).toContainText('Backend: WASM', { timeout: 90_000 });
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const expected = Math.max(1, Math.min(8, Math.floor(cores / 2)));
  await expect(page.getByTestId('wasm-threads')).toHaveText(` · ${expected} thread${expected === 1 ? '' : 's'}`);
  await trainTiny(page);
  expect(errors).toEqual([]);
});

test('with 8 logical cores the threaded WASM build starts 4 threads and trains', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  await page.route(/\/assets\/training\.worker-[\w-]+\.js$/, async (route) => {
    const response = await route.fetch();
    const body = await response.text();
    const fake = "Object.defineProperty(WorkerNavigator.prototype, 'hardwareConcurrency', { get: () => 8 });\n";
    await route.fulfill({ response, body: fake + body });
  });
  await page.goto(`/#${TINY}`);
  const status = page.getByTestId('backend-status');
  await expect(status).toContainText('Backend: WASM', { timeout: 90_000 });
  await expect(page.getByTestId('wasm-threads')).toHaveText(' · 4 threads');
  await trainTiny(page);
  const loss = Number(await page.getByTestId('chart-loss').getAttribute('data-points'));
  expect(loss).toBeGreaterThan(0);
  expect(errors).toEqual([]);
});
