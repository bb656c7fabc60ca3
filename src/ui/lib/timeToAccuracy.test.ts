import { describe, expect, it } from 'vitest';
import type { EvalPoint } from '../../core/metrics';
import { bestTestAccuracy, timeToAccuracy } from './timeToAccuracy';

const evalAt = (step: number, testAccuracy: number): EvalPoint => ({
  kind: 'eval',
  step,
  epoch: step / 10,
  testLoss: 1,
  testAccuracy,
  testImages: 100,
  seconds: step * 2,
  flops: step * 1e9,
  confusion: [],
});

describe('timeToAccuracy', () => {
  const evals = [evalAt(10, 0.3), evalAt(20, 0.55), evalAt(30, 0.5), evalAt(40, 0.7)];

  it('finds the first evaluation at or above the target', () => {
    expect(timeToAccuracy(evals, 0.5)).toEqual({ seconds: 40, flops: 20e9, step: 20, epoch: 2 });
    expect(timeToAccuracy(evals, 0.55)?.step).toBe(20);
  });

  it('is null when the target was never reached', () => {
    expect(timeToAccuracy(evals, 0.9)).toBeNull();
    expect(timeToAccuracy([], 0.1)).toBeNull();
  });

  it('bestTestAccuracy is the maximum, null without evaluations', () => {
    expect(bestTestAccuracy(evals)).toBe(0.7);
    expect(bestTestAccuracy([])).toBeNull();
  });
});
