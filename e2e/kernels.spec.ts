/**
 * Our WebGPU kernels (src/core/kernels/webgpu) against tfjs-webgpu's own in real headless Chromium: what only the page
 * can show, next to the Node tests (webgpuKernels.webgpu.test.ts, webgpuTraining.webgpu.test.ts), which run the
 * kernels on Node's Dawn. The page (e2e/kernels.html) sets WebGPU up as the app's worker does and fails the suite if
 * it got another backend; then Chromium's own WebGPU runs the representative shapes (test/fixtures/kernelCases.ts) at
 * batch 3, which alone takes every branch of each kernel (kernelPlans.test.ts), each output within 1e-4 relative
 * error (max |ours - theirs| / max |theirs|) with no leaked tensors or buffers, and a whole WRN-10-1's weight gradients.
 * `npm run test:kernels-full` (WRN_KERNEL_SWEEP=full) runs every layer shape of WRN-10-1, 16-4, 22-3 and 28-10 at
 * batch 1, 3 and 8 instead (an hour on SwiftShader).
 *
 * One page is shared by the file's tests (shaders compile once).
 */
import { type Page, test } from '@playwright/test';
import type { KernelChoice } from '../src/core/kernels/webgpu/install';
import { FULL_SWEEP_ENV, type KernelKind, kernelSweep, onlyIn, type ProgramsBySet } from '../test/fixtures/kernelCases';
import { collectConsoleErrors, expect } from './helpers';
import type { KernelsHarness, RunRecord } from './kernelsHarness';

const MAX_ERROR = 1e-4;

const FULL = process.env[FULL_SWEEP_ENV] === 'full';
/** The representative set at batch 3 (or, full, every batch of the full sweep, one test per kernel and batch). */
const BATCHES: readonly number[] = FULL ? [1, 3, 8] : [3];
const SWEEP = kernelSweep(FULL);

// Measured on 2 loaded cores: the representative set's slowest kernel about a minute; the full sweep's slowest test
// (the filter gradient at batch 8) 5.3-6.4 min. 3x that before one counts as hung.
test.describe.configure({ timeout: FULL ? 20 * 60_000 : 5 * 60_000 });

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

/** One line on what each set dispatched (labels are minified class names in this build, so counts only). */
function programsLine(programs: ProgramsBySet): string {
  const side = (set: KernelChoice, other: KernelChoice) =>
    `${set} ${Object.values(programs[set]).reduce((a, b) => a + b, 0)} dispatches of ${Object.keys(programs[set]).length} programs ` +
    `(${onlyIn(programs, set, other).length} not in ${other})`;
  return `${side('ours', 'tfjs')}, ${side('tfjs', 'ours')}`;
}

/** The checks every run shares: still on WebGPU, nothing leaked, both kernel sets ran different programs. */
function checkRecord(run: RunRecord): void {
  expect(run.backend).toBe('webgpu');
  expect(run.after, 'live tensors and buffers after the run (before it: expected)').toEqual(run.before);
  expect(onlyIn(run.programs, 'ours', 'tfjs'), "programs only our kernels' passes ran").not.toEqual([]);
  expect(onlyIn(run.programs, 'tfjs', 'ours'), "programs only tfjs's passes ran").not.toEqual([]);
}

for (const kind of ['batchNorm', 'convFilterGrad', 'convInputGrad'] as const satisfies readonly KernelKind[]) {
  for (const batch of BATCHES) {
    test(`${kind}: ${FULL ? 'every layer shape of four nets' : 'the representative shapes'} at batch ${batch} within ${MAX_ERROR} of tfjs-webgpu, nothing leaked`, async () => {
      const run = await page.evaluate(([k, b, full]) => (window as unknown as { kernels: KernelsHarness }).kernels.runKind(k, { full, batches: [b] }), [
        kind,
        batch,
        FULL,
      ] as const);
      const slowest = [...run.cases].sort((a, b) => b.ms - a.ms).slice(0, 3);
      console.log(
        `${kind}, batch ${batch}: ${run.cases.length} cases in ${(run.ms / 1000).toFixed(1)} s, worst relative error ` +
          `${run.worst.toExponential(2)}; slowest: ${slowest.map((c) => `${c.label} ${(c.ms / 1000).toFixed(1)} s`).join('; ')}; ${programsLine(run.programs)}`,
      );
      expect(run.cases).toHaveLength(kind === 'batchNorm' ? SWEEP.shapes.batchNorm.length : SWEEP.shapes.conv.length);
      const over = run.cases.filter((c) => !(c.worst < MAX_ERROR)).map((c) => `${c.label}: ${JSON.stringify(c.errors)}`);
      expect(over, `cases over ${MAX_ERROR}`).toEqual([]);
      checkRecord(run);
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
  checkRecord(g);
});
