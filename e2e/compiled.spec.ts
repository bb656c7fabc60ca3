/**
 * The compiled WebGPU step in the page, as a person meets it: with backend=webgpu the page's worker plans the whole
 * step once (engine=compiled is the default), trains a few steps, and the status line says that the compiled step
 * trains; a lost device then ends the run as it does on tfjs's path: interrupted, with its checkpoint kept and a
 * Resume offered. On SwiftShader the plan compiles every kernel (tens of seconds) and a step of WRN-10-1 at batch
 * 2 takes a second or more.
 */
import { expect, test, type Page, type Worker } from '@playwright/test';
import { collectConsoleErrors, workerDebug } from './helpers';

const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });
const stepNow = async (page: Page) => parseInt((await page.getByTestId('progress-step').textContent()) ?? '0', 10) || 0;
const storedRuns = (page: Page) => page.getByRole('list', { name: 'Stored runs' }).getByRole('listitem');

/** WRN-10-1, 40 steps of 2 images, an evaluation (and so a checkpoint) every 2 steps. */
const RUN = 'depth=10&width=1&batch=2&epochs=1&train=80&test=8&lr=0.05&schedule=constant&backend=webgpu&eval=2&seed=1';

test('the page trains with the compiled step and says so; a lost device ends the run interrupted, its checkpoint kept', async ({ page }) => {
  test.slow();
  const errors = collectConsoleErrors(page);
  const workers: Worker[] = [];
  page.on('worker', (w) => workers.push(w));
  await page.goto(`/#${RUN}`);
  await expect(page.getByTestId('backend-status')).toContainText('Backend: WebGPU', { timeout: 90_000 });
  await button(page, 'Train').click();

  const engine = page.getByTestId('engine-status');
  await expect(engine).toContainText('Engine: compiled step', { timeout: 300_000 });
  await expect(engine).toContainText(/planned once on the GPU: \d+ dispatches and one submit a step/);
  await expect.poll(() => stepNow(page), { timeout: 300_000 }).toBeGreaterThanOrEqual(3);
  await expect(storedRuns(page).first()).toContainText(/checkpoint at step [1-9]/, { timeout: 120_000 });
  await expect(page.getByTestId('chart-loss')).toHaveAttribute('data-points', /^[1-9]/);

  expect(await workerDebug(workers[0]!, 'loseDevice')).toBe(true);
  await expect(page.getByTestId('run-phase')).toHaveText(/^Interrupted/, { timeout: 120_000 });
  await expect(page.getByTestId('error-notice')).toContainText(/WebGPU device was lost/);
  await expect(storedRuns(page).first().getByTestId('history-status')).toHaveText('interrupted');
  await expect(page.getByTestId('resume-notice').getByRole('button', { name: /^Resume WRN-10-1 of .* from step \d+$/ })).toBeVisible();
  expect(errors).toEqual([]);
});
