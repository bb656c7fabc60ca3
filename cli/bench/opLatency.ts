/** The per-kernel overhead of the current backend: one small elementwise kernel, end to end. */
import * as tf from '@tensorflow/tfjs';

/**
 * What one small kernel costs, end to end: a chain of `tf.add`s on 4096 floats (above the size below which WebGPU
 * and WebGL hand tiny ops to the CPU), read back once. On a GPU backend this is the per-dispatch overhead (JS,
 * command encoding, submission) that a step pays ~1000 times; elementwise work on 16 KB is negligible.
 */
export async function smallOpMs(ops = 200): Promise<number> {
  const one = tf.fill([64, 64], 1);
  let x = tf.fill([64, 64], 0);
  const chain = (n: number) => {
    for (let i = 0; i < n; i++) {
      const y = tf.add(x, one);
      x.dispose();
      x = y;
    }
  };
  chain(5);
  await x.data();
  const t = performance.now();
  chain(ops);
  await x.data();
  const ms = (performance.now() - t) / ops;
  tf.dispose([x, one]);
  return ms;
}
