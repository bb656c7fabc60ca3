import { describe, expect, it } from 'vitest';
import type { BlockPoint } from '../../core/metrics';
import { groupOf, heatmapOf, layerRanges, layerSeries, lesionBars, lesionCurve, scaleColor, sharedMax, thinned } from './insight';

const point = (step: number, blocks: string[], ratio: (b: number) => number, grad: number[] | null = [1, 0.01]): BlockPoint => ({
  kind: 'blocks',
  step,
  epoch: step / 10,
  seconds: step,
  flops: step,
  blocks,
  residualRatio: blocks.map((_, i) => ratio(i)),
  probeImages: 256,
  layers: ['conv1', 'g1b1_conv1'],
  weightNorm: [2 + step / 100, 3],
  gradNorm: grad,
});

const ids9 = ['g1b1', 'g1b2', 'g1b3', 'g2b1', 'g2b2', 'g2b3', 'g3b1', 'g3b2', 'g3b3'];

describe('inside-the-nets views as data', () => {
  it('a heatmap has one row per block, grouped, and one column per evaluation', () => {
    const points = [10, 20, 30].map((s) => point(s, ids9, (b) => b / 10 + s / 1000));
    const h = heatmapOf(points)!;
    expect(h.blocks).toEqual(ids9);
    expect(h.groups).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(h.steps).toEqual([10, 20, 30]);
    expect(h.values[4]!.map((v) => +v.toFixed(6))).toEqual([0.41, 0.42, 0.43]);
    expect(heatmapOf([])).toBeNull();
    expect(groupOf('g3b12')).toBe(3);
  });

  it('a long run shows evenly spaced evaluations, first and last included', () => {
    expect(thinned(5, 10)).toEqual([0, 1, 2, 3, 4]);
    const t = thinned(1000, 60);
    expect(t).toHaveLength(60);
    expect(t[0]).toBe(0);
    expect(t.at(-1)).toBe(999);
    const points = Array.from({ length: 200 }, (_, i) => point(i + 1, ['g1b1', 'g2b1', 'g3b1'], () => i));
    const h = heatmapOf(points, 50)!;
    expect(h.steps).toHaveLength(50);
    expect(h.points).toBe(200);
    expect(h.steps.at(-1)).toBe(200);
  });

  it('one colour scale for all nets: from pale at 0 to dark at the largest ratio of any of them', () => {
    const a = heatmapOf([point(1, ['g1b1', 'g2b1', 'g3b1'], (b) => b)])!;
    const b = heatmapOf([point(1, ids9, () => 0.5)])!;
    expect(sharedMax([a, b, null])).toBe(2);
    expect(sharedMax([])).toBe(1);
    expect(scaleColor(0, 2)).toBe('rgb(247, 251, 255)');
    expect(scaleColor(2, 2)).toBe('rgb(8, 48, 107)');
    expect(scaleColor(5, 2)).toBe('rgb(8, 48, 107)');
    expect(scaleColor(1, 2)).toBe('rgb(107, 174, 214)');
  });

  it('layer series and their shared ranges (gradients on a log scale of at least a decade)', () => {
    const s = layerSeries([point(1, ['g1b1'], () => 1), point(2, ['g1b1'], () => 1, null)]);
    expect(s.map((x) => x.layer)).toEqual(['conv1', 'g1b1_conv1']);
    expect(s[0]).toEqual({ layer: 'conv1', steps: [1, 2], weightNorm: [2.01, 2.02], gradNorm: [1, null] });
    expect(layerRanges(s)).toEqual({ weightMax: 3, gradMin: 0.01, gradMax: 1 });
  });

  it('lesion bars and the curve against blocks removed', () => {
    const r = {
      model: 'WRN-10-1',
      testImages: 100,
      intact: { testAccuracy: 0.5 },
      blocks: [
        { block: 'g1b1', testAccuracy: 0.2 },
        { block: 'g2b1', testAccuracy: 0.45 },
        { block: 'g3b1', testAccuracy: 0.52 },
      ],
      random: [
        { k: 1, testAccuracy: 0.39, draws: 3 },
        { k: 2, testAccuracy: 0.2, draws: 3 },
      ],
    };
    expect(lesionBars(r).map((b) => [b.block, b.group, +b.drop.toFixed(2)])).toEqual([
      ['g1b1', 1, 0.3],
      ['g2b1', 2, 0.05],
      ['g3b1', 3, -0.02],
    ]);
    expect(lesionCurve(r)).toEqual([
      { k: 0, accuracy: 0.5 },
      { k: 1, accuracy: 0.39 },
      { k: 2, accuracy: 0.2 },
    ]);
  });
});
