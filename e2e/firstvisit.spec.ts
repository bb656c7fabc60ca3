/**
 * A newcomer's first visit, on a phone (390x844) and from the keyboard, on the built site as a static host serves it
 * (staticServer.ts: no app server, so the built-in sample): no correction notice; the first Train runs the thin-deep
 * vs wide-shallow comparison sized from the backend found and the speed measured, and ends with a one-line result in
 * the compare table's words; the estimate shown before is within a factor of 2 of the time it took; while it trains,
 * progress and curves fill the first screen and the settings are folded; nothing scrolls sideways; an axe-core scan
 * finds no serious or critical violation idle, training or with the evaluation views open.
 *
 * The first run is sized for 40 s instead of 3 minutes (`?test-first-run-seconds=40`, a setting for tests only);
 * src/ui/lib/sizedComparison.test.ts checks the sizing at the real target. Screenshots go to the test's output folder.
 */
import { test, expect, type Locator, type Page } from '@playwright/test';
import { collectConsoleErrors, seriousViolations } from './helpers';
import { startStaticServer, type StaticServer } from './staticServer';

test.use({ serviceWorkers: 'allow' }); // as a person's browser does (playwright.config.ts blocks them elsewhere)

let server: StaticServer;
test.beforeAll(async () => {
  server = await startStaticServer();
});
test.afterAll(async () => {
  await server.close();
});

