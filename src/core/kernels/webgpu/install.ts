/**
 * Our WebGPU kernels, installed and removed as a set: batch norm in training, the running statistics, the fused
 * momentum update, ReLU's gradient, the convolution filter gradient and the input gradient as an implicit GEMM
 * (./batchNorm.ts, ./momentum.ts, ./relu.ts, ./convFilterGrad.ts, ./convInputGrad.ts), all through ../registry.ts.
 * Every other backend is untouched: kernels are registered for backendName 'webgpu' only.
 *
 * Which set a run gets is its config's `kernels` (URL key `kernels`: 'ours', the default, or 'tfjs'), applied once
 * at backend set-up: `initBackend`'s `kernels` option, through ../index.ts's `installKernels`. (The CLI also reads
 * the environment variable WRN_KERNELS, and passes what it says the same way.)
 * Code that depends on the set being there (batchNorm.ts, the trainer's optimizer) asks the kernel registry
 * (`tf.getKernel(name, backend)`), so installing or removing the set between runs switches them all together.
 */
import * as tf from '@tensorflow/tfjs';
import { addKernel, removeKernel, replaceGradient, restoreGradient, restoreKernel } from '../registry';
import { BATCH_NORM_WEBGPU_KERNELS } from './batchNorm';
import { MOMENTUM_STEP_KERNEL, MOMENTUM_WEBGPU_KERNELS } from './momentum';
import { RELU_GRADIENT, RELU_WEBGPU_KERNELS } from './relu';
import { CONV_FILTER_KERNEL, registerConvFilterGrad } from './convFilterGrad';
import { CONV_INPUT_KERNEL, registerConvInputGrad } from './convInputGrad';

import { KERNEL_CHOICES, type KernelChoice } from '../../config';

export { KERNEL_CHOICES, type KernelChoice };

const WEBGPU_KERNELS: Record<string, tf.KernelFunc> = { ...BATCH_NORM_WEBGPU_KERNELS, ...MOMENTUM_WEBGPU_KERNELS, ...RELU_WEBGPU_KERNELS };

/** Registers our WebGPU kernels (idempotent). */
function registerWebGpuKernels(): void {
  replaceGradient(RELU_GRADIENT); // tfjs's formula wherever our kernel is not registered (relu.ts)
  registerConvFilterGrad(); // replaces tfjs-webgpu's own Conv2DBackpropFilter (kept, and put back on uninstall)
  registerConvInputGrad(); // tfjs-webgpu's Conv2DBackpropInput with its implicit-GEMM program (likewise put back)
  for (const [kernelName, kernelFunc] of Object.entries(WEBGPU_KERNELS)) addKernel({ kernelName, backendName: 'webgpu', kernelFunc });
}

/** Removes them again: tfjs's own kernels and gradients, and batch norm and the optimizer on tfjs's ops (idempotent). */
function uninstallWebGpuKernels(): void {
  restoreGradient(RELU_GRADIENT.kernelName);
  restoreKernel(CONV_FILTER_KERNEL, 'webgpu');
  restoreKernel(CONV_INPUT_KERNEL, 'webgpu');
  for (const kernelName of Object.keys(WEBGPU_KERNELS)) removeKernel(kernelName, 'webgpu');
}

/**
 * Registers our WebGPU kernels ('ours'), or removes them ('tfjs'), so that a process can compare both. Called at
 * backend set-up (../index.ts's installKernels); benchmarks and tests switch sets with it too. Idempotent.
 */
export function installWebGpuKernels(choice: KernelChoice): void {
  if (choice === 'ours') registerWebGpuKernels();
  else uninstallWebGpuKernels();
}

/** The set installed now: 'ours' when our WebGPU kernels are registered, else 'tfjs'. */
export function installedWebGpuKernels(): KernelChoice {
  return tf.getKernel(MOMENTUM_STEP_KERNEL, 'webgpu') !== undefined ? 'ours' : 'tfjs';
}

/** Runs `f` with `choice` installed, then puts back the set that was installed before (benchmarks, tests). */
export async function withWebGpuKernels<T>(choice: KernelChoice, f: () => Promise<T>): Promise<T> {
  const before = installedWebGpuKernels();
  installWebGpuKernels(choice);
  try {
    return await f();
  } finally {
    installWebGpuKernels(before);
  }
}

/** true when the current backend is WebGPU with our kernels installed. */
export function webGpuKernelsActive(): boolean {
  return tf.getBackend() === 'webgpu' && installedWebGpuKernels() === 'ours';
}
