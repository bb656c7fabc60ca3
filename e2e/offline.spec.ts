/**
 * Offline and updates, on the built site under a sub-path of a plain static server (staticServer.ts): after one
 * visit the service worker has the page, its worker, the WASM files and the built-in sample, so a reload with the
 * network gone (the context offline and the server down) trains on the sample and draws curves, without one request
 * reaching the server. A new deployment is announced by the page ("Reload to update"), not mixed into it.
 *
 * The changed build is dist/ with a marker in index.html and that file's revision in sw.js, as a rebuild would
 * write them (building the app again would take minutes on this machine).
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect, type Page } from '@playwright/test';
import { collectConsoleErrors } from './helpers';
import { DIST, startStaticServer, type StaticServer } from './staticServer';

const TINY = 'depth=10&width=1&batch=8&epochs=1&train=64&test=50&lr=0.05&schedule=constant&backend=wasm';

test.use({ serviceWorkers: 'allow' }); // as a person's browser does (playwright.config.ts blocks them elsewhere)

let server: StaticServer;
test.beforeEach(async () => {
  server = await startStaticServer();
});
test.afterEach(async () => {
  await server.close();
});

/** Waits until the site's service worker is active (its precache complete) and returns its script's path. */
async function serviceWorkerReady(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return new URL(registration.active!.scriptURL).pathname;
  });
}

test('after one visit the site loads and trains on the sample with no network', async ({ page, context }) => {
  const errors = collectConsoleErrors(page);
  await page.goto(`${server.site}#v=2&${TINY}`);
  await expect(page.getByRole('radio', { name: /Built-in sample/ })).toBeChecked({ timeout: 30_000 });
  expect(await serviceWorkerReady(page)).toBe('/wrn-playground/sw.js');

  // The network goes: the browser context is offline and the host is down (it would answer nothing anyway).
  await context.setOffline(true);
  server.setDown(true);
  const before = server.served.length;
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Wide ResNet playground' })).toBeVisible();
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);
  await expect(page.getByRole('radio', { name: /Built-in sample/ })).toBeChecked({ timeout: 30_000 });
  await expect(page.getByTestId('backend-status')).toContainText('Backend: WASM', { timeout: 90_000 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-phase')).toHaveText('Finished', { timeout: 300_000 });
  const loss = page.getByTestId('chart-loss');
  await expect(loss).toHaveAttribute('data-points', /^[1-9]/);
  await expect(loss.locator('.recharts-line-curve').first()).toBeVisible();
  // Everything came from the service worker's cache: the page, the worker, the WASM binary, the sample. Only the
  // browser's own check for a new sw.js tried the network (it does on a navigation, and fails quietly offline).
  expect(server.served.slice(before).filter((s) => !s.path.endsWith('/sw.js'))).toEqual([]);
  expect(errors).toEqual([]);
});

test('a new deployment shows "Reload to update", and the reload brings it', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  await page.goto(`${server.site}#v=2&${TINY}`);
  await serviceWorkerReady(page);
  await expect(page.getByTestId('update-prompt')).toHaveCount(0);

  // Deploy a changed build: index.html gains a marker, and sw.js lists its new revision.
  const next = mkdtempSync(path.join(os.tmpdir(), 'wrn-site-'));
  try {
    cpSync(DIST, next, { recursive: true });
    const html = readFileSync(path.join(next, 'index.html'), 'utf8').replace('</head>', '<meta name="build" content="next" />\n  </head>');
    writeFileSync(path.join(next, 'index.html'), html);
    const sw = readFileSync(path.join(next, 'sw.js'), 'utf8');
    const revision = createHash('md5').update(html).digest('hex');
    const changed = sw.replace(/(\{url:"index\.html",revision:")[0-9a-f]+"/, `$1${revision}"`);
    expect(changed).not.toBe(sw);
    writeFileSync(path.join(next, 'sw.js'), changed);
    server.setRoot(next);

    // The open page learns of it when it next asks (a reload, or the hourly check) and says so; the old version runs on.
    await page.reload();
    const prompt = page.getByTestId('update-prompt');
    await expect(prompt).toContainText('A new version of the playground is ready', { timeout: 60_000 });
    expect(await page.locator('meta[name="build"]').count()).toBe(0);
    await prompt.getByRole('button', { name: 'Reload to update' }).click();
    await expect(page.locator('meta[name="build"]')).toHaveAttribute('content', 'next', { timeout: 60_000 });
    await expect(page.getByTestId('update-prompt')).toHaveCount(0);
  } finally {
    rmSync(next, { recursive: true, force: true });
  }
  expect(errors).toEqual([]);
});
