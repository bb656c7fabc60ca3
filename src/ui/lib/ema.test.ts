import { describe, expect, it } from 'vitest';
import { emaSmooth } from './ema';

describe('emaSmooth', () => {
  it('returns the values unchanged at weight 0', () => {
    expect(emaSmooth([3, 1, 2], 0)).toEqual([3, 1, 2]);
  });

  it('is debiased: a constant series stays constant from the first point', () => {
    const out = emaSmooth([2, 2, 2, 2], 0.9);
    for (const v of out) expect(v).toBeCloseTo(2, 12);
  });

  it('follows a step more slowly with a larger weight', () => {
    const values = [0, 0, 0, 1, 1, 1];
    const light = emaSmooth(values, 0.3);
    const heavy = emaSmooth(values, 0.9);
    expect(light[3]!).toBeGreaterThan(heavy[3]!);
    expect(heavy[5]!).toBeLessThan(1);
  });

  it('passes NaN through without poisoning later points', () => {
    const out = emaSmooth([1, Number.NaN, 1], 0.5);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeCloseTo(1, 12);
  });
});
