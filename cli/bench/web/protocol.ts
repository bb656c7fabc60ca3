/** Messages between the benchmark page and its worker. */
import type { KernelJob, KernelTimingResult, NetJob, NetResult } from '../types';

export type ToBenchWorker = { kind: 'job'; job: NetJob } | { kind: 'kernels'; job: KernelJob } | { kind: 'yield-cost'; rounds: number };

export interface YieldCost {
  /** mean ms per `await new Promise(r => setTimeout(r, 0))`, chained as the trainer does between steps */
  setTimeoutMs: number;
  /** mean ms per yield through a MessageChannel (no timer clamping) */
  messageChannelMs: number;
  rounds: number;
}

export type FromBenchWorker =
  | { kind: 'log'; line: string }
  | { kind: 'result'; result: NetResult }
  | { kind: 'kernel-result'; result: KernelTimingResult }
  | { kind: 'yield-cost'; cost: YieldCost }
  | { kind: 'error'; message: string };