/** Presses Tab until `target` has the focus (at most 80 times), as a keyboard user would. */
async function tabTo(page: Page, target: Locator): Promise<void> {
  for (let i = 0; i < 80 && !(await target.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
  await expect(target).toBeFocused();
}

/** The document is exactly as wide as the viewport: nothing scrolls sideways. */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const { doc, viewport } = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  expect(doc).toBe(viewport);
}

test('first visit on a phone: the first Train runs the sized thin/wide comparison and ends with its result', async ({ page }, testInfo) => {
  test.slow();
  const errors = collectConsoleErrors(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.site}?test-first-run-seconds=40`);

  // The defaults fit the sample: no correction notice, and the sample's notice lists no caps.
  await expect(page.getByRole('radio', { name: /Built-in sample/ })).toBeChecked({ timeout: 30_000 });
  await expect(page.getByTestId('correction-notice')).toHaveCount(0);
  await expect(page.getByTestId('sample-notice').getByRole('listitem')).toHaveCount(0);

  // Train waits while the page times the pair on this device, then the sized comparison is the config and the link.
  const sized = page.getByTestId('sized-comparison');
  await expect(sized.first()).toHaveAttribute('aria-pressed', 'true', { timeout: 120_000 });
  await expect(sized.first()).toContainText(/^Under a minute: WRN-22-1 vs WRN-10-2, \d+ epochs? over [\d,]+ images$/);
  await expect(sized).toHaveCount(3); // and the longer ones, one click away, each with its estimate
  await expect(sized.nth(1)).toContainText(/^About \d+ min: WRN-/);
  const hash = new URL(page.url()).hash;
  expect(hash).toMatch(/^#v=2&depth=22&width=1&.*&batch=32&.*&compare=10-2&/);
  await expect(page.getByTestId('run-estimate')).toContainText('measured here: WRN-22-1 at');
  const estimate = Number(await sized.first().getAttribute('data-seconds'));
  expect(estimate).toBeGreaterThan(0);
  expect(estimate).toBeLessThanOrEqual(40);
  await expectNoSidewaysScroll(page);
  const violations = await seriousViolations(page, testInfo, 'idle');
  await page.screenshot({ path: testInfo.outputPath('phone-idle.png') });

  const train = page.getByRole('button', { name: 'Train', exact: true });
  await expect(train).toBeEnabled();
  const started = Date.now();
  await train.click();

  // Training: the run's buttons and progress on top, the settings folded (one tap opens them), curves in the first screen.
  const toggle = page.getByRole('button', { name: 'Settings', exact: true });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(page.getByRole('complementary', { name: 'Settings' })).toBeHidden();
  const loss = page.getByTestId('chart-loss');
  await expect(loss).toHaveAttribute('data-points', /^[1-9]/, { timeout: 120_000 });
  await expect(loss.locator('.recharts-line-curve').first()).toBeInViewport();
  await expect(page.getByTestId('run-phase')).toBeInViewport();
  await expect(page.getByRole('button', { name: 'Stop' })).toBeInViewport();
  await expectNoSidewaysScroll(page);
  await page.screenshot({ path: testInfo.outputPath('phone-training.png') });
  violations.push(...(await seriousViolations(page, testInfo, 'training')));
  await toggle.click();
  await expect(page.getByRole('complementary', { name: 'Settings' })).toBeVisible();
  await expect(page.getByLabel('Depth', { exact: true })).toBeDisabled(); // shown, not editable while it trains
  await page.getByRole('button', { name: 'Hide settings', exact: true }).click();
  await expect(page.getByRole('complementary', { name: 'Settings' })).toBeHidden();

  // The end: both nets finished, and the result in one line, in the compare table's words.
  await expect(page.getByTestId('run-phase')).toHaveText('Finished', { timeout: 300_000 });
  const took = (Date.now() - started) / 1000;
  const ratio = took / estimate;
  testInfo.annotations.push({ type: 'first run', description: `estimated ${estimate} s, took ${took.toFixed(1)} s (x${ratio.toFixed(2)})` });
  console.log(`first run: estimated ${estimate} s, took ${took.toFixed(1)} s (x${ratio.toFixed(2)})`);
  expect(ratio).toBeGreaterThan(0.5);
  expect(ratio).toBeLessThan(2);
  const verdict = page.getByTestId('run-verdict');
  await expect(verdict).toBeInViewport();
  await expect(verdict).toContainText(
    /^Result: WRN-(22-1|10-2) is ahead of WRN-(22-1|10-2) by \d+\.\d ± \d+\.\d points, (within|larger than) the test-set noise\./,
  );
  const headline = ((await verdict.textContent()) ?? '').replace(/^Result: /, '').replace(/\. How sure is that\?$/, '');
  await expect(page.getByTestId('comparison-table').getByTestId('verdict')).toContainText(headline);
  await expect(page.getByTestId('run-table').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('cost-scatter')).toHaveAttribute('data-finished', '2');
  expect(new URL(page.url()).hash).toBe(hash); // the link still says what it trained
  await expectNoSidewaysScroll(page);
  await page.screenshot({ path: testInfo.outputPath('phone-finished.png') });
  await page.screenshot({ path: testInfo.outputPath('phone-finished-full.png'), fullPage: true });
  await expect(page.getByTestId('confusion-matrix')).toBeVisible();
  violations.push(...(await seriousViolations(page, testInfo, 'finished')));
  expect(violations).toEqual([]);
  expect(errors).toEqual([]);
});

test('keyboard only: train a comparison, jump to how sure the result is, open a class’s mistakes', async ({ page }, testInfo) => {
  const errors = collectConsoleErrors(page);
  await page.setViewportSize({ width: 1366, height: 768 });
  const link = 'v=2&depth=10&width=1&batch=8&epochs=1&train=32&test=40&lr=0.05&schedule=constant&backend=wasm&compare=10-2';
  await page.goto(`${server.site}#${link}`);
  await expect(page.getByTestId('backend-status')).toContainText('Backend: WASM', { timeout: 90_000 });
  const hash = new URL(page.url()).hash;

  // The skip link first, then (past the sample's notice and the model's fields) Train: Enter starts the run.
  const train = page.getByRole('button', { name: 'Train', exact: true });
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to results' })).toBeFocused();
  await tabTo(page, train);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('run-phase')).toHaveText('Finished', { timeout: 300_000 });

  // From wherever the focus is now, Tab reaches the result's link; Enter moves the focus to the comparison table.
  const howSure = page.getByRole('link', { name: 'How sure is that?' });
  await expect(howSure).toBeVisible();
  await tabTo(page, howSure);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('comparison')).toBeFocused();
  await expect(page.getByTestId('comparison')).toBeInViewport();
  expect(new URL(page.url()).hash).toBe(hash); // in-page links move the focus, not the link's config

  // On through the evaluation views to a class of the confusion matrix: Enter shows that class's mistakes.
  const airplane = page.getByTestId('confusion-matrix').getByRole('button', { name: 'airplane' });
  await tabTo(page, airplane);
  await page.keyboard.press('Enter');
  await expect(airplane).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByText(/^Mistakes on airplane/)).toBeVisible();
  expect(await seriousViolations(page, testInfo, 'evaluation')).toEqual([]);
  expect(errors).toEqual([]);
});
