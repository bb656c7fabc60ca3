/**
 * End-to-end tests in real headless Chromium (Debian's /usr/bin/chromium; never `npx playwright install`).
 *
 * WebGPU runs on SwiftShader, a CPU emulation of Vulkan (src/node/chromium.ts; WRN_REAL_GPU=1 leaves it to a real
 * GPU): a
 * WRN-10-1 step takes seconds and the first one compiles shaders for about 11 s, hence the long timeouts and a
 * single worker (two browsers would only fight over the 2 cores).
 *
 * The webServer below builds the app and the e2e harness pages into dist/ in one build (e2e/vite.config.ts) and
 * serves them with `vite preview` at 127.0.0.1 (a secure context, which navigator.gpu requires). Outside CI a server
 * already listening on the port is reused as it is (no build): stop it after changing the app.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import { CHROMIUM_PATH, chromiumArgs } from './src/node/chromium';
import { DATA_DIR } from './test/fixtures/data';

const repo = path.dirname(fileURLToPath(import.meta.url));
/** 4173, vite preview's default; E2E_PORT moves it (e.g. when several checkouts test on one machine). */
const PORT = Number(process.env['E2E_PORT'] ?? 4173);

export default defineConfig({
  testDir: 'e2e',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env['CI'],
  retries: 0,
  // A test trains a few steps on an emulated GPU: minutes, not seconds.
  timeout: 480_000,
  expect: { timeout: 60_000 },
  reporter: process.env['CI'] ? [['list'], ['html', { open: 'never' }]] : [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: CHROMIUM_PATH, args: chromiumArgs() },
    trace: 'retain-on-failure',
    // The built app registers a service worker (offline use). It would serve later loads of a test's page from its
    // cache, past page.route, and precache 11 MB in every test: only the specs about it (offline, first visit) allow it.
    serviceWorkers: 'block',
  },
  webServer: {
    command: `npx vite build -c e2e/vite.config.ts && npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}/e2e/harness.html`,
    cwd: repo,
    reuseExistingServer: !process.env['CI'],
    timeout: 180_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      // The CIFAR-10 subsets the tests use (DATA_DIR: $CIFAR10_DIR's when there, else the built-in sample as .bin files).
      CIFAR10_DIR: DATA_DIR,
      // Vite 8 lists what would break under its experimental native config loader; we use the default loader.
      VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true',
    },
  },
});
