/**
 * The built site as a static host serves it: dist/ under a sub-path (/wrn-playground/, like a project page) from a
 * plain Node file server, with no COOP/COEP headers and no app server (so no live /cifar10 endpoint: the site's own
 * cifar10/status file says so). The page must find its worker, WASM files and the built-in sample by relative URLs,
 * pick the sample on its own, train on it in Chromium and plot points, with no request that fails and nothing in
 * the console; the link-preview tags and the web app manifest must be there and point at files that exist.
 *
 * dist/ is what Playwright's webServer built for this run (e2e/vite.config.ts: the app, and the e2e harness pages
 * beside it, harmless here).
 */
import { test, expect, type Page } from '@playwright/test';
import { collectConsoleErrors } from './helpers';
import { PREFIX, startStaticServer, type StaticServer } from './staticServer';

let server: StaticServer;
let origin = '';
/** every path the static server was asked for, with its status */
let served: StaticServer['served'] = [];

test.beforeAll(async () => {
  server = await startStaticServer();
  origin = server.origin;
  served = server.served;
});

test.afterAll(async () => {
  await server.close();
});

/**
 * Every request of the page and its workers that failed (no answer) or was answered 400 or more: a static site
 * has nothing to ask for that is not in it. Chromium would log those as console errors too.
 */
function collectFailedRequests(page: Page): string[] {
  const failed: string[] = [];
  page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText ?? 'failed'}`));
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.url()}: ${r.status()}`);
  });
  return failed;
}

test('the built site under a sub-path of a plain static server trains on the built-in sample and plots points', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  const failed = collectFailedRequests(page);
  await page.goto(`${origin}${PREFIX}#depth=10&width=1&batch=8&epochs=1&train=64&test=50&lr=0.05&schedule=constant&backend=wasm`);
  await expect(page.getByRole('heading', { name: 'Wide ResNet playground' })).toBeVisible();

  // No app server: the sample is chosen, the server option says why it is off, the full data set is one click away.
  await expect(page.getByRole('radio', { name: /Built-in sample/ })).toBeChecked({ timeout: 30_000 });
  await expect(page.getByRole('radio', { name: /This app’s server/ })).toBeDisabled();
  const notice = page.getByTestId('sample-notice');
  await expect(notice).toContainText('This site has no CIFAR-10 server, so training uses the built-in sample (2,000 training and 1,000 test images)');
  await expect(notice.getByRole('button', { name: /Use the full CIFAR-10 \(162 MiB/ })).toBeVisible();

  // Not cross-origin isolated: WASM on one thread, and the page says so.
  await expect(page.getByTestId('backend-status')).toContainText('Backend:', { timeout: 90_000 });
  await expect(page.getByTestId('wasm-threads')).toHaveText(' · 1 thread');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  await expect(page.getByTestId('run-estimate')).toContainText('Estimated time: under a minute on WASM'); // 64 images of WRN-10-1

  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-phase')).toHaveText('Finished', { timeout: 300_000 });
  const loss = page.getByTestId('chart-loss');
  await expect(loss).toHaveAttribute('data-points', /^[1-9]/);
  await expect(loss.locator('.recharts-line-curve').first()).toBeVisible();
  await expect(page.getByTestId('run-table').locator('tbody tr')).toHaveCount(1);

  // Everything came by relative URLs from under the sub-path: the worker, a WASM binary, the sample.
  const ok = served.filter((s) => s.status === 200).map((s) => s.path);
  expect(ok.some((p) => /^\/wrn-playground\/assets\/training\.worker-.*\.js$/.test(p))).toBe(true);
  expect(ok.some((p) => /^\/wrn-playground\/assets\/tfjs-backend-wasm.*\.wasm$/.test(p))).toBe(true);
  for (const f of ['sample.json', 'train.png', 'test.png']) expect(ok).toContain(`/wrn-playground/cifar10-sample/${f}`);
  // The probe for an app server asked next to the page and got the site's answer ("none"), not a 404.
  expect(ok).toContain('/wrn-playground/cifar10/status');
  expect(served.filter((s) => s.status !== 200).map((s) => s.path)).toEqual([]);
  expect(failed).toEqual([]);
  expect(errors).toEqual([]);
});

test('the page carries Open Graph and Twitter card tags whose picture and icon exist', async ({ page, request }) => {
  const errors = collectConsoleErrors(page);
  const failed = collectFailedRequests(page);
  await page.goto(`${origin}${PREFIX}`);
  // The page settles on the sample (its probe answered) before the checks below.
  await expect(page.getByRole('radio', { name: /Built-in sample/ })).toBeChecked({ timeout: 30_000 });
  const meta = (selector: string) => page.locator(selector).getAttribute('content');
  expect(await meta('meta[property="og:title"]')).toBe('Wide ResNet playground');
  expect(await meta('meta[property="og:description"]')).toMatch(/Wide Residual Networks on CIFAR-10/);
  expect(await meta('meta[property="og:type"]')).toBe('website');
  expect(await meta('meta[name="twitter:card"]')).toBe('summary_large_image');
  expect(await meta('meta[name="twitter:title"]')).toBe('Wide ResNet playground');
  for (const selector of ['meta[property="og:image"]', 'meta[name="twitter:image"]']) {
    const image = new URL((await meta(selector))!, page.url()).href;
    const res = await request.get(image);
    expect(res.status(), image).toBe(200);
    expect(res.headers()['content-type']).toBe('image/png');
    const png = await res.body();
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1200, 630]); // IHDR width, height
  }
  const icon = new URL((await page.locator('link[rel="icon"]').getAttribute('href'))!, page.url()).href;
  expect((await request.get(icon)).status()).toBe(200);
  // Installable: a web app manifest, relative to the site's folder, with PNG icons of the sizes it says.
  const manifestUrl = new URL((await page.locator('link[rel="manifest"]').getAttribute('href'))!, page.url()).href;
  expect(manifestUrl).toBe(`${origin}${PREFIX}manifest.webmanifest`);
  const manifest = (await (await request.get(manifestUrl)).json()) as {
    name: string;
    start_url: string;
    scope: string;
    display: string;
    icons: { src: string; sizes: string; type: string; purpose?: string }[];
  };
  expect(manifest).toMatchObject({ name: 'Wide ResNet playground', start_url: './', scope: './', display: 'standalone' });
  expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
  expect(manifest.icons.some((i) => i.purpose === 'maskable')).toBe(true);
  for (const i of manifest.icons) {
    const res = await request.get(new URL(i.src, manifestUrl).href);
    expect(res.status(), i.src).toBe(200);
    const png = await res.body();
    expect(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`).toBe(i.sizes);
  }
  expect(failed).toEqual([]);
  expect(errors).toEqual([]);
});
