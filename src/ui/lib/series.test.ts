import { describe, expect, it } from 'vitest';
import type { StepPoint } from '../../core/metrics';
import { downsample, mergeLines, trainLine, xAxisSpec } from './series';

describe('series', () => {
  it('downsample keeps first and last and at most max points', () => {
    const pts = Array.from({ length: 1001 }, (_, i) => i);
    const out = downsample(pts, 100);
    expect(out).toHaveLength(100);
    expect(out[0]).toBe(0);
    expect(out.at(-1)).toBe(1000);
    expect(downsample([1, 2, 3], 10)).toEqual([1, 2, 3]);
  });

  it('mergeLines makes one row per x with each line’s value', () => {
    const rows = mergeLines([
      {
        key: 'a',
        points: [
          { x: 1, y: 10 },
          { x: 2, y: 20 },
        ],
      },
      {
        key: 'b',
        points: [
          { x: 2, y: 5 },
          { x: 3, y: 6 },
        ],
      },
    ]);
    expect(rows).toEqual([
      { x: 1, a: 10 },
      { x: 2, a: 20, b: 5 },
      { x: 3, b: 6 },
    ]);
  });

  it('flops axis picks a unit that keeps the total above 1', () => {
    expect(xAxisSpec('flops', 3e13)).toMatchObject({ divisor: 1e12, label: 'training compute (TFLOP)' });
    expect(xAxisSpec('flops', 5e8)).toMatchObject({ divisor: 1e9 });
  });

  it('trainLine plots accuracy in percent against the chosen x', () => {
    const p: StepPoint = {
      kind: 'step',
      step: 4,
      epoch: 0.5,
      loss: 2,
      trainAccuracy: 0.25,
      lr: 0.1,
      imagesPerSec: 1,
      stepMs: 1,
      numTensors: 1,
      deviceBytes: 1,
      seconds: 3,
      flops: 2e12,
    };
    expect(trainLine([p], 'accuracy', xAxisSpec('seconds', 0), 0)).toEqual([{ x: 3, y: 25 }]);
    expect(trainLine([p], 'loss', xAxisSpec('flops', 2e12), 0)).toEqual([{ x: 2, y: 2 }]);
  });
});
