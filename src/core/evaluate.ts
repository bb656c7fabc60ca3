/**
 * A model's test loss, accuracy, confusion matrix and predictions over the first `images` records of a test set:
 * BN in inference mode (running statistics), dropout off. Used by the trainer's evaluations and to evaluate weights
 * trained elsewhere (train.py, `wrn train --out`). Predictions are read back once at the end.
 */
import * as tf from '@tensorflow/tfjs';
import { toNormalisedImages } from './augment';
import { RECORD_PIXELS, type ImageSource } from './data/dataset';
import { forwardWithRatios } from './insight/forward';
import { NUM_CLASSES, type WrnArchitecture } from './shape';

export interface Evaluation {
  /** mean cross-entropy per image */
  testLoss: number;
  testAccuracy: number;
  testImages: number;
  /** 10x10 row-major counts: confusion[true * 10 + predicted] */
  confusion: number[];
  /** predicted class per test image, in test-set order */
  predictions: Uint8Array;
  /**
   * with a probe: per block, the mean over the probe images of ||F_b(x)|| / ||s_b(x)|| (insight/forward.ts), from
   * the same forward pass as the logits; null without one
   */
  residualRatio: number[] | null;
  /** the test images the ratios are the mean over (the first ones of the test set) */
  probeImages: number;
}

/** Block outputs are measured on the first `images` test images, through the net described by `arch`. */
export interface Probe {
  arch: WrnArchitecture;
  images: number;
}

/**
 * @param chunk test images per forward pass
 * @param between awaited after each chunk (the trainer lets pause/stop messages in there)
 * @param probe measure each block's residual ratio on the first `probe.images` test images, in the passes that
 *   evaluate them (a chunk that holds them runs block by block: the same ops, so the same logits)
 */
export async function evaluateModel(
  model: tf.LayersModel,
  test: ImageSource,
  images: number,
  chunk: number,
  between: () => Promise<void> = async () => {},
  probe: Probe | null = null,
): Promise<Evaluation> {
  const total = Math.min(images, test.available());
  const probeImages = probe ? Math.min(probe.images, total) : 0;
  let ratioTotal: tf.Tensor | null = null;
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
    const probed = Math.min(n, probeImages - start);
    const [lossSum, preds, ratioSum] = tf.tidy(() => {
      const x = toNormalisedImages(pixels, n);
      let logits: tf.Tensor2D;
      let ratioSum: tf.Tensor | null = null;
      if (probe && probed > 0) {
        const out = forwardWithRatios(model, probe.arch, x);
        logits = out.logits;
        ratioSum = tf.sum(out.ratios.slice([0, 0], [-1, probed]), 1);
      } else logits = model.apply(x, { training: false }) as tf.Tensor2D;
      const perImage = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(l, 'int32'), NUM_CLASSES), logits, undefined, undefined, tf.Reduction.NONE);
      return [tf.sum(perImage), tf.argMax(logits, 1), ratioSum] as const;
    });
    if (ratioSum) {
      const before: tf.Tensor | null = ratioTotal;
      ratioTotal = before ? tf.add(before, ratioSum) : ratioSum;
      if (before) tf.dispose([before, ratioSum]);
    }
    const previous: tf.Tensor | null = lossTotal;
    lossTotal = previous ? tf.add(previous, lossSum) : lossSum;
    if (previous) tf.dispose([previous, lossSum]);
    predParts.push(preds);
    await between();
  }
  const lossSum = lossTotal ?? tf.scalar(0);
  const predsAll = total > 0 ? tf.concat(predParts) : tf.zeros([0], 'int32');
  const ratios: tf.Tensor | null = ratioTotal;
  const [lossValue, predValues, ratioValues] = await Promise.all([lossSum.data(), predsAll.data(), ratios?.data() ?? null]);
  tf.dispose([...predParts, lossSum, predsAll]);
  ratios?.dispose();
  const predictions = Uint8Array.from(predValues);
  const confusion = new Array<number>(NUM_CLASSES * NUM_CLASSES).fill(0);
  let right = 0;
  for (let i = 0; i < total; i++) {
    const t = labels[i]!;
    const p = predictions[i]!;
    confusion[t * NUM_CLASSES + p]!++;
    if (t === p) right++;
  }
  const residualRatio = ratioValues ? Array.from(ratioValues, (v) => v / probeImages) : null;
  return { testLoss: lossValue[0]! / total, testAccuracy: right / total, testImages: total, confusion, predictions, residualRatio, probeImages };
}
