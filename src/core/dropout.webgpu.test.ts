/**
 * The GPU-side dropout on WebGPU in Node (Dawn): the same masks as on the CPU, bit for bit, forward and backward
 * (dropout.test.ts has the rest). Needs WebGPU in Node: without it this skips and says so, except under CI=true.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { needNodeWebGpu } from '../../test/fixtures/requirements';
import { applyDropout, dropoutMask } from './dropout';
import { installKernels } from './kernels';

const RATE = 0.3;

async function values(t: tf.Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

async function maskOn(backend: string, shape: number[], seed: number): Promise<Float32Array> {
  await tf.setBackend(backend);
  return values(dropoutMask(shape, RATE, seed));
}

// sets up the webgpu backend with our kernels, as the CLI does; the CPU's, for the reference masks
const gpu = await needNodeWebGpu();
installKernels('cpu');

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe.skipIf(!gpu)('the same mask on WebGPU', () => {
  const shape = [2, 5, 7, 16];

  it('WebGPU (Dawn in Node) agrees with the CPU bit for bit, forward and backward', async () => {
    const cpu = await maskOn('cpu', shape, 2026);
    const webgpu = await maskOn('webgpu', shape, 2026);
    expect(webgpu).toEqual(cpu);
    const x = tf.ones(shape);
    const g = await values(tf.grad((t: tf.Tensor) => tf.sum(applyDropout(t, RATE, 2026)))(x));
    x.dispose();
    expect(g).toEqual(cpu);
    // Values, negative ones included (a dropped -1.3 must be +0 on both, not -0 on one).
    const onGpu = await values(applyDropout(tf.randomNormal(shape, 0, 1, 'float32', 6), RATE, 77));
    await tf.setBackend('cpu');
    expect(onGpu).toEqual(await values(applyDropout(tf.randomNormal(shape, 0, 1, 'float32', 6), RATE, 77)));
  }, 120_000);
});
