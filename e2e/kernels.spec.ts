/**
 * Our WebGPU kernels (src/core/kernels/webgpu) against tfjs-webgpu's own in real headless Chromium, the
 * Chromium half of webgpuKernels.test.ts / webgpuTraining.test.ts (Node): batch norm in training (forward and
 * backward), the convolution filter gradient and the input gradient on every layer shape of WRN-10-1, 16-4, 22-3
 * and 28-10 (from the builder) at batch 1, 3 and 8, each output within 1e-4 relative error (max |ours - theirs| /
 * max |theirs|) with no leaked tensors or buffers; and a whole WRN-10-1's weight gradients. The page
 * (e2e/kernels.html) sets WebGPU up as the app's worker does and fails the suite if it got another backend.
 *
 * On SwiftShader this is slow (every case runs each kernel twice on an emulated GPU), so there is one test per
 * kernel and batch, on one page shared by the file's tests (shaders compile once).
 */
import { type Page, test } from '@playwright/test';
import type { KernelChoice } from '../src/core/kernels/webgpu/install';
import type { KernelKind } from '../src/core/kernels/webgpu/kernelCases';
import { collectConsoleErrors, expect } from './helpers';
import type { KernelsHarness, RunRecord } from './kernelsHarness';

const MAX_ERROR = 1e-4;

/**
 * Distinct layer shapes of the four nets per batch, counted from the architecture (model.ts): batch norm sees
 * [32,32,16] and, per width k, [32,32,16k], [16,16,32k], [8,8,64k] (k = 1 adds only the last two): 12. Convolutions:
 * the stem, and per group the first block's 3x3, the 3x3 after it and the 1x1 shortcut (9 per net; WRN-10-1's first
 * group has one shape and no shortcut: 7): 35.
 */
const SHAPES_PER_BATCH: Record<KernelKind, number> = { batchNorm: 12, convFilterGrad: 35, convInputGrad: 35 };

/**
 * Whether the passes with our kernels must run programs that tfjs's passes do not (and the other way round), so that
 * a comparison can never be tfjs against tfjs. The input gradient is tfjs's own program in both for now
 * (BENCHMARKS.md section 8); should ours replace it, the comparison holds as it is.
 */
const OURS_DIFFER: Record<KernelKind, boolean> = { batchNorm: true, convFilterGrad: true, convInputGrad: false };

const BATCHES = [1, 3, 8];

// the longest test (the filter gradient at batch 8) took 5.3-6.4 min on 2 loaded cores: 3x that before one counts as hung
test.describe.configure({ timeout: 20 * 60_000 });

let page: Page;
let errors: string[];

test.beforeAll(async ({ browser }) => {
  test.setTimeout(300_000);
  page = await browser.newPage();
  errors = collectConsoleErrors(page);
  await page.goto('/e2e/kernels.html');
  await page.waitForFunction(() => 'kernels' in window);
  const { choice, oursInstalled } = await page.evaluate(() => (window as unknown as { kernels: KernelsHarness }).kernels.setUp());
  console.log(`backend: ${await page.locator('#backend').textContent()}`);
  // a fallback (WASM, WebGL, CPU) would compare nothing of ours: the suite stops here, saying why
  expect(choice.backend, `${choice.reason}; tried: ${JSON.stringify(choice.tried)}`).toBe('webgpu');
  expect(choice.adapter).toBeTruthy();
  expect(oursInstalled).toBe(true);
});

test.afterAll(async () => {
  await page?.close();
});

test.afterEach(() => {
  expect(errors).toEqual([]);
});

/** Programs (pipeline labels) that ran in the passes with one kernel set and not in those with the other. */
function onlyIn(run: RunRecord, set: KernelChoice, other: KernelChoice): string[] {
  return Object.keys(run.programs[set]).filter((p) => !(p in run.programs[other]));
}

/** One line on what each set dispatched (labels are minified class names in this build, so counts only). */
function programsLine(run: RunRecord): string {
  const side = (set: KernelChoice, other: KernelChoice) =>
    `${set} ${Object.values(run.programs[set]).reduce((a, b) => a + b, 0)} dispatches of ${Object.keys(run.programs[set]).length} programs ` +
    `(${onlyIn(run, set, other).length} not in ${other})`;
  return `${side('ours', 'tfjs')}, ${side('tfjs', 'ours')}`;
}

/** The checks every run shares: still on WebGPU, nothing leaked, both kernel sets ran (and differ where they must). */
function checkRecord(run: RunRecord, oursDiffer: boolean): void {
  expect(run.backend).toBe('webgpu');
  expect(run.after, 'live tensors and buffers after the run (before it: expected)').toEqual(run.before);
  for (const set of ['ours', 'tfjs'] as const) expect(Object.keys(run.programs[set]), `programs dispatched with ${set}`).not.toEqual([]);
  if (oursDiffer) {
    expect(onlyIn(run, 'ours', 'tfjs'), "programs only our kernels' passes ran").not.toEqual([]);
    expect(onlyIn(run, 'tfjs', 'ours'), "programs only tfjs's passes ran").not.toEqual([]);
  }
}

for (const kind of ['batchNorm', 'convFilterGrad', 'convInputGrad'] as const) {
  for (const batch of BATCHES) {
    test(`${kind}: every layer shape of WRN-10-1, 16-4, 22-3 and 28-10 at batch ${batch} within ${MAX_ERROR} of tfjs-webgpu, nothing leaked`, async () => {
      const run = await page.evaluate(([k, b]) => (window as unknown as { kernels: KernelsHarness }).kernels.runKind(k, { batches: [b] }), [
        kind,
        batch,
      ] as const);
      const slowest = [...run.cases].sort((a, b) => b.ms - a.ms).slice(0, 3);
      console.log(
        `${kind}, batch ${batch}: ${run.cases.length} cases in ${(run.ms / 1000).toFixed(1)} s, worst relative error ` +
          `${run.worst.toExponential(2)}; slowest: ${slowest.map((c) => `${c.label} ${(c.ms / 1000).toFixed(1)} s`).join('; ')}; ${programsLine(run)}`,
      );
      expect(run.cases).toHaveLength(SHAPES_PER_BATCH[kind]);
      const over = run.cases.filter((c) => !(c.worst < MAX_ERROR)).map((c) => `${c.label}: ${JSON.stringify(c.errors)}`);
      expect(over, `cases over ${MAX_ERROR}`).toEqual([]);
      checkRecord(run, OURS_DIFFER[kind]);
    });
  }
}

test(`WRN-10-1 at batch 3: every weight gradient with our kernels within ${MAX_ERROR} of tfjs's kernels, nothing leaked`, async () => {
  const g = await page.evaluate(() => (window as unknown as { kernels: KernelsHarness }).kernels.gradients(10, 1, 3));
  console.log(
    `${g.label}: loss ${g.lossOurs} (ours) vs ${g.lossTfjs} (tfjs), worst relative error ${g.worst.toExponential(2)}, ${(g.ms / 1000).toFixed(1)} s`,
  );
  // the stem conv; per block two BN (gamma, beta) and two convs; two projection shortcuts; the head's BN and dense
  expect(Object.keys(g.errors)).toHaveLength(1 + 3 * 6 + 2 + 2 + 2);
  expect(g.lossOurs).toBeGreaterThan(1); // an untrained net on 10 classes
  expect(Math.abs(g.lossOurs - g.lossTfjs) / g.lossTfjs).toBeLessThan(1e-5);
  const over = Object.entries(g.errors).filter(([, e]) => !(e < MAX_ERROR));
  expect(over, `weight gradients over ${MAX_ERROR}`).toEqual([]);
  checkRecord(g, true);
});
