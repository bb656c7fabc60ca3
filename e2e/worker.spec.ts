/**
 * The training worker in real headless Chromium, on WebGPU (SwiftShader), through the real worker client
 * (e2e/harness.html). Each test trains WRN-10-1 on 1 image per step: on an emulated GPU a step takes seconds
 * and the first one compiles shaders (tens of seconds on a busy machine), so waits scale with the measured step
 * time. The trainer reads metrics back every 5 steps, so steps arrive in groups. The data comes from the app
 * server's /cifar10 endpoint (server/cifarPlugin.ts over CIFAR10_DIR, set by playwright.config.ts).
 */
import { test } from '@playwright/test';
import { collectConsoleErrors, expect, openHarness, settledStep, snapshot, tinyConfig, waitForState, workerDebug } from './helpers';
import type { Config } from '../src/core/config';
import type { Harness } from './harness';

test.describe.configure({ mode: 'serial' });

/** Starts a run from the app server's CIFAR-10 in the page; returns its runId. */
function start(page: import('@playwright/test').Page, config: Config): Promise<number> {
  return page.evaluate(
    (c) => (window as unknown as { harness: Harness }).harness.client.start(c, { kind: 'server', base: `${location.origin}/cifar10` }),
    config,
  );
}

function call(page: import('@playwright/test').Page, method: 'pause' | 'resume' | 'stop'): Promise<void> {
  return page.evaluate((m) => (window as unknown as { harness: Harness }).harness.client[m](), method);
}

/** Time to wait for "nothing happens": 1.5 steps, within [3 s, 30 s]. */
function quietMs(stepMs: number): number {
  return Math.min(30_000, Math.max(3_000, 1.5 * stepMs));
}

test('trains on WebGPU in the worker: metrics, a responsive page, pause/resume, stop frees memory, export', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  const worker = await openHarness(page);

  await page.evaluate(() => (window as unknown as { harness: Harness }).harness.client.init('webgpu'));
  const ready = await waitForState(page, (s) => s.backend !== null);
  expect(ready.backend).toMatchObject({ backend: 'webgpu', softwareAdapter: true });
  const baseline = await workerDebug(worker, 'memory');

  const runId = await start(page, tinyConfig({ steps: 40, batch: 1, test: 10 }));

  // Data, samples and the model arrive before the first step's metrics.
  let s = await waitForState(page, (s) => (s.run?.models[0]?.steps.length ?? 0) > 0);
  expect(s.run).toMatchObject({ runId, status: 'running', currentModel: 0 });
  expect(s.run?.data).toMatchObject({ trainTarget: 40, testTarget: 10 });
  expect(s.run?.samples?.labels.length).toBe(10);
  expect(s.run?.models[0]).toMatchObject({ name: 'WRN-10-1', batch: 1, stepsPerEpoch: 40, totalSteps: 40 });
  const first = s.run!.models[0]!.steps[0]!;
  expect(first).toMatchObject({ step: 1, lr: 0.05 });
  expect(Number.isFinite(first.loss)).toBe(true);
  console.log(`first step (shader compilation included): ${Math.round(first.stepMs)} ms`);

  // The page's main thread answers while the worker trains: a click's handler runs promptly, timers keep time.
  await page.evaluate(() => (window as unknown as { harness: Harness }).harness.resetLag());
  await page.click('#ping');
  await expect(page.locator('#pings')).toHaveText('1');
  const clickDelayMs = await page.evaluate(() => (window as unknown as { harness: Harness }).harness.pingDelayMs);

  // Pause: the trainer finishes the steps it has queued on the GPU, reports them, then runs none.
  await call(page, 'pause');
  await waitForState(page, (s) => s.run?.status === 'paused');
  const pausedAt = await settledStep(worker, 3_000);
  expect(pausedAt).not.toBeNull();
  s = await waitForState(page, (s, n) => s.run?.models[0]?.steps.at(-1)?.step === n, pausedAt);
  const stepMs = s.run!.models[0]!.steps.at(-1)!.stepMs;
  const lagMs = await page.evaluate(() => (window as unknown as { harness: Harness }).harness.maxLagMs);
  console.log(
    `paused after step ${pausedAt}; steady step ${Math.round(stepMs)} ms (batch 1); click handler ran ` +
      `${clickDelayMs?.toFixed(1)} ms after its input event; worst timer lag while training ${Math.round(lagMs)} ms`,
  );
  expect(clickDelayMs).toBeLessThan(500);
  expect(lagMs).toBeLessThan(1_000);
  await page.waitForTimeout(quietMs(stepMs));
  expect((await workerDebug(worker, 'run'))?.step).toBe(pausedAt);
  expect((await snapshot(page)).run?.models[0]?.steps.at(-1)?.step).toBe(pausedAt);
  expect(pausedAt!).toBeLessThan(40);

  // Resume, and stop as soon as the trainer is past the pause: the model ends as stopped, with a last evaluation.
  await call(page, 'resume');
  await waitForState(page, (s) => s.run?.status === 'running');
  await expect.poll(async () => (await workerDebug(worker, 'run'))?.step ?? 0, { timeout: 120_000 }).toBeGreaterThan(pausedAt!);
  await call(page, 'stop');
  s = await waitForState(page, (s) => s.run?.status === 'stopped');
  const model = s.run!.models[0]!;
  expect(model.summary).toMatchObject({ status: 'stopped' });
  expect(model.summary!.steps).toBeGreaterThan(pausedAt!);
  expect(model.summary!.steps).toBeLessThan(40);
  // Every step reported once, in order: training went on from the step where it paused.
  expect(model.steps.map((p) => p.step)).toEqual(Array.from({ length: model.summary!.steps }, (_, i) => i + 1));
  expect(model.evals.at(-1)).toMatchObject({ step: model.summary!.steps, testImages: 10 });
  expect(s.errors).toEqual([]);

  // Stopping freed the model's tensors.
  const after = await workerDebug(worker, 'memory');
  console.log(`tensors: ${baseline.numTensors} before the run, ${after.numTensors} after stop (${after.numBytes} bytes)`);
  expect(after.numTensors).toBe(baseline.numTensors);
  expect(after.numBytes).toBe(baseline.numBytes);
  expect(await workerDebug(worker, 'run')).toMatchObject({ runId, active: false, step: null });

  // The stopped model's weights export as tfjs's model.json + weights.bin.
  const exported = await page.evaluate(async () => {
    const w = await (window as unknown as { harness: Harness }).harness.client.exportWeights(0);
    const json = JSON.parse(w.modelJson) as { weightsManifest: { paths: string[]; weights: { shape: number[] }[] }[] };
    const floats = json.weightsManifest[0]!.weights.reduce((n, spec) => n + spec.shape.reduce((a, b) => a * b, 1), 0);
    return { name: w.name, paths: json.weightsManifest[0]!.paths, bytes: w.weights.byteLength, floats };
  });
  expect(exported).toMatchObject({ name: 'WRN-10-1', paths: ['weights.bin'] });
  expect(exported.bytes).toBe(exported.floats * 4);
  expect(exported.floats).toBeGreaterThan(model.params);

  expect(errors).toEqual([]);
});

