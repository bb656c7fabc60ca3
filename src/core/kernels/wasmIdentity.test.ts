/** The sharing WASM Identity: clones hold the same values, cost no new buffer, and outlive or die with the input alone. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { installKernels } from '.';
import { registerWasmIdentity } from './wasmIdentity';

/** BackendWasm's reference count of a buffer (0 once it is freed). */
interface RefCounts {
  refCount(dataId: object): number;
  numDataIds(): number;
}
const wasm = (): RefCounts => tf.findBackend('wasm') as unknown as RefCounts;
const dataIdOf = (t: tf.Tensor): object => (t as unknown as { dataId: object }).dataId;

beforeAll(async () => {
  installKernels('wasm');
  await tf.setBackend('wasm');
});

describe('wasm Identity', () => {
  it('is installed for wasm and idempotent', () => {
    const k = tf.getKernel(tf.Identity, 'wasm');
    expect(k).toBeDefined();
    registerWasmIdentity();
    expect(tf.getKernel(tf.Identity, 'wasm')!.kernelFunc).toBe(k!.kernelFunc);
  });

  it.each([
    ['float32', [2, 3], [1.5, -2, 0, 3.25, 1e-7, -1e9]],
    ['int32', [3], [7, -1, 2147483647]],
    ['bool', [2, 2], [1, 0, 0, 1]],
  ] as const)('clones %s values, sharing the buffer with one more reference', async (dtype, shape, values) => {
    const x = tf.tensor([...values], [...shape], dtype);
    const buffers = wasm().numDataIds();
    const y = tf.clone(x);
    expect(y.shape).toEqual(x.shape);
    expect(y.dtype).toBe(dtype);
    expect(Array.from(await y.data())).toEqual(Array.from(await x.data()));
    expect(wasm().numDataIds()).toBe(buffers); // no new buffer on the heap
    expect(wasm().refCount(dataIdOf(x))).toBe(2);
    tf.dispose([x, y]);
  });

  it('keeps a clone intact when the input is disposed, and the input when the clone is', async () => {
    const before = tf.memory().numTensors;
    const buffers = wasm().numDataIds();
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const y = tf.clone(x);
    x.dispose();
    expect(wasm().refCount(dataIdOf(y))).toBe(1);
    // A new tensor made now must not land on the clone's buffer.
    const z = tf.fill([2, 2], 9);
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
    const sum = tf.add(y, z);
    expect(Array.from(await sum.data())).toEqual([10, 11, 12, 13]);
    const y2 = tf.clone(y);
    y.dispose();
    expect(Array.from(await y2.data())).toEqual([1, 2, 3, 4]);
    tf.dispose([y2, z, sum]);
    expect(tf.memory().numTensors).toBe(before);
    expect(wasm().numDataIds()).toBe(buffers); // every buffer freed
  });

  it('leaves nothing behind in a tidy and keeps what the tidy returns', async () => {
    const x = tf.tensor([5, 6, 7]);
    const before = tf.memory().numTensors;
    const buffers = wasm().numDataIds();
    const kept = tf.tidy(() => {
      tf.clone(tf.clone(x));
      return tf.clone(x);
    });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(wasm().numDataIds()).toBe(buffers);
    expect(Array.from(await kept.data())).toEqual([5, 6, 7]);
    tf.dispose([kept, x]);
    expect(tf.memory().numTensors).toBe(before - 1);
  });

  it('is safe under a variable: assigning a new value leaves an earlier clone as it was', async () => {
    const v = tf.variable(tf.tensor([1, 2]));
    const snapshot = tf.clone(v);
    v.assign(tf.tensor([8, 9]));
    expect(Array.from(await snapshot.data())).toEqual([1, 2]);
    expect(Array.from(await v.data())).toEqual([8, 9]);
    tf.dispose([snapshot, v]);
  });

  it('clones strings with the shipped kernel', async () => {
    const s = tf.tensor(['a', 'bc']);
    const c = tf.clone(s);
    expect(await c.data()).toEqual(['a', 'bc']);
    tf.dispose([s, c]);
  });

  it('gives the gradients of an op that saves its inputs (clones) the CPU backend values, and leaks nothing', async () => {
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const [a, b] = tf.tidy(() => [
        tf.variable(
          tf.tensor([
            [1, -2, 3],
            [0.5, 4, -1],
          ]),
        ),
        tf.variable(
          tf.tensor([
            [2, 1],
            [0, -3],
            [1, 1],
          ]),
        ),
      ]);
      // matMul and relu save their inputs and output for the backward pass: tfjs clones them (Identity).
      const { value, grads: g } = tf.variableGrads(() => tf.sum(tf.relu(tf.matMul(a, b))), [a, b]);
      const out = { value: Array.from(await value.data()), grads: await Promise.all([a, b].map(async (v) => Array.from(await g[v.name]!.data()))) };
      tf.dispose([value, ...Object.values(g)]);
      tf.dispose([a, b]);
      expect(tf.memory().numTensors).toBe(before);
      return out;
    };
    const cpu = await grads('cpu');
    expect(await grads('wasm')).toEqual(cpu);
  });
});
