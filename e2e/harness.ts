/**
 * The e2e harness page's script: the real worker client, exposed on `window.harness` for Playwright, and a
 * button whose handler shows whether the main thread still answers while the worker trains.
 */
import { createWorkerClient, type WorkerClient } from '../src/ui/workerClient';

/** What the page exposes to the tests. */
export interface Harness {
  client: WorkerClient;
  /** clicks handled on #ping so far */
  pings: number;
  /** for the last click: ms from the input event's creation to its handler (main-thread input latency) */
  pingDelayMs: number | null;
  /** the longest gap (ms) between two ticks of a 50 ms timer since `resetLag()`: main-thread jank */
  maxLagMs: number;
  resetLag(): void;
  /** 'backend' messages seen (the worker re-announces its backend after rebuilding it) */
  backendMessages: number;
}

const harness: Harness = {
  client: createWorkerClient(),
  pings: 0,
  pingDelayMs: null,
  maxLagMs: 0,
  resetLag: () => (harness.maxLagMs = 0),
  backendMessages: 0,
};

// Each 'backend' message makes a new backend object in the state, even when its content is the same.
let backend = harness.client.getSnapshot().backend;
harness.client.subscribe(() => {
  const next = harness.client.getSnapshot().backend;
  if (next !== backend) harness.backendMessages++;
  backend = next;
});

const pings = document.getElementById('ping')!;
const output = document.getElementById('pings')!;
pings.addEventListener('click', (event) => {
  harness.pingDelayMs = performance.now() - event.timeStamp;
  harness.pings++;
  output.textContent = String(harness.pings);
});

const TICK_MS = 50;
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  harness.maxLagMs = Math.max(harness.maxLagMs, now - last - TICK_MS);
  last = now;
}, TICK_MS);

(window as unknown as { harness: Harness }).harness = harness;
