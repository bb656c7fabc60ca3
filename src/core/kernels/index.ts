/**
 * The one place a run's kernels and gradients go into tfjs's registries: `installKernels(backend)`, which backend
 * set-up (../backend.ts) calls for each backend before it starts it. No module of ours registers anything when it
 * is imported, so what a run uses is what this function installed, in this order. (Benchmarks and tests also switch
 * WebGPU's set between ours and tfjs's with ./webgpu/install.ts; everything goes through ./registry.ts.)
 *
 * - every backend: device-side Mean/Sum gradients (./deviceGradients.ts) and, where the backend has one, the
 *   `WrnDropout` kernel with its gradient (./dropoutKernels.ts: webgpu, webgl, wasm, cpu);
 * - cpu and wasm: the fused batch-norm kernels (./batchNormKernels.ts; the GPU backends compose tfjs ops);
 * - wasm: our conv gradients, Tile and Identity in place of the shipped ones (./registry.ts's replaceKernel).
 * - webgpu: WGSL kernels of our own (./webgpu/install.ts), or tfjs's own when the run's config says kernels=tfjs
 *   (the CLI also when WRN_KERNELS=tfjs): then ours are taken out again.
 *
 * Each step is idempotent, so calling this again (initBackend re-plans and may switch backends) changes nothing.
 */
// The WASM package registers its shipped kernels when it is imported: it must be loaded before ours replace them.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendName } from '../backend';
import type { KernelChoice } from '../config';
import { registerBatchNormKernels } from './batchNormKernels';
import { registerDeviceGradients } from './deviceGradients';
import { registerDropoutKernel } from './dropoutKernels';
import { registerWasmConvGradients } from './wasmConvGrads';
import { registerWasmIdentity } from './wasmIdentity';
import { registerWasmTile } from './wasmTile';
import { installWebGpuKernels } from './webgpu/install';

/** Installs the kernels and gradients of ours that `backendName` runs with; `kernels` chooses WebGPU's set. Idempotent. */
export function installKernels(backendName: BackendName, kernels: KernelChoice = 'ours'): void {
  registerDeviceGradients();
  registerDropoutKernel(backendName);
  registerBatchNormKernels(backendName);
  switch (backendName) {
    case 'wasm':
      registerWasmConvGradients();
      registerWasmTile();
      registerWasmIdentity();
      break;
    case 'webgpu':
      // ours (fused batch norm, optimizer, ReLU gradient, conv gradients), or tfjs's own (webgpu/install.ts)
      installWebGpuKernels(kernels);
      break;
    case 'webgl':
    case 'cpu':
      break;
  }
}
