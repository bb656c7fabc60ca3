/**
 * The device-side Mean and Sum gradients give tfjs's own values bit for bit, for every axis form, and make no
 * activation-sized tensor on the host (which is their reason to exist).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDeviceGradients, restoreTfjsGradients } from './deviceGradients';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(() => registerDeviceGradients());

/** Gradient of sum(w * op(x)) with respect to x, with a non-uniform upstream w so that every dy value differs. */
async function gradOf(op: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): Promise<Float32Array> {
  const g = tf.grad((t: tf.Tensor) => {
    const y = op(t);
    const w = tf.linspace(0.5, 2, y.size).reshape(y.shape);
    return tf.sum(tf.mul(y, w));
  })(x);
  const v = (await g.data()) as Float32Array;
  g.dispose();
  return v;
}

/** Counts tensors made from host values, and their bytes, while f runs. */
async function hostTensors(f: () => Promise<unknown>): Promise<{ count: number; bytes: number }> {
  const engine = tf.engine() as unknown as { makeTensor: (v: unknown, ...rest: unknown[]) => tf.Tensor };
  const original = engine.makeTensor;
  const seen = { count: 0, bytes: 0 };
  engine.makeTensor = (v, ...rest) => {
    seen.count++;
    seen.bytes += ArrayBuffer.isView(v) ? v.byteLength : 0;
    return original.call(engine, v, ...rest);
  };
  try {
    await f();
  } finally {
    engine.makeTensor = original;
  }
  return seen;
}

const CASES: [string, (x: tf.Tensor) => tf.Tensor][] = [
  ['mean over N, H, W (batch norm)', (x) => tf.mean(x, [0, 1, 2])],
  ['mean over all axes', (x) => tf.mean(x)],
  ['mean over a negative axis, keepDims', (x) => tf.mean(x, -1, true)],
  ['sum over H, W', (x) => tf.sum(x, [1, 2])],
  ['sum over all axes', (x) => tf.sum(x)],
  ['sum over axis 0, keepDims', (x) => tf.sum(x, 0, true)],
  ['moments (batch norm in training)', (x) => tf.add(tf.moments(x, [0, 1, 2]).mean, tf.moments(x, [0, 1, 2]).variance)],
];

describe('device-side Mean and Sum gradients', () => {
  for (const [name, op] of CASES) {
    it(`equal tfjs's: ${name}`, async () => {
      const x = tf.randomNormal([3, 4, 5, 6], 0, 1, 'float32', 9);
      registerDeviceGradients();
      const ours = await gradOf(op, x);
      restoreTfjsGradients();
      const theirs = await gradOf(op, x);
      registerDeviceGradients();
      x.dispose();
      expect(ours).toEqual(theirs);
    });
  }

  it('make no activation-sized host tensor (tfjs makes one per Mean)', async () => {
    const x = tf.randomNormal([8, 16, 16, 32], 0, 1, 'float32', 2);
    const op = (t: tf.Tensor) => tf.moments(t, [0, 1, 2]).variance;
    registerDeviceGradients();
    const ours = await hostTensors(() => gradOf(op, x));
    restoreTfjsGradients();
    const theirs = await hostTensors(() => gradOf(op, x));
    registerDeviceGradients();
    x.dispose();
    expect(theirs.bytes).toBeGreaterThanOrEqual(x.size * 4);
    expect(ours.bytes).toBeLessThan(1024);
  });
});
