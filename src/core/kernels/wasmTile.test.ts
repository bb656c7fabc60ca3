/** The block-copy WASM Tile against the CPU backend's, on the batch-norm shape and on general ones. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTile } from './wasmTile';

beforeAll(async () => {
  registerWasmTile();
  await tf.setBackend('wasm');
});

async function tileOn(
  backend: string,
  shape: number[],
  reps: number[],
  dtype: 'float32' | 'int32' | 'bool',
): Promise<{ shape: number[]; values: number[] }> {
  await tf.setBackend(backend);
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, (_, i) => (dtype === 'bool' ? i % 3 === 0 : i * 7 - 5));
  const x = tf.tensor(values as number[], shape, dtype);
  const y = tf.tile(x, reps);
  const out = { shape: y.shape, values: Array.from(await y.data()) };
  tf.dispose([x, y]);
  return out;
}

describe('wasm Tile', () => {
  it('is registered for wasm and idempotent', () => {
    const k = tf.getKernel(tf.Tile, 'wasm');
    registerWasmTile();
    expect(tf.getKernel(tf.Tile, 'wasm')!.kernelFunc).toBe(k!.kernelFunc);
  });

  it.each([
    ['batch norm: [1,1,1,C] to [N,H,W,C]', [1, 1, 1, 16], [4, 8, 8, 1], 'float32'],
    ['every axis repeated', [2, 3, 4], [3, 2, 2], 'float32'],
    ['inner axis only', [5, 3], [1, 4], 'float32'],
    ['outer axis only', [3, 5], [4, 1], 'int32'],
    ['no repeat', [2, 3], [1, 1], 'float32'],
    ['rank 1', [7], [3], 'int32'],
    ['rank 5', [2, 1, 3, 1, 2], [1, 3, 1, 2, 2], 'float32'],
    ['bool', [2, 3], [2, 2], 'bool'],
    ['an empty axis', [0, 3], [2, 2], 'float32'],
  ] as const)('%s', async (_name, shape, reps, dtype) => {
    const ref = await tileOn('cpu', [...shape], [...reps], dtype);
    const before = tf.memory().numTensors;
    const got = await tileOn('wasm', [...shape], [...reps], dtype);
    expect(got).toEqual(ref);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps the gradient of a tile (a sum over the copies) right', async () => {
    const grad = async (backend: string) => {
      await tf.setBackend(backend);
      const x = tf.tensor([1, 2, 3], [1, 3]);
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.tile(a, [2, 2]), tf.range(0, 12).reshape([2, 6]))))(x);
      const out = Array.from(await g.data());
      tf.dispose([x, g]);
      return out;
    };
    expect(await grad('wasm')).toEqual(await grad('cpu'));
  });
});
