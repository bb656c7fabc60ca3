/**
 * The kernel harness page's script (e2e/kernels.html): tfjs on the page's real WebGPU backend, set up as the app's
 * training worker sets it up (configureWasmAssets, then the core's initBackend, which installs our kernels through
 * installKernels), running the cases of src/core/kernels/webgpu/kernelCases.ts both ways (our kernels, then
 * tfjs-webgpu's own) and exposing that on `window.kernels` for e2e/kernels.spec.ts. It runs on the main thread, so
 * page.evaluate reaches it directly (WebGPU is the same there as in a worker).
 */
import * as tf from '@tensorflow/tfjs';
import { configureWasmAssets } from '../src/browser/wasmAssets';
import { type BackendChoice, initBackend } from '../src/core/backend';
import { countDispatches } from '../src/core/kernels/webgpu/dispatchCount';
import { webGpuKernelsActive } from '../src/core/kernels/webgpu/install';
import {
  type CaseComparison,
  compareCase,
  KERNEL_TEST_NETS,
  type KernelKind,
  kernelCases,
  type LayerShapes,
  layerShapes,
  liveCounts,
} from '../src/core/kernels/webgpu/kernelCases';
import { compareWrnGradients, type GradientComparison } from '../src/core/kernels/webgpu/wrnGradients';

export type Net = readonly [depth: number, width: number];
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
  /** dispatches per WebGPU program (pipeline label): shows that our kernels and tfjs's both ran */
  programs: Record<string, number>;
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
  /** every case of one kernel on the layer shapes of `nets` (default: all four) at `batches` (default 1, 3, 8) */
  runKind(kind: KernelKind, opts?: { nets?: readonly Net[]; batches?: readonly number[] }): Promise<KindRun>;
  /** a WRN's weight gradients with our kernels against tfjs's */
  gradients(depth: number, width: number, batch: number): Promise<GradientRun>;
}

const backendText = document.getElementById('backend')!;
const progressText = document.getElementById('progress')!;

async function setUp(): Promise<SetUp> {
  configureWasmAssets(); // as the worker does: initBackend's fallbacks include WASM
  const choice = await initBackend('webgpu');
  const oursInstalled = webGpuKernelsActive();
  backendText.textContent =
    `${choice.backend}, adapter ${choice.adapter ?? 'none'}${choice.softwareAdapter ? ' (software)' : ''}; ` +
    `our kernels ${oursInstalled ? 'installed' : 'not installed'}; ${choice.reason}`;
  return { choice, oursInstalled };
}

const shapesCache = new Map<string, LayerShapes>();

/** The nets' layer shapes, from models built on the CPU backend (WRN-28-10's 36M weights need not go to the GPU). */
async function shapesOf(nets: readonly Net[]): Promise<LayerShapes> {
  const key = nets.map((n) => n.join('-')).join(',');
  let shapes = shapesCache.get(key);
  if (!shapes) {
    const current = tf.getBackend();
    await tf.setBackend('cpu');
    try {
      shapes = layerShapes(nets);
    } finally {
      await tf.setBackend(current);
    }
    shapesCache.set(key, shapes);
  }
  return shapes;
}

/** Runs `work` with the live counts taken around it and its dispatches counted. */
async function recorded<T>(work: () => Promise<T>): Promise<T & RunRecord> {
  const before = liveCounts();
  const start = performance.now();
  const counter = countDispatches();
  try {
    const result = await work();
    return { ...result, backend: tf.getBackend(), before, after: liveCounts(), programs: counter.snapshot().byProgram, ms: performance.now() - start };
  } finally {
    counter.stop();
  }
}

async function runKind(kind: KernelKind, opts: { nets?: readonly Net[]; batches?: readonly number[] } = {}): Promise<KindRun> {
  const shapes = await shapesOf(opts.nets ?? KERNEL_TEST_NETS);
  // One shape at a time, so only one case's inputs are on the (emulated) GPU at once.
  const single: LayerShapes[] =
    kind === 'batchNorm' ? shapes.batchNorm.map((s) => ({ batchNorm: [s], conv: [] })) : shapes.conv.map((s) => ({ batchNorm: [], conv: [s] }));
  return recorded(async () => {
    const cases: KindRun['cases'] = [];
    for (const batch of opts.batches ?? [1, 3, 8]) {
      for (const one of single) {
        for (const c of kernelCases(kind, one, [batch])) {
          const start = performance.now();
          try {
            cases.push({ ...(await compareCase(c)), ms: performance.now() - start });
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
}

const harness: KernelsHarness = {
  setUp,
  runKind,
  gradients: (depth, width, batch) => recorded(() => compareWrnGradients(depth, width, batch)),
};

(window as unknown as { kernels: KernelsHarness }).kernels = harness;
