/**
 * The training worker's entry: connects `WorkerHost` to the worker's messages and picks backends with the shared
 * `initBackend` (src/core/backend.ts), which imports and registers the WebGPU and WASM backends as it tries them.
 * Created by `src/ui/workerClient.ts`; speaks only `protocol.ts`.
 *
 * WebGPU: a dedicated worker has `navigator.gpu` in Chromium (a SharedWorker does not work:
 * https://github.com/tensorflow/tfjs/issues/7914).
 */
import { initBackend } from '../core/backend';
import { activeGpuDevice } from '../core/deviceWatch';
import { WorkerHost } from './host';
import type { ToWorker } from './protocol';
import { configureWasmAssets } from '../browser/wasmAssets';
import { probeWebGl } from '../browser/webgl';

const scope = self as unknown as DedicatedWorkerGlobalScope;

// Before any backend starts: tfjs ignores WASM paths set after the WASM backend's first initialisation.
configureWasmAssets();

const host = new WorkerHost({
  post: (msg, transfer) => scope.postMessage(msg, transfer ?? []),
  initBackend: (pref, kernels) => initBackend(pref, { probeWebGl, kernels }),
});

scope.onmessage = (event: MessageEvent<ToWorker>) => host.handle(event.data);

// Anything that escapes the host's own handling is a bug; the console is where the e2e tests look for it.
scope.addEventListener('unhandledrejection', (event) => console.error('training worker: unhandled rejection', event.reason));

/**
 * Debug hooks on the worker's global, reachable only from devtools or a test driver (Playwright's
 * `worker.evaluate`), never from the page: live tensor counts, the trainer's step, and a simulated GPU reset.
 */
export interface TrainingWorkerDebug {
  memory(): ReturnType<WorkerHost['memory']>;
  /** the current run: its id, whether it is still going, and its model's finished steps (reported or not) */
  run(): ReturnType<WorkerHost['runStatus']>;
  /** destroys the WebGPU device, as a driver reset would lose it; false when the backend is not WebGPU */
  loseDevice(): boolean;
}

const debug: TrainingWorkerDebug = {
  memory: () => host.memory(),
  run: () => host.runStatus(),
  loseDevice: () => {
    const device = activeGpuDevice();
    device?.destroy();
    return device !== null;
  },
};
(scope as unknown as { wrnDebug: TrainingWorkerDebug }).wrnDebug = debug;
