/**
 * Node's WebGPU (Dawn) plus initBackend, end to end. On a machine without a GPU, Dawn's only adapter is SwiftShader
 * (a CPU emulation), so 'auto' must pick WASM and say why, while an explicit 'webgpu' still gets the adapter.
 * Needs a Vulkan driver for Dawn (the SwiftShader ICD or VK_ICD_FILENAMES): without one these tests skip and say so
 * (src/core/backend.test.ts covers the planning for every case), except under CI=true, where they fail.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, probeWebGpu } from '../core/backend';
import { need } from '../../test/fixtures/requirements';
import { SWIFTSHADER_ICD, installNodeWebGpu } from './gpu';

const haveVulkanDriver = need(
  'a Vulkan driver for WebGPU in Node',
  process.env.VK_ICD_FILENAMES !== undefined || existsSync(SWIFTSHADER_ICD) ? null : `no VK_ICD_FILENAMES and no ${SWIFTSHADER_ICD} (Debian's chromium)`,
);

describe.skipIf(!haveVulkanDriver)('Node WebGPU and backend choice', () => {
  beforeAll(async () => {
    const status = await installNodeWebGpu();
    expect(status.webgpu, status.error).toBe(true);
  });

  it('installNodeWebGpu is idempotent and leaves navigator.gpu in place', async () => {
    const first = await installNodeWebGpu();
    expect(await installNodeWebGpu()).toBe(first);
    expect(typeof navigator).toBe('object');
    expect(navigator.gpu).toBeDefined();
  });

  it('probeWebGpu sees a software adapter', async () => {
    const probe = await probeWebGpu();
    expect(probe).not.toBeNull();
    expect(probe!.isSoftware).toBe(true);
    if (!process.env.VK_ICD_FILENAMES || process.env.VK_ICD_FILENAMES === SWIFTSHADER_ICD) expect(probe!.adapter).toBe('swiftshader');
  });

  it("'auto' picks WASM, single-threaded, and the reason names the software adapter", async () => {
    const choice = await initBackend('auto');
    expect(choice.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.softwareAdapter).toBe(true);
    expect(choice.reason).toMatch(/software/);
    expect(choice.reason).toContain(choice.adapter!);
    expect(choice.threads).toBe(1); // the threaded WASM build does not start in Node
    expect(choice.tried).toEqual([]);
    // and it trains: the gradient kernels are registered
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it("an explicit 'webgpu' gets WebGPU on the adapter, and it computes (read back with await data())", async () => {
    const choice = await initBackend('webgpu');
    expect(choice.backend).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(choice.adapter).toBe('swiftshader');
    expect(choice.reason).toMatch(/asked for/);
    const y = tf.tidy(() => tf.add(tf.tensor1d([1, 2, 3]), tf.scalar(1)));
    expect(Array.from(await y.data())).toEqual([2, 3, 4]);
    y.dispose();
  });

  it("'webgl' cannot start in Node: it is recorded in tried and WASM follows", async () => {
    const choice = await initBackend('webgl');
    expect(choice.backend).toBe('wasm');
    expect(choice.tried.map((t) => t.backend)).toEqual(['webgl']);
    expect(choice.reason).toMatch(/webgl/);
  });
});
