import { describe, expect, it } from 'vitest';
import { budgetLength, estimateSteps, flopsBudgetSteps, timeSpent } from './budget';
import { DEFAULT_CONFIG, type Config } from './config';
import { trainFlopsPerImage } from './cost';

const config = (budget: Config['budget']): Config => ({ ...DEFAULT_CONFIG, batch: 8, epochs: 3, train: 80, budget });
const wrn101 = { depth: 10, width: 1, dropout: 0 };

describe('budgets', () => {
  it('equal FLOPs: the whole steps of batch x training FLOPs per image that fit', () => {
    const perStep = 8 * trainFlopsPerImage(wrn101); // 8 images x 6 x MACs
    expect(flopsBudgetSteps(10 * perStep + perStep / 2, 8, wrn101)).toBe(10);
    expect(flopsBudgetSteps(perStep / 3, 8, wrn101)).toBe(1); // at least one step
    expect(budgetLength(config({ kind: 'flops', flops: 7 * perStep }), wrn101, 80)).toEqual({ steps: 7 });
  });

  it("epochs: no length of its own; time: open-ended, first guessed at the epochs' steps", () => {
    expect(budgetLength(config({ kind: 'epochs' }), wrn101, 80)).toBeUndefined();
    expect(budgetLength(config({ kind: 'time', seconds: 60 }), wrn101, 80)).toEqual({ steps: 30, open: true }); // 10 steps x 3 epochs
  });

  it('time: spent at the budget, and the steps it holds from the pace so far', () => {
    const c = config({ kind: 'time', seconds: 60 });
    expect(timeSpent(c, 59.9)).toBe(false);
    expect(timeSpent(c, 60)).toBe(true);
    expect(timeSpent(config({ kind: 'epochs' }), 1e9)).toBe(false);
    // 40 steps in the 20 s after step 10 (at 5 s): 2 steps/s; at step 50 and 25 s, 35 s are left: 50 + 70 = 120
    expect(estimateSteps(60, { step: 10, seconds: 5 }, { step: 50, seconds: 25 })).toBe(120);
    expect(estimateSteps(60, { step: 10, seconds: 5 }, { step: 10, seconds: 5 })).toBeNull();
    expect(estimateSteps(60, { step: 10, seconds: 5 }, { step: 200, seconds: 70 })).toBe(200); // past the budget: no more
  });
});
