/**
 * The GPU-side dropout: statistics, scaling, reproducibility, inference, gradient, and bit-identical masks across
 * backends (CPU and WASM here; WebGPU in Node through Dawn in dropout.webgpu.test.ts). No timing: speed is the
 * benchmark's business (BENCHMARKS.md).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDropout, BlockDropout, dropoutMask } from './dropout';
import { dropoutKeys, keepElement } from './dropoutHash';
import { installKernels } from './kernels';

const RATE = 0.3;
const SCALE = Math.fround(1 / (1 - RATE));

async function values(t: tf.Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

async function maskOn(backend: string, shape: number[], seed: number): Promise<Float32Array> {
  await tf.setBackend(backend);
  return values(dropoutMask(shape, RATE, seed));
}

beforeAll(async () => {
  for (const backend of ['cpu', 'wasm'] as const) installKernels(backend);
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('dropoutMask', () => {
  it('keeps a fraction 1 - rate of the elements, each scaled by 1 / (1 - rate)', async () => {
    const n = 200_000;
    const m = await values(dropoutMask([n], RATE, 7));
    let kept = 0;
    let other = 0;
    for (const v of m) {
      if (v === SCALE) kept++;
      else if (v !== 0) other++;
    }
    expect(other).toBe(0);
    // Binomial standard deviation sqrt(0.21 / n) ~ 0.001: 0.01 is 10 of them.
    expect(Math.abs(kept / n - (1 - RATE))).toBeLessThan(0.01);
    // Inverted dropout preserves the mean.
    expect(Math.abs(m.reduce((s, v) => s + v, 0) / n - 1)).toBeLessThan(0.02);
  });

  it('holds its rate for other rates too, and has no stripes along any axis of an NHWC activation', async () => {
    for (const rate of [0.1, 0.5, 0.9]) {
      const m = await values(dropoutMask([4, 32, 32, 16], rate, 3));
      const keptFrac = m.filter((v) => v !== 0).length / m.length;
      expect(Math.abs(keptFrac - (1 - rate))).toBeLessThan(0.02);
      // Per channel (the innermost axis): a weak hash would keep or drop whole channels.
      for (let c = 0; c < 16; c++) {
        let kept = 0;
        for (let i = c; i < m.length; i += 16) if (m[i] !== 0) kept++;
        expect(Math.abs(kept / (m.length / 16) - (1 - rate))).toBeLessThan(0.06);
      }
    }
  });

  it('gives the same mask for the same seed and different masks for different seeds', async () => {
    const a = await values(dropoutMask([8, 8, 8, 16], RATE, 42));
    const b = await values(dropoutMask([8, 8, 8, 16], RATE, 42));
    const c = await values(dropoutMask([8, 8, 8, 16], RATE, 43));
    expect(b).toEqual(a);
    const differ = a.filter((v, i) => v !== c[i]).length / a.length;
    // Two independent masks differ where exactly one keeps: 2 * 0.7 * 0.3 = 0.42 of the elements.
    expect(differ).toBeGreaterThan(0.35);
    expect(differ).toBeLessThan(0.49);
  });

  it('separates seeds above 2^32 and negative seeds from their low words', async () => {
    const low = await values(dropoutMask([4096], RATE, 5));
    const high = await values(dropoutMask([4096], RATE, 5 + 2 ** 32));
    const negative = await values(dropoutMask([4096], RATE, -5));
    expect(high).not.toEqual(low);
    expect(negative).not.toEqual(low);
  });

  it('equals the host reference (dropoutHash) element by element', async () => {
    const m = await values(dropoutMask([3, 5, 7, 11], RATE, 99));
    const keys = dropoutKeys(99, RATE);
    expect(m.filter((v, i) => (v !== 0) !== keepElement(i, keys)).length).toBe(0);
  });
});

describe('applyDropout', () => {
  it('multiplies x by the mask, and its gradient is the same mask', async () => {
    const x = tf.randomNormal([2, 6, 6, 8], 0, 1, 'float32', 1);
    const xv = (await x.data()) as Float32Array;
    const mask = await values(dropoutMask(x.shape, RATE, 11));
    const y = await values(applyDropout(x, RATE, 11));
    expect(y.filter((v, i) => v !== (mask[i] === 0 ? 0 : Math.fround(xv[i]! * SCALE))).length).toBe(0);
    const g = await values(tf.grad((t: tf.Tensor) => tf.sum(applyDropout(t, RATE, 11)))(x));
    expect(g).toEqual(mask);
    x.dispose();
  });

  it('writes +0 for dropped negative values, as the GPU kernels do', async () => {
    const y = await values(applyDropout(tf.fill([1001], -2), RATE, 3));
    expect(y.filter((v) => Object.is(v, -0)).length).toBe(0);
    expect(y.filter((v) => v === 0).length).toBeGreaterThan(200);
  });

  it('is the identity at rate 0', () => {
    const x = tf.ones([3, 3]);
    expect(applyDropout(x, 0, 1)).toBe(x);
    x.dispose();
  });
});

describe('BlockDropout', () => {
  const input = () => tf.randomNormal([2, 4, 4, 8], 0, 1, 'float32', 5);

  it('draws a different mask on each training call, the same sequence for the same seed', async () => {
    const x = input();
    const a = new BlockDropout({ rate: RATE, seed: 3 });
    const b = new BlockDropout({ rate: RATE, seed: 3 });
    const a1 = await values(a.apply(x, { training: true }) as tf.Tensor);
    const a2 = await values(a.apply(x, { training: true }) as tf.Tensor);
    const b1 = await values(b.apply(x, { training: true }) as tf.Tensor);
    const b2 = await values(b.apply(x, { training: true }) as tf.Tensor);
    expect(a2).not.toEqual(a1);
    expect(b1).toEqual(a1);
    expect(b2).toEqual(a2);
    x.dispose();
  });

  it('is the identity at inference', async () => {
    const x = input();
    const layer = new BlockDropout({ rate: RATE, seed: 3 });
    const y = layer.apply(x, { training: false }) as tf.Tensor;
    expect(await values(y)).toEqual(await values(x.clone()));
    const noKwarg = layer.apply(x) as tf.Tensor;
    expect(await values(noKwarg)).toEqual(await values(x.clone()));
    x.dispose();
  });
});

describe('the same mask on every backend', () => {
  const shape = [2, 5, 7, 16];

  it('CPU and WASM agree bit for bit', async () => {
    const cpu = await maskOn('cpu', shape, 2026);
    const wasm = await maskOn('wasm', shape, 2026);
    expect(wasm).toEqual(cpu);
    const x = tf.randomNormal(shape, 0, 1, 'float32', 4);
    const onWasm = await values(applyDropout(x, RATE, 8));
    x.dispose();
    await tf.setBackend('cpu');
    const xc = tf.randomNormal(shape, 0, 1, 'float32', 4);
    expect(onWasm).toEqual(await values(applyDropout(xc, RATE, 8)));
    xc.dispose();
  });
});
