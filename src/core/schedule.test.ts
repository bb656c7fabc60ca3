import { describe, expect, it } from 'vitest';
import { learningRateAt, planRun } from './schedule';

describe('learning-rate schedule', () => {
  const recipe = { lr: 0.1, schedule: 'step' as const };

  it('multiplies by 0.2 exactly at 30%, 60% and 80% of the run (paper: epochs 60, 120, 160 of 200)', () => {
    const plan = planRun({ batch: 128, epochs: 200, warmup: 0 }, 50000); // 390 steps/epoch
    expect(plan.stepsPerEpoch).toBe(390);
    const at = (epoch: number) => learningRateAt(recipe, plan, epoch * plan.stepsPerEpoch);
    expect(at(0)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(recipe, plan, 60 * 390 - 1)).toBeCloseTo(0.1, 12);
    expect(at(60)).toBeCloseTo(0.02, 12);
    expect(learningRateAt(recipe, plan, 120 * 390 - 1)).toBeCloseTo(0.02, 12);
    expect(at(120)).toBeCloseTo(0.004, 12);
    expect(learningRateAt(recipe, plan, 160 * 390 - 1)).toBeCloseTo(0.004, 12);
    expect(at(160)).toBeCloseTo(0.0008, 12);
    expect(at(199)).toBeCloseTo(0.0008, 12);
  });

  it('keeps the same shape on a short run', () => {
    const plan = planRun({ batch: 32, epochs: 3, warmup: 0 }, 4000); // 125 steps/epoch, 375 steps
    const boundaries = [0, 113, 225, 300]; // round(0.3*375)=113 (112.5 rounds up), 225, 300
    const rates = [0.1, 0.02, 0.004, 0.0008];
    boundaries.forEach((s, i) => {
      expect(learningRateAt(recipe, plan, s)).toBeCloseTo(rates[i]!, 12);
      if (s > 0) expect(learningRateAt(recipe, plan, s - 1)).toBeCloseTo(rates[i - 1]!, 12);
    });
  });

  it('cosine falls from lr to 0; warm-up ramps linearly', () => {
    const plan = planRun({ batch: 10, epochs: 10, warmup: 1 }, 100); // 10 steps/epoch, 100 steps, 10 warm-up
    const cos = { lr: 0.1, schedule: 'cosine' as const };
    expect(learningRateAt(cos, plan, 0)).toBeCloseTo(0.1 / 10, 12);
    expect(learningRateAt(cos, plan, 4)).toBeCloseTo(0.1 * 0.5 * (1 + Math.cos((Math.PI * 4) / 100)) * 0.5, 12);
    expect(learningRateAt(cos, plan, 50)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(cos, plan, 100)).toBeCloseTo(0, 12);
    expect(learningRateAt({ lr: 0.1, schedule: 'constant' }, plan, 99)).toBe(0.1);
  });

  it('drops the last partial batch and never plans a batch larger than the data', () => {
    expect(planRun({ batch: 128, epochs: 2, warmup: 0 }, 1000)).toEqual({ batch: 128, stepsPerEpoch: 7, totalSteps: 14, warmupSteps: 0 });
    expect(planRun({ batch: 128, epochs: 1, warmup: 0 }, 50)).toMatchObject({ batch: 50, stepsPerEpoch: 1 });
  });
});
