/**
 * The benchmark page: runs each job in a fresh dedicated worker (cold start per job, as a user gets, and the WASM
 * thread count can differ per job) and exposes `window.bench` for Playwright (cli/bench/browser.ts).
 */
import type { KernelJob, KernelTimingResult, NetJob, NetResult } from '../types';
import type { FromBenchWorker, ToBenchWorker, YieldCost } from './protocol';

export interface BenchPage {
  run(job: NetJob): Promise<NetResult>;
  runKernels(job: KernelJob): Promise<KernelTimingResult>;
  yieldCost(rounds: number): Promise<YieldCost>;
  /** what the page's context offers (for the results file) */
  environment(): { userAgent: string; crossOriginIsolated: boolean; hardwareConcurrency: number; webgpu: boolean };
}

/** Starts a worker, sends one message, resolves with the first answer of the wanted kind, then ends the worker. */
function once<K extends FromBenchWorker['kind']>(message: ToBenchWorker, want: K): Promise<Extract<FromBenchWorker, { kind: K }>> {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<FromBenchWorker>) => {
      const m = e.data;
      if (m.kind === 'log') console.log(m.line);
      else if (m.kind === 'error') {
        worker.terminate();
        reject(new Error(m.message));
      } else if (m.kind === want) {
        worker.terminate();
        resolve(m as Extract<FromBenchWorker, { kind: K }>);
      }
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(`bench worker failed: ${e.message}`));
    };
    worker.postMessage(message);
  });
}

const bench: BenchPage = {
  run: async (job) => (await once({ kind: 'job', job }, 'result')).result,
  runKernels: async (job) => (await once({ kind: 'kernels', job }, 'kernel-result')).result,
  yieldCost: async (rounds) => (await once({ kind: 'yield-cost', rounds }, 'yield-cost')).cost,
  environment: () => ({
    userAgent: navigator.userAgent,
    crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    webgpu: 'gpu' in navigator,
  }),
};

(globalThis as unknown as { bench: BenchPage }).bench = bench;
document.body.dataset['ready'] = 'true';
