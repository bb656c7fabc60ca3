/**
 * The benchmark worker: one job per worker. Sets the job's backend exactly (no fallback: a row must be the backend
 * it names), then runs the same measurement code as the Node rows (../measure.ts) on the same core.
 */
import { initBackend } from '../../../src/core/backend';
import { configureWasmAssets } from '../../../src/browser/wasmAssets';
import { probeWebGl } from '../../../src/browser/webgl';
import { describeActiveBackend } from '../adapter';
import { timeKernels } from '../kernelTiming';
import { measureNet } from '../measure';
import { backendOf, type KernelJob, type NetJob } from '../types';
import type { FromBenchWorker, ToBenchWorker, YieldCost } from './protocol';
import * as tf from '@tensorflow/tfjs';

const post = (m: FromBenchWorker) => postMessage(m);

/**
 * WASM build and threads, before the backend first initialises (src/browser/wasmAssets.ts sets the binaries' URLs).
 * 'chromium-wasm' is the single-threaded SIMD build. 'chromium-wasm-threads' is the threaded SIMD build on as many
 * threads as there are logical cores: tfjs's threaded build runs min(8, hardwareConcurrency / 2) threads (it
 * assumes hyper-threading), which is 1 on a 2-core machine, so the worker reports twice its cores to get one
 * thread per core. The app itself keeps tfjs's rule (wasmAssets.ts).
 */
function configureWasm(job: NetJob): void {
  if (job.target === 'chromium-wasm') tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  else {
    const cores = job.threads > 0 ? job.threads : navigator.hardwareConcurrency;
    Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * cores, configurable: true });
  }
  configureWasmAssets();
}

async function runJob(job: NetJob): Promise<void> {
  const wanted = backendOf(job.target);
  if (wanted === 'wasm') configureWasm(job);
  const choice = await initBackend(wanted, { probeWebGl });
  if (choice.backend !== wanted) throw new Error(`${wanted} did not start: ${choice.tried.map((t) => t.error).join('; ')}`);
  const adapter = { ...(await describeActiveBackend()), crossOriginIsolated };
  const result = await measureNet(job, adapter, (line) => post({ kind: 'log', line }));
  post({ kind: 'result', result });
}

/** Per-kernel timing on this worker's WebGPU (the job's target is a WebGPU one). */
async function runKernels(job: KernelJob): Promise<void> {
  const choice = await initBackend('webgpu', { probeWebGl });
  if (choice.backend !== 'webgpu') throw new Error(`webgpu did not start: ${choice.tried.map((t) => t.error).join('; ')}`);
  const adapter = { ...(await describeActiveBackend()), crossOriginIsolated };
  const result = await timeKernels(job, adapter, (line) => post({ kind: 'log', line }));
  post({ kind: 'kernel-result', result });
}

/**
 * What a yield between steps costs here. The trainer yields with setTimeout(0) outside Node (trainer.ts
 * `yieldToEventLoop`); chained timers are clamped to >= 4 ms after 5 levels of nesting (HTML spec), which a
 * MessageChannel round trip avoids.
 */
async function yieldCost(rounds: number): Promise<YieldCost> {
  let t = performance.now();
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
  const setTimeoutMs = (performance.now() - t) / rounds;
  const channel = new MessageChannel();
  let wake: (() => void) | null = null;
  channel.port1.onmessage = () => wake?.();
  t = performance.now();
  for (let i = 0; i < rounds; i++) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      channel.port2.postMessage(0);
    });
  }
  const messageChannelMs = (performance.now() - t) / rounds;
  channel.port1.close();
  return { setTimeoutMs, messageChannelMs, rounds };
}

addEventListener('message', (e: MessageEvent<ToBenchWorker>) => {
  const m = e.data;
  const work =
    m.kind === 'job' ? runJob(m.job) : m.kind === 'kernels' ? runKernels(m.job) : yieldCost(m.rounds).then((cost) => post({ kind: 'yield-cost', cost }));
  work.catch((err: unknown) => post({ kind: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
