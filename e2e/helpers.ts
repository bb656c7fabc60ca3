/**
 * Shared helpers for the end-to-end tests: console-error collection, the worker harness page
 * (e2e/harness.html, which exposes the real worker client as `window.harness`), small run configs, and made-up
 * runs to import.
 */
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, type TestInfo, type Worker } from '@playwright/test';
import { DEFAULT_CONFIG, type Config } from '../src/core/config';
import { DATA_DIR } from '../test/fixtures/data';
import type { Harness } from './harness';
import type { TrainingWorkerDebug } from '../src/worker/training.worker';
import type { WorkerState } from '../src/ui/workerClient';
import type { RunRecord } from '../src/ui/lib/runRecord';

/**
 * Collects console errors and uncaught exceptions from the page and its workers (Playwright reports a dedicated
 * worker's console on its page). Check it at the end of a test: `expect(errors).toEqual([])`.
 */
export function collectConsoleErrors(page: Page, ignore: readonly RegExp[] = []): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error' || ignore.some((re) => re.test(msg.text()))) return;
    const where = msg.location().url;
    errors.push(`console: ${msg.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return errors;
}

/**
 * axe-core's serious and critical findings on the page as it is now, one line each ([] when none); the whole report
 * is attached to the test as axe-NAME.json.
 */
export async function seriousViolations(page: Page, testInfo: TestInfo, name: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(results.violations, null, 2), contentType: 'application/json' });
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${name}: ${v.id} (${v.impact}) on ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * A WRN-10-1 run small enough for an emulated GPU: `steps` SGD steps of `batch` images, one evaluation. On tfjs's
 * path (engine=tfjs): planning the compiled step compiles all its kernels in each new worker (tens of seconds on
 * SwiftShader), so the compiled engine has a spec of its own (compiled.spec.ts).
 */
export function tinyConfig(overrides: Partial<Config> & { steps?: number } = {}): Config {
  const { steps = 4, ...rest } = overrides;
  const batch = rest.batch ?? 4;
  return {
    ...DEFAULT_CONFIG,
    depth: 10,
    width: 1,
    batch,
    epochs: 1,
    train: steps * batch,
    test: 20,
    lr: 0.05,
    schedule: 'constant',
    backend: 'webgpu',
    engine: 'tfjs',
    compare: [],
    ...rest,
  };
}

/** What `madeUpRun` makes: a net's size, its pace, and where it was evaluated. */
export interface MadeUpRun {
  name: string;
  /** the record's id; default: the name */
  id?: string;
  params: number;
  macs: number;
  steps: number;
  /** active seconds and training FLOPs per step: a point at step s has spent s times these */
  secondsPerStep: number;
  flopsPerStep: number;
  /** the evaluations, each after `at` steps (its step is the nearest whole one), with what it measured */
  evals: { at: number; testLoss: number; testAccuracy: number; testImages: number }[];
}

/**
 * A run that never trained, for the tests that import metrics (the numbers are known exactly): a falling loss and a
 * rising training accuracy at every step, then the given evaluations, each with the same confusion matrix.
 */
export function madeUpRun(r: MadeUpRun): RunRecord {
  const confusion = Array.from({ length: 100 }, (_, i) => (i % 11 === 0 ? 8 : 1));
  return {
    id: r.id ?? r.name,
    name: r.name,
    params: r.params,
    macs: r.macs,
    imported: false,
    totalSteps: r.steps,
    summary: null,
    steps: Array.from({ length: r.steps }, (_, i) => ({
      kind: 'step' as const,
      step: i + 1,
      epoch: (i + 1) / 10,
      loss: 2.3 / (1 + i / 10),
      trainAccuracy: 0.1 + i / (2 * r.steps),
      lr: 0.1,
      imagesPerSec: 100,
      stepMs: 80,
      numTensors: 200,
      deviceBytes: 1e6,
      seconds: (i + 1) * r.secondsPerStep,
      flops: (i + 1) * r.flopsPerStep,
    })),
    evals: r.evals.map((e) => ({
      kind: 'eval' as const,
      step: Math.round(e.at),
      epoch: e.at / 10,
      testLoss: e.testLoss,
      testAccuracy: e.testAccuracy,
      testImages: e.testImages,
      seconds: e.at * r.secondsPerStep,
      flops: e.at * r.flopsPerStep,
      confusion,
    })),
  };
}

/** Opens the harness page and waits for its worker to exist; returns that worker's Playwright handle. */
export async function openHarness(page: Page): Promise<Worker> {
  const workerCreated = page.waitForEvent('worker');
  await page.goto('/e2e/harness.html');
  await page.waitForFunction(() => 'harness' in window);
  return workerCreated;
}

/** The worker client's current snapshot (a structured-cloned copy). */
export function snapshot(page: Page): Promise<WorkerState> {
  return page.evaluate(() => (window as unknown as { harness: Harness }).harness.client.getSnapshot());
}

/**
 * Waits until `predicate(snapshot, arg)` holds in the page, then returns the snapshot. The predicate is sent to the
 * browser as source text, so it may use only its parameters (pass values through `arg`).
 */
export async function waitForState<A = null>(
  page: Page,
  predicate: (s: WorkerState, arg: A) => boolean,
  arg: A = null as A,
  timeout = 180_000,
): Promise<WorkerState> {
  await page.waitForFunction(
    ({ src, arg }) => {
      const test = new Function(`return (${src})`)() as (s: WorkerState, a: unknown) => boolean;
      return test((window as unknown as { harness: Harness }).harness.client.getSnapshot(), arg);
    },
    { src: predicate.toString(), arg },
    { timeout, polling: 250 },
  );
  return snapshot(page);
}

/** Calls one of the worker's debug hooks (see training.worker.ts) inside the worker. */
export function workerDebug<K extends keyof TrainingWorkerDebug>(worker: Worker, hook: K): Promise<ReturnType<TrainingWorkerDebug[K]>> {
  return worker.evaluate((name) => {
    const debug = (self as unknown as { wrnDebug: TrainingWorkerDebug }).wrnDebug;
    return debug[name]() as ReturnType<TrainingWorkerDebug[K]>;
  }, hook);
}

/** Polls the worker until its current model's step counter has not moved for `quietMs`; returns that step. */
export async function settledStep(worker: Worker, quietMs: number): Promise<number | null> {
  let last = (await workerDebug(worker, 'run'))?.step ?? null;
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    await new Promise((r) => setTimeout(r, 250));
    const now = (await workerDebug(worker, 'run'))?.step ?? null;
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
  return last;
}

/**
 * Serves CIFAR-10 from disk at `<origin>/cifar10/...` inside the browser (Playwright routes the worker's fetches
 * too), in the app server's manifest format: for a test that must not depend on the server's own endpoint, or
 * that wants to shape what it serves. The app's preview server serves the same files itself (server/cifarPlugin.ts).
 */
export async function routeCifarFromDisk(page: Page, dir = DATA_DIR): Promise<void> {
  const files = [
    { name: 'train_subset.bin', split: 'train' },
    { name: 'test_subset.bin', split: 'test' },
  ].map((f) => ({ ...f, bytes: fs.statSync(path.join(dir, f.name)).size, url: `files/${f.name}` }));
  await page.route('**/cifar10/**', (route) => {
    const { pathname } = new URL(route.request().url());
    if (pathname.endsWith('/manifest.json') || pathname.endsWith('/status')) {
      return route.fulfill({ json: { status: 'ready', source: `disk ${dir}`, bytesLoaded: 0, bytesTotal: null, error: null, files } });
    }
    const file = files.find((f) => pathname.endsWith(`/${f.url}`));
    return file ? route.fulfill({ path: path.join(dir, file.name) }) : route.fulfill({ status: 404 });
  });
}

export { expect };
