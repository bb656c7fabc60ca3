import { describe, expect, it } from 'vitest';
import type { EvalPoint, RunSummary } from '../../core/metrics';
import { colorSlots, groupByNet, runLabel, verdictsAgainstMain } from './comparison';
import type { RunRecord } from './runRecord';

const evalAt = (accuracy: number, testImages = 1000): EvalPoint => ({
  kind: 'eval',
  step: 10,
  epoch: 1,
  testLoss: 1.5,
  testAccuracy: accuracy,
  testImages,
  seconds: 30,
  flops: 1e12,
  confusion: [],
});
const summary = (accuracy: number, seconds = 30): RunSummary => ({
  status: 'finished',
  steps: 10,
  seconds,
  flops: 1e12,
  firstStepMs: 100,
  finalEval: evalAt(accuracy),
  predictions: null,
});
const run = (net: number, seed: number, name: string, final: number | null, best = final): RunRecord => ({
  id: `live-${net}-${seed}`,
  name,
  params: 1000 * (net + 1),
  macs: 1,
  steps: [],
  // an earlier, better evaluation: the final one is what counts, not the best
  evals: final === null ? [] : [evalAt(best!), evalAt(final)],
  imported: false,
  totalSteps: 10,
  summary: final === null ? null : summary(final),
  net,
  seed,
});

describe('runs grouped by net', () => {
  const runs = [
    run(0, 0, 'WRN-16-4', 0.452, 0.47),
    run(1, 0, 'WRN-10-1', 0.412),
    run(0, 1, 'WRN-16-4', 0.447),
    run(1, 1, 'WRN-10-1', 0.431),
    run(0, 2, 'WRN-16-4', 0.47),
    run(1, 2, 'WRN-10-1', 0.405),
    run(0, 3, 'WRN-16-4', null), // still training
  ];

  it("summarises each net's per-seed final accuracies as the hand computation does", () => {
    const [main, other] = groupByNet(runs);
    expect(main!.name).toBe('WRN-16-4');
    expect(main!.runs).toHaveLength(4);
    expect(main!.finished.map((f) => f.accuracy)).toEqual([0.452, 0.447, 0.47]); // final, not best (0.47 first)
    // (0.452 + 0.447 + 0.470) / 3 = 1.369 / 3 = 0.456333; sum of squared deviations, in thousandths:
    // 452² + 447² + 470² - 1369² / 3 = 625013 - 624720.333 = 292.667, i.e. 0.000292667; / 2; std = 0.0120969
    expect(main!.summary!.mean).toBeCloseTo(1.369 / 3, 12);
    expect(main!.summary!.std).toBeCloseTo(Math.sqrt(0.292666666666667e-3 / 2), 10);
    // 95% interval: mean ± 4.302652729749462 · std / √3
    const half = (4.302652729749462 * Math.sqrt(0.292666666666667e-3 / 2)) / Math.sqrt(3);
    expect(main!.summary!.ci95![0]).toBeCloseTo(1.369 / 3 - half, 8);
    expect(other!.summary!.mean).toBeCloseTo(0.416, 12);
    expect(other!.summary!.std).toBeCloseTo(Math.sqrt(181e-6), 12);
  });

  it('gives the verdict of each net against the main one', () => {
    const verdicts = verdictsAgainstMain(groupByNet(runs));
    expect(verdicts[0]).toBeNull();
    expect(verdicts[1]!.text).toBe("WRN-16-4 is ahead of WRN-10-1 by 4.0 ± 2.9 points, larger than the noise (Welch's t, p=0.019)");
  });

  it('colours the seeds of one net alike and labels them by seed', () => {
    expect(colorSlots(runs)).toEqual([0, 1, 0, 1, 0, 1, 0]);
    expect(runLabel(runs[2]!, runs)).toBe('WRN-16-4 (seed 1)');
    const single = [run(0, 0, 'WRN-16-4', 0.4), run(1, 0, 'WRN-10-1', 0.4)];
    expect(runLabel(single[0]!, single)).toBe('WRN-16-4');
  });

  it('single runs: the binomial interval of one accuracy on its test images', () => {
    const [g] = groupByNet([run(0, 0, 'WRN-16-4', 0.5)]);
    expect(g!.summary!.ci95).toBeNull();
    expect(g!.finished[0]!.interval[0]).toBeCloseTo(0.4690696003681042, 10);
    expect(g!.finished[0]!.interval[1]).toBeCloseTo(0.5309303996318958, 10);
  });
});
