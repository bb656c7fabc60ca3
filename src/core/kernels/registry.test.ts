/**
 * The kernel registry on a backend name of its own (no backend needs to run: tfjs's registries are plain tables keyed
 * by kernel and backend names): added kernels come out again, replaced ones go back, and nobody else's is touched.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { addKernel, removeKernel, replaceKernel, restoreKernel, shippedKernel } from './registry';

const BACKEND = 'wrn-registry-test';
const KERNEL = 'WrnRegistryTestKernel';
const shipped: tf.KernelFunc = () => ({ dataId: {}, shape: [1], dtype: 'float32' });
const ours: tf.KernelFunc = () => ({ dataId: {}, shape: [2], dtype: 'float32' });

const current = () => tf.getKernel(KERNEL, BACKEND)?.kernelFunc;

afterEach(() => {
  if (tf.getKernel(KERNEL, BACKEND)) tf.unregisterKernel(KERNEL, BACKEND);
});

describe('the kernel registry', () => {
  it('replaces a shipped kernel, keeps it (and its setup) to fall back on, and puts it back on restore', () => {
    const setupFunc = () => undefined;
    tf.registerKernel({ kernelName: KERNEL, backendName: BACKEND, kernelFunc: shipped, setupFunc });
    expect(replaceKernel(KERNEL, BACKEND, ours)).toBe(true);
    expect(current()).toBe(ours);
    expect(tf.getKernel(KERNEL, BACKEND)?.setupFunc).toBe(setupFunc);
    expect(shippedKernel(KERNEL, BACKEND)).toBe(shipped);
    expect(replaceKernel(KERNEL, BACKEND, ours)).toBe(true); // idempotent
    restoreKernel(KERNEL, BACKEND);
    expect(current()).toBe(shipped);
    restoreKernel(KERNEL, BACKEND); // idempotent: the shipped one stays
    expect(current()).toBe(shipped);
    expect(replaceKernel(KERNEL, BACKEND, ours)).toBe(true); // and in again
    expect(current()).toBe(ours);
    restoreKernel(KERNEL, BACKEND);
    expect(current()).toBe(shipped);
  });

  it('with overShipped, puts nothing in where there is no shipped kernel to call; restore then leaves the slot empty', () => {
    const other = `${KERNEL}Lone`;
    expect(replaceKernel(other, BACKEND, ours, { overShipped: true })).toBe(false);
    expect(tf.getKernel(other, BACKEND)).toBeUndefined();
    expect(replaceKernel(other, BACKEND, ours)).toBe(true); // without it, ours goes in alone
    restoreKernel(other, BACKEND);
    expect(tf.getKernel(other, BACKEND)).toBeUndefined();
  });

  it('removes a kernel it added, and never one registered by someone else', () => {
    addKernel({ kernelName: KERNEL, backendName: BACKEND, kernelFunc: ours });
    expect(current()).toBe(ours);
    removeKernel(KERNEL, BACKEND);
    expect(current()).toBeUndefined();
    tf.registerKernel({ kernelName: KERNEL, backendName: BACKEND, kernelFunc: shipped });
    addKernel({ kernelName: KERNEL, backendName: BACKEND, kernelFunc: ours }); // one is there: left as it is
    removeKernel(KERNEL, BACKEND);
    expect(current()).toBe(shipped);
  });
});
