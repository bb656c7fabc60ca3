/**
 * The kernel harness page's script (e2e/kernels.html): tfjs on the page's real WebGPU backend, set up as the app's
 * training worker sets it up (configureWasmAssets, then the core's initBackend, which installs our kernels through
 * installKernels), running the cases of test/fixtures/kernelCases.ts both ways (our kernels, then tfjs-webgpu's own;
 * for the input gradient tfjs's implicit-GEMM program against its direct one, as the Node test does) and exposing
 * that on `window.kernels` for e2e/kernels.spec.ts. It runs on the main thread, so page.evaluate reaches it directly
 * (WebGPU is the same there as in a worker).
 */
import * as tf from '@tensorflow/tfjs';
import { configureWasmAssets } from '../src/browser/wasmAssets';
import { probeWebGl } from '../src/browser/webgl';
import { type BackendChoice, initBackend } from '../src/core/backend';
import { setConvInputProgram } from '../src/core/kernels/webgpu/convInputGrad';
import { countDispatches } from '../src/core/kernels/webgpu/dispatchCount';
import { type KernelChoice, webGpuKernelsActive } from '../src/core/kernels/webgpu/install';
import {
  type CaseComparison,
  compareCase,
  countingRunner,
  type KernelKind,
  type KernelRunner,
  kernelCases,
  kernelSweep,
  type LayerShapes,
  liveCounts,
  type ProgramsBySet,
} from '../test/fixtures/kernelCases';
import { compareWrnGradients, type GradientComparison } from '../test/fixtures/wrnGradients';

export type LiveCounts = ReturnType<typeof liveCounts>;

export interface SetUp {
  /** the backend initBackend('webgpu') started, the adapter it saw, and why (a fallback shows here) */
  choice: BackendChoice;
  /** whether our kernels are installed on WebGPU now (the app's default) */
  oursInstalled: boolean;
}

/** What a piece of work on the GPU left behind and ran: the same for a kind's cases and for a net's gradients. */
export interface RunRecord {
  /** the backend at the end (nothing switched it away from WebGPU) */
  backend: string;
  /** live tensors and backend buffers before and after: equal when nothing leaked */
  before: LiveCounts;
  after: LiveCounts;
  /**
   * dispatches per WebGPU program (pipeline label) in the passes with our kernels and in those with tfjs's: programs
   * that ran in one set's passes only show that the two are different kernels. The labels are class names, which
   * the production build minifies (e.g. "Ke" for WrnConvFilterGemm), so compare the sets, not the names.
   */
  programs: ProgramsBySet;
  ms: number;
}

export interface KindRun extends RunRecord {
  kind: KernelKind;
  /** every case, in order, with its relative errors and its time (both runs and the read-backs) */
  cases: (CaseComparison & { ms: number })[];
  /** the largest error of all cases */
  worst: number;
}

export interface GradientRun extends GradientComparison, RunRecord {}

export interface KernelsHarness {
  /** sets up WebGPU as the app does; call once before the others */
  setUp(): Promise<SetUp>;
  /** every case of one kernel: the representative shapes at `batches`, or (`full`) the full sweep's at `batches` */
  runKind(kind: KernelKind, opts: { full: boolean; batches: readonly number[] }): Promise<KindRun>;
  /** a WRN's weight gradients with our kernels against tfjs's */
  gradients(depth: number, width: number, batch: number): Promise<GradientRun>;
}

const backendText = document.getElementById('backend')!;
const progressText = document.getElementById('progress')!;

async function setUp(): Promise<SetUp> {
  configureWasmAssets(); // as the worker does: initBackend's fallbacks include WASM
  const choice = await initBackend('webgpu', { probeWebGl });
  const oursInstalled = webGpuKernelsActive();
  backendText.textContent =
    `${choice.backend}, adapter ${choice.adapter ?? 'none'}${choice.softwareAdapter ? ' (software)' : ''}; ` +
    `our kernels ${oursInstalled ? 'installed' : 'not installed'}; ${choice.reason}`;
  return { choice, oursInstalled };
}

/**
 * Runs `work` with the live counts taken around it and the dispatches of each pass counted by kernel set: `work`
 * gets a KernelRunner that installs a set (withKernels) and adds that pass's dispatches to the set's counts.
 */
async function recorded<T>(work: (runWith: KernelRunner) => Promise<T>): Promise<T & RunRecord> {
  const before = liveCounts();
  const start = performance.now();
  const counter = countDispatches();
  const { runWith, programs } = countingRunner(counter);
  try {
    const result = await work(runWith);
    return { ...result, backend: tf.getBackend(), before, after: liveCounts(), programs, ms: performance.now() - start };
  } finally {
    counter.stop();
  }
}

async function runKind(kind: KernelKind, opts: { full: boolean; batches: readonly number[] }): Promise<KindRun> {
  const sweep = kernelSweep(opts.full);
  // One shape at a time, so only one case's inputs are on the (emulated) GPU at once.
  const single: LayerShapes[] =
    kind === 'batchNorm'
      ? sweep.shapes.batchNorm.map((s) => ({ batchNorm: [s], conv: [] }))
      : sweep.shapes.conv.map((s) => ({ batchNorm: [], conv: [s] }));
  // the rule picks the direct program on SwiftShader: force the implicit GEMM, so that two programs are compared
  setConvInputProgram(kind === 'convInputGrad' ? 'mm' : null);
  try {
    return await recorded(async (runWith) => {
      const cases: KindRun['cases'] = [];
      for (const batch of opts.batches) {
        for (const one of single) {
          for (const c of kernelCases(kind, one, [batch])) {
            const start = performance.now();
            try {
              // the case's own run already installs the set; runWith adds the counting around it
              const counted = { ...c, run: (choice: KernelChoice) => runWith(choice, () => c.run(choice)) };
              cases.push({ ...(await compareCase(counted)), ms: performance.now() - start });
            } finally {
              c.dispose();
            }
            const last = cases.at(-1)!;
            progressText.textContent = `${cases.length}: ${last.label}, worst relative error ${last.worst.toExponential(2)}, ${Math.round(last.ms)} ms`;
            console.log(`kernels: ${progressText.textContent}`);
          }
        }
      }
      return { kind, cases, worst: Math.max(0, ...cases.map((c) => c.worst)) };
    });
  } finally {
    setConvInputProgram(null);
  }
}

const harness: KernelsHarness = {
  setUp,
  runKind,
  gradients: (depth, width, batch) => recorded((runWith) => compareWrnGradients(depth, width, batch, { runWith })),
};

(window as unknown as { kernels: KernelsHarness }).kernels = harness;
