/**
 * Importing the core registers none of our kernels or gradients: only `installKernels(backend)` does, and it
 * installs what that backend runs with (and is idempotent).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
// Registers tfjs-webgpu's kernels (no WebGPU needed for that), so that replacing and restoring them shows.
import '@tensorflow/tfjs-backend-webgpu';
import { describe, expect, it } from 'vitest';

const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'];
const OUR_KERNELS = ['WrnDropout', 'WrnBatchNormTrain', 'WrnBatchNormTrainGrad'];
const REPLACED = [tf.Identity, tf.Tile, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter];
const GRADIENTS = ['Mean', 'Sum', 'WrnDropout', 'Relu'];

/** Every registry entry ours could touch: kernel functions by backend/name, and gradient functions by name. */
function registries(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const backend of BACKENDS) {
    for (const name of [...OUR_KERNELS, ...REPLACED]) out[`${backend}/${name}`] = tf.getKernel(name, backend)?.kernelFunc;
  }
  for (const name of GRADIENTS) out[`grad/${name}`] = tf.getGradient(name)?.gradFunc;
  return out;
}

describe('installKernels', () => {
  it('is the only thing that registers: importing the core (model, trainer, runner, backend, kernels) registers nothing', async () => {
    const shipped = registries();
    for (const name of OUR_KERNELS) for (const backend of BACKENDS) expect(shipped[`${backend}/${name}`]).toBeUndefined();
    await import('./index');
    await import('../dropout');
    await import('../batchNorm');
    await import('../model');
    await import('../trainer');
    await import('../runner');
    await import('../backend');
    expect(registries()).toEqual(shipped);

    const { installKernels } = await import('./index');
    installKernels('cpu');
    const cpu = registries();
    expect(cpu['cpu/WrnDropout']).toBeDefined();
    expect(cpu['cpu/WrnBatchNormTrain']).toBeDefined();
    expect(cpu['cpu/WrnBatchNormTrainGrad']).toBeDefined();
    expect(cpu['grad/WrnDropout']).toBeDefined();
    expect(cpu['grad/Mean']).not.toBe(shipped['grad/Mean']);
    expect(cpu['grad/Sum']).not.toBe(shipped['grad/Sum']);
    // Nothing for the other backends yet.
    for (const backend of ['webgpu', 'webgl', 'wasm']) {
      for (const name of [...OUR_KERNELS, ...REPLACED]) expect(cpu[`${backend}/${name}`]).toBe(shipped[`${backend}/${name}`]);
    }

    installKernels('wasm');
    const wasm = registries();
    for (const name of OUR_KERNELS) expect(wasm[`wasm/${name}`], name).toBeDefined();
    for (const name of REPLACED) {
      expect(wasm[`wasm/${name}`], name).toBeDefined();
      expect(wasm[`wasm/${name}`], name).not.toBe(shipped[`wasm/${name}`]);
    }

    installKernels('webgpu');
    const all = registries();
    expect(all['webgpu/WrnDropout']).toBeDefined();
    // our WGSL batch norm and ReLU gradient (kernels/webgpu): the kernels a run gets unless its config says tfjs
    expect(all['webgpu/WrnBatchNormTrain']).toBeDefined();
    expect(all['grad/Relu']).not.toBe(shipped['grad/Relu']);
    for (const name of [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput]) {
      expect(shipped[`webgpu/${name}`], name).toBeDefined();
      expect(all[`webgpu/${name}`], name).not.toBe(shipped[`webgpu/${name}`]);
    }
    expect(all['webgl/WrnBatchNormTrain']).toBeUndefined(); // WebGL composes tfjs ops for batch norm

    // Idempotent: installing again changes nothing.
    for (const backend of ['cpu', 'wasm', 'webgpu'] as const) installKernels(backend);
    expect(registries()).toEqual(all);

    // kernels=tfjs takes WebGPU's set out again, tfjs's ReLU gradient back included; the other backends keep theirs.
    installKernels('webgpu', 'tfjs');
    const tfjs = registries();
    expect(tfjs['webgpu/WrnBatchNormTrain']).toBeUndefined();
    expect(tfjs['grad/Relu']).toBe(shipped['grad/Relu']);
    for (const name of [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput]) expect(tfjs[`webgpu/${name}`], name).toBe(shipped[`webgpu/${name}`]);
    expect(tfjs['webgpu/WrnDropout']).toBe(all['webgpu/WrnDropout']);
    expect(tfjs['wasm/WrnBatchNormTrain']).toBe(all['wasm/WrnBatchNormTrain']);
    installKernels('webgpu', 'ours');
    expect(registries()).toEqual(all);
  });
});