test('a lost WebGPU device ends the run as interrupted (device-lost, resumable), and the next run trains on a new device', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  const worker = await openHarness(page);

  const lostRun = await start(page, tinyConfig({ steps: 40, batch: 1, test: 4 }));
  await waitForState(page, (s) => (s.run?.models[0]?.steps.length ?? 0) > 0);
  const announced = await page.evaluate(() => (window as unknown as { harness: Harness }).harness.backendMessages);
  expect(await workerDebug(worker, 'loseDevice')).toBe(true);

  // Not the run's fault: the page marks it interrupted, so that it can be resumed from its last checkpoint.
  let s = await waitForState(page, (s) => s.run?.status === 'interrupted' || s.run?.status === 'failed');
  expect(s.run?.status).toBe('interrupted');
  expect(s.run).toMatchObject({ runId: lostRun, error: { code: 'device-lost' } });
  expect(s.run?.error?.suggestion).toMatch(/start the run again/i);
  // The worker rebuilds the backend on a new device and says so.
  await page.waitForFunction((n) => (window as unknown as { harness: Harness }).harness.backendMessages > n, announced);
  expect((await snapshot(page)).backend?.backend).toBe('webgpu');
  const baseline = await workerDebug(worker, 'memory');

  const nextRun = await start(page, tinyConfig({ steps: 1, batch: 1, test: 4 }));
  s = await waitForState(page, (s) => s.run?.status === 'finished' || s.run?.status === 'failed');
  expect(s.run).toMatchObject({ runId: nextRun, status: 'finished', error: null });
  expect(s.run?.models[0]?.summary).toMatchObject({ status: 'finished', steps: 1 });
  expect(s.run?.models[0]?.steps.map((p) => p.step)).toEqual([1]);
  const after = await workerDebug(worker, 'memory');
  expect(after.numTensors).toBe(baseline.numTensors);

  // The loss is reported once, as the run's error: nothing else went to the console.
  expect(errors).toEqual([]);
});
