/**
 * Our WebGPU kernels, installed and removed as a set: batch norm in training, the running statistics, the fused
 * momentum update, ReLU's gradient, the convolution filter gradient and the input gradient as an implicit GEMM
 * (./batchNorm.ts, ./momentum.ts, ./relu.ts, ./convFilterGrad.ts, ./convInputGrad.ts). Every other backend is untouched: kernels are registered for backendName 'webgpu' only.
 *
 * The switch: `kernelChoice()` says whether to use ours ('ours', the default) or tfjs's own ('tfjs'), from the
 * environment variable WRN_KERNELS in Node, or from `setKernelChoice` (the worker sets it from the run's config, the
 * URL key `kernels`).
 * Code that depends on the set being there (batchNorm.ts, the trainer's optimizer) asks the kernel registry
 * (`tf.getKernel(name, backend)`), so installing or removing the set between runs switches them all together.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_WEBGPU_KERNELS } from './batchNorm';
import { MOMENTUM_STEP_KERNEL, MOMENTUM_WEBGPU_KERNELS } from './momentum';
import { registerReluGradient, RELU_WEBGPU_KERNELS } from './relu';
import { registerConvFilterGrad, unregisterConvFilterGrad } from './convFilterGrad';
import { registerConvInputGrad, unregisterConvInputGrad } from './convInputGrad';

import { KERNEL_CHOICES, type KernelChoice } from '../../config';

export { KERNEL_CHOICES, type KernelChoice };

const WEBGPU_KERNELS: Record<string, tf.KernelFunc> = { ...BATCH_NORM_WEBGPU_KERNELS, ...MOMENTUM_WEBGPU_KERNELS, ...RELU_WEBGPU_KERNELS };

let chosen: KernelChoice | null = null;

/** Reads a choice from text ('tfjs' or 'ours'); anything else is null. */
export function parseKernelChoice(text: string | undefined | null): KernelChoice | null {
  const t = text?.trim().toLowerCase();
  return t === 'tfjs' || t === 'ours' ? t : null;
}

/** Our kernels or tfjs's: what `setKernelChoice` set, else WRN_KERNELS in Node, else 'ours'. */
export function kernelChoice(): KernelChoice {
  if (chosen) return chosen;
  const env = typeof process !== 'undefined' ? process.env?.['WRN_KERNELS'] : undefined;
  return parseKernelChoice(env) ?? 'ours';
}

/** The override `setKernelChoice` set, if any (to put it back after a temporary one). */
export function kernelChoiceOverride(): KernelChoice | null {
  return chosen;
}

/** Overrides the environment (tests; the benchmark's counts). */
export function setKernelChoice(choice: KernelChoice | null): void {
  chosen = choice;
}

/** Registers our WebGPU kernels (idempotent). */
export function registerWebGpuKernels(): void {
  registerReluGradient(); // tfjs's formula wherever our kernel is not registered (relu.ts)
  registerConvFilterGrad(); // replaces tfjs-webgpu's own Conv2DBackpropFilter (kept, and put back on uninstall)
  registerConvInputGrad(); // tfjs-webgpu's Conv2DBackpropInput with its implicit-GEMM program (likewise put back)
  for (const [kernelName, kernelFunc] of Object.entries(WEBGPU_KERNELS)) {
    if (!tf.getKernel(kernelName, 'webgpu')) tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
  }
}

/** Removes them again: batch norm and the optimizer fall back to tfjs's ops on WebGPU (idempotent). */
export function uninstallWebGpuKernels(): void {
  unregisterConvFilterGrad();
  unregisterConvInputGrad();
  for (const kernelName of Object.keys(WEBGPU_KERNELS)) {
    if (tf.getKernel(kernelName, 'webgpu')) tf.unregisterKernel(kernelName, 'webgpu');
  }
}

/**
 * The one entry point for backend set-up: registers our WebGPU kernels, or removes them when the switch says
 * 'tfjs' (so a process can compare both). Returns the choice applied. Idempotent.
 */
export function installWebGpuKernels(choice: KernelChoice = kernelChoice()): KernelChoice {
  if (choice === 'ours') registerWebGpuKernels();
  else uninstallWebGpuKernels();
  return choice;
}

/** true when the current backend is WebGPU with our kernels installed. */
export function webGpuKernelsActive(): boolean {
  return tf.getBackend() === 'webgpu' && tf.getKernel(MOMENTUM_STEP_KERNEL, 'webgpu') !== undefined;
}
