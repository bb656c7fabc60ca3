/**
 * Exponential moving average for noisy per-batch curves, debiased as in TensorBoard and Adam: without the
 * correction the first points are pulled towards 0 (the EMA's starting value), which looks like a fake dip.
 */

/**
 * Smooths `values` with weight `w` in [0, 1): 0 returns the values unchanged, 0.99 is very smooth.
 * Non-finite values (a NaN loss) are passed through without disturbing the average.
 */
export function emaSmooth(values: readonly number[], w: number): number[] {
  const weight = Math.min(Math.max(w, 0), 0.999);
  if (weight === 0) return values.slice();
  const out = new Array<number>(values.length);
  let ema = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    ema = weight * ema + (1 - weight) * v;
    n++;
    out[i] = ema / (1 - weight ** n);
  }
  return out;
}
