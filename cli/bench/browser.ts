/**
 * The Chromium half of the benchmark: builds the bench page (cli/bench/web) with Vite, serves it with `vite preview`
 * (COOP/COEP headers, so the threaded WASM build can load), and drives headless Chromium through Playwright. Each
 * job runs in a fresh dedicated worker inside one page.
 *
 * Chromium is the system's (/usr/bin/chromium, or CHROMIUM_PATH): never a downloaded one. Its flags (src/node/chromium.ts)
 * give it a WebGPU adapter without a GPU (SwiftShader), or leave a real GPU to it (`--real-gpu`), and keep it off the
 * network.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from '@playwright/test';
import type { KernelJob, KernelTimingResult, NetJob, NetResult } from './types';
import type { BenchPage } from './web/page';
import type { YieldCost } from './web/protocol';
import { CHROMIUM_PATH, chromiumArgs, realGpuRequested } from '../../src/node/chromium';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const WEB_ROOT = path.join(HERE, 'web');
/** Build output: ignored by git (.gitignore has .cache/). */
const OUT_DIR = path.join(REPO, '.cache', 'bench-web');
const PORT = 4190;

/** The app's Chromium flags, plus gc() in the page and its workers: loops.ts collects garbage between turns. */
const benchChromiumArgs = (realGpu: boolean): string[] => [...chromiumArgs({ realGpu }), '--js-flags=--expose-gc'];

/** Cross-origin isolation for SharedArrayBuffer (threaded WASM), as the app's own servers send. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export interface BrowserSession {
  /** Chromium's version string */
  version: string;
  environment: ReturnType<BenchPage['environment']>;
  run(job: NetJob): Promise<NetResult>;
  runKernels(job: KernelJob): Promise<KernelTimingResult>;
  yieldCost(rounds: number): Promise<YieldCost>;
  close(): Promise<void>;
}

/** Builds and serves the page, launches Chromium, opens the page. `log` receives progress lines. */
export async function openBrowserSession(log: (line: string) => void, opts: { realGpu?: boolean } = {}): Promise<BrowserSession> {
  const vite = await import('vite');
  log('building the bench page (vite build cli/bench/web)');
  await vite.build({
    configFile: false,
    root: WEB_ROOT,
    base: './',
    logLevel: 'warn',
    worker: { format: 'es' },
    // Not minified: the dispatch counts name programs by class name (tfjs labels a pipeline with it), which a
    // minifier would mangle.
    build: { outDir: OUT_DIR, emptyOutDir: true, chunkSizeWarningLimit: 10_000, minify: false },
  });
  const server = await vite.preview({
    configFile: false,
    root: WEB_ROOT,
    logLevel: 'warn',
    build: { outDir: OUT_DIR },
    preview: { host: '127.0.0.1', port: PORT, strictPort: false, headers: ISOLATION_HEADERS },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');

  const { chromium } = await import('@playwright/test');
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: benchChromiumArgs(opts.realGpu ?? realGpuRequested()), headless: true });
    const page: Page = await browser.newPage();
    page.on('console', (m) => log(`  ${m.text()}`));
    page.on('pageerror', (e) => log(`  page error: ${e.message}`));
    await page.goto(`${url}index.html`);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
    const environment = await page.evaluate(() => (globalThis as unknown as { bench: BenchPage }).bench.environment());
    const version = browser.version();
    const b = browser;
    return {
      version,
      environment,
      run: (job) => page.evaluate((j) => (globalThis as unknown as { bench: BenchPage }).bench.run(j), job),
      runKernels: (job) => page.evaluate((j) => (globalThis as unknown as { bench: BenchPage }).bench.runKernels(j), job),
      yieldCost: (rounds) => page.evaluate((r) => (globalThis as unknown as { bench: BenchPage }).bench.yieldCost(r), rounds),
      close: async () => {
        await b.close();
        await server.close();
      },
    };
  } catch (err) {
    await browser?.close();
    await server.close();
    throw err;
  }
}
