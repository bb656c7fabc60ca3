/** Derived evaluation views: per-class accuracy from a confusion matrix, and test images as RGBA pixels. */
import { RECORD_PIXELS } from '../../core/data/dataset';
import { NUM_CLASSES } from '../../core/shape';

const SIDE = 32;

/** Fraction right per true class (row of confusion[true * 10 + predicted]); NaN for a class with no images. */
export function perClassAccuracy(confusion: readonly number[]): number[] {
  const out: number[] = [];
  for (let t = 0; t < NUM_CLASSES; t++) {
    let total = 0;
    for (let p = 0; p < NUM_CLASSES; p++) total += confusion[t * NUM_CLASSES + p] ?? 0;
    out.push(total > 0 ? (confusion[t * NUM_CLASSES + t] ?? 0) / total : Number.NaN);
  }
  return out;
}

/** Record `index` of CHW planes (1024 R, 1024 G, 1024 B) as the RGBA pixels an ImageData wants. */
export function chwToRgba(pixels: Uint8Array, index: number): Uint8ClampedArray<ArrayBuffer> {
  const base = index * RECORD_PIXELS;
  const plane = SIDE * SIDE;
  const rgba = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    rgba[4 * i] = pixels[base + i] ?? 0;
    rgba[4 * i + 1] = pixels[base + plane + i] ?? 0;
    rgba[4 * i + 2] = pixels[base + 2 * plane + i] ?? 0;
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

export interface SampleItem {
  index: number;
  label: number;
  /** the model's prediction, or null before one exists */
  predicted: number | null;
}

/**
 * The samples to show: all of them, or only the mistakes on one true class when `mistakesOf` is set.
 * predictions[i] belongs to sample i (the samples are the first test images, evaluated in order).
 */
export function selectSamples(labels: Uint8Array, predictions: ArrayLike<number> | null, mistakesOf: number | null): SampleItem[] {
  const items: SampleItem[] = [];
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    const predicted = predictions && i < predictions.length ? predictions[i]! : null;
    if (mistakesOf !== null && (label !== mistakesOf || predicted === null || predicted === label)) continue;
    items.push({ index: i, label, predicted });
  }
  return items;
}
