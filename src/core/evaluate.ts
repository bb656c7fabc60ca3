/**
 * A model's test loss, accuracy, confusion matrix and predictions over the first `images` records of a test set:
 * BN in inference mode (running statistics), dropout off. Used by the trainer's evaluations and to evaluate weights
 * trained elsewhere (train.py, `wrn train --out`). Predictions are read back once at the end.
 */
import * as tf from '@tensorflow/tfjs';
import { toNormalisedImages } from './augment';
import { RECORD_PIXELS, type ImageSource } from './data/dataset';
import { NUM_CLASSES } from './shape';

export interface Evaluation {
  /** mean cross-entropy per image */
  testLoss: number;
  testAccuracy: number;
  testImages: number;
  /** 10x10 row-major counts: confusion[true * 10 + predicted] */
  confusion: number[];
  /** predicted class per test image, in test-set order */
  predictions: Uint8Array;
}

/**
 * @param chunk test images per forward pass
 * @param between awaited after each chunk (the trainer lets pause/stop messages in there)
 */
export async function evaluateModel(
  model: tf.LayersModel,
  test: ImageSource,
  images: number,
  chunk: number,
  between: () => Promise<void> = async () => {},
): Promise<Evaluation> {
  const total = Math.min(images, test.available());
  const labels = new Int32Array(total);
  // The loss is summed as it comes, not by one tf.addN at the end: tfjs-webgpu's AddN binds all its inputs in one
  // shader, and past maxStorageBuffersPerShaderStage (8 unless asked for more) the pipeline is invalid and the
  // sum silently reads as 0 (seen on an H200 with 8 chunks). tf.concat splits its inputs itself.
  let lossTotal: tf.Tensor | null = null;
  const predParts: tf.Tensor[] = [];
  for (let start = 0; start < total; start += chunk) {
    const n = Math.min(chunk, total - start);
    const idx = new Int32Array(n).map((_, i) => start + i);
    const pixels = new Uint8Array(n * RECORD_PIXELS);
    const l = labels.subarray(start, start + n);
    test.gather(idx, pixels, l);
    const [lossSum, preds] = tf.tidy(() => {
      const logits = model.apply(toNormalisedImages(pixels, n), { training: false }) as tf.Tensor2D;
      const perImage = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(l, 'int32'), NUM_CLASSES), logits, undefined, undefined, tf.Reduction.NONE);
      return [tf.sum(perImage), tf.argMax(logits, 1)];
    });
    const previous: tf.Tensor | null = lossTotal;
    lossTotal = previous ? tf.add(previous, lossSum) : lossSum;
    if (previous) tf.dispose([previous, lossSum]);
    predParts.push(preds);
    await between();
  }
  const lossSum = lossTotal ?? tf.scalar(0);
  const predsAll = total > 0 ? tf.concat(predParts) : tf.zeros([0], 'int32');
  const [lossValue, predValues] = await Promise.all([lossSum.data(), predsAll.data()]);
  tf.dispose([...predParts, lossSum, predsAll]);
  const predictions = Uint8Array.from(predValues);
  const confusion = new Array<number>(NUM_CLASSES * NUM_CLASSES).fill(0);
  let right = 0;
  for (let i = 0; i < total; i++) {
    const t = labels[i]!;
    const p = predictions[i]!;
    confusion[t * NUM_CLASSES + p]!++;
    if (t === p) right++;
  }
  return { testLoss: lossValue[0]! / total, testAccuracy: right / total, testImages: total, confusion, predictions };
}
