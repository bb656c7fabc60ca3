/**
 * For the page's unit tests of the worker client and the run history: a fake worker, a step point and a
 * 'modelStarted' message, so that each test file does not build its own copies.
 */
import type { StepPoint } from '../../core/metrics';
import type { FromWorker, ToWorker } from '../../worker/protocol';
import type { WorkerLike } from '../workerClient';

/** A fake worker: records what it is sent, lets the test answer it and crash it. */
export function fakeWorker() {
  const sent: ToWorker[] = [];
  const listeners: Record<string, ((e: Event | MessageEvent<FromWorker>) => void)[]> = {};
  let terminated = false;
  const worker: WorkerLike = {
    postMessage: (m) => void sent.push(m),
    addEventListener: ((type: string, l: (e: Event) => void) => {
      const list = listeners[type] ?? [];
      list.push(l);
      listeners[type] = list;
    }) as WorkerLike['addEventListener'],
    terminate: () => {
      terminated = true;
    },
  };
  return {
    worker,
    sent,
    isTerminated: () => terminated,
    receive: (msg: FromWorker) => listeners['message']?.forEach((l) => l({ data: msg } as MessageEvent<FromWorker>)),
    crash: () => listeners['error']?.forEach((l) => l(new Event('error'))),
  };
}

/** A step point of step `n` (loss 2/n unless given). */
export const stepPoint = (n: number, loss = 2 / n): StepPoint => ({
  kind: 'step',
  step: n,
  epoch: n / 10,
  loss,
  trainAccuracy: 0.1,
  lr: 0.1,
  imagesPerSec: 1,
  stepMs: 1,
  numTensors: 1,
  deviceBytes: 1,
  seconds: n,
  flops: n,
});

/** The worker's 'modelStarted' for a WRN-10-1 of 20 steps in run `runId`, as model `model` (net `model`) of the run. */
export const modelStarted = (runId: number, model = 0): FromWorker => ({
  type: 'modelStarted',
  runId,
  model,
  name: 'WRN-10-1',
  params: 77_850,
  macs: 1,
  stepsPerEpoch: 10,
  totalSteps: 20,
  batch: 8,
  net: model,
  seed: 0,
});

export const serverSource = { kind: 'server', base: '/cifar10' } as const;
