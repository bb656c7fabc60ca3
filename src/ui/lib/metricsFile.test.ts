import { describe, expect, it } from 'vitest';
import type { BlockPoint, EvalPoint, StepPoint } from '../../core/metrics';
import { CSV_COLUMNS, decodeMetricsFile, encodeMetricsCsv, encodeMetricsJson } from './metricsFile';
import type { RunRecord } from './runRecord';

const step = (s: number): StepPoint => ({
  kind: 'step',
  step: s,
  epoch: s / 4,
  loss: 2.3 - s * 0.01,
  trainAccuracy: 0.1 + s / 1000,
  lr: 0.1,
  imagesPerSec: 123.4,
  stepMs: 56.7,
  numTensors: 321,
  deviceBytes: 1 << 20,
  seconds: s * 0.25,
  flops: s * 1.5e9,
});
const evalPoint = (s: number): EvalPoint => ({
  kind: 'eval',
  step: s,
  epoch: s / 4,
  testLoss: 2.1,
  testAccuracy: 0.25,
  testImages: 50,
  seconds: s * 0.25,
  flops: s * 1.5e9,
  confusion: Array.from({ length: 100 }, (_, i) => i % 7),
});
const blocksPoint = (s: number, gradNorm = true): BlockPoint => ({
  kind: 'blocks',
  step: s,
  epoch: s / 4,
  seconds: s * 0.25,
  flops: s * 1.5e9,
  blocks: ['g1b1', 'g2b1', 'g3b1'],
  residualRatio: [0.5 + s / 100, 0.25, 1 / 3],
  probeImages: 50,
  layers: ['conv1', 'g1b1_conv1', 'g1b1_conv2'],
  weightNorm: [3.5, 4.25, 5e-3],
  gradNorm: gradNorm ? [0.125, 1e-9, 2] : null,
});
const run = (id: string, name: string, n: number): RunRecord => ({
  id,
  name,
  params: 77850,
  macs: 12_999_000,
  imported: false,
  totalSteps: n,
  summary: null,
  steps: Array.from({ length: n }, (_, i) => step(i + 1)),
  evals: [evalPoint(Math.ceil(n / 2)), evalPoint(n)],
  blocks: [blocksPoint(Math.ceil(n / 2)), blocksPoint(n, false)],
});

describe('metrics files', () => {
  const runs = [run('live-0', 'WRN-10-1', 8), run('live-1', 'WRN-16-1 (dropout 0.3)', 5)];

  it('CSV round-trips every point of every run', () => {
    const back = decodeMetricsFile(encodeMetricsCsv(runs), 'imported-1');
    expect(back.map((r) => r.name)).toEqual(['WRN-10-1', 'WRN-16-1 (dropout 0.3)']);
    back.forEach((r, i) => {
      expect(r.imported).toBe(true);
      expect(r.id).toBe(`imported-1-${i}`);
      expect(r.steps).toEqual(runs[i]!.steps);
      expect(r.evals).toEqual(runs[i]!.evals);
      expect(r.blocks).toEqual(runs[i]!.blocks);
      expect(r.params).toBe(77850);
    });
  });

  it('reads a CSV and a JSON written before blocks points existed', () => {
    const old = runs.map((r) => ({ ...r, blocks: [] }));
    const csv = encodeMetricsCsv(old);
    const before = CSV_COLUMNS.indexOf('blocks');
    const oldCsv = csv
      .split('\r\n')
      .map((line) => line.split(',').slice(0, before).join(','))
      .join('\r\n');
    expect(oldCsv.split('\r\n')[0]).not.toContain('residualRatio');
    const back = decodeMetricsFile(oldCsv, 'old');
    expect(back[0]!.steps).toEqual(runs[0]!.steps);
    expect(back[0]!.blocks).toEqual([]);
    const json = JSON.parse(encodeMetricsJson(old, '', new Date(0)));
    for (const r of json.runs) delete r.blocks;
    expect(decodeMetricsFile(JSON.stringify(json), 'old')[1]!.evals).toEqual(runs[1]!.evals);
  });

  it('JSON round-trips the points and keeps the config link', () => {
    const text = encodeMetricsJson(runs, 'v=1&depth=10', new Date(0));
    expect(JSON.parse(text).config).toBe('v=1&depth=10');
    const back = decodeMetricsFile(text, 'imported-2');
    expect(back[1]!.steps).toEqual(runs[1]!.steps);
    expect(back[1]!.evals).toEqual(runs[1]!.evals);
    expect(back[1]!.blocks).toEqual(runs[1]!.blocks);
  });

  it('says what is wrong with a file that is not an export', () => {
    expect(() => decodeMetricsFile('', 'x')).toThrow(/empty/);
    expect(() => decodeMetricsFile('a,b\n1,2', 'x')).toThrow(/missing column/);
    expect(() => decodeMetricsFile('{"format":"other"}', 'x')).toThrow(/not a wrn-playground-metrics/);
    const json = JSON.parse(encodeMetricsJson(runs, '', new Date(0)));
    json.runs[1].steps[2].loss = 'high';
    expect(() => decodeMetricsFile(JSON.stringify(json), 'x')).toThrow('run 1, steps[2]: loss is "high", not a number');
    const bad = encodeMetricsCsv(runs).replace('\r\n0,WRN-10-1,77850,12999000,step,1,', '\r\n0,WRN-10-1,77850,12999000,step,oops,');
    expect(() => decodeMetricsFile(bad, 'x')).toThrow(/line 2: step is "oops"/);
    const short = JSON.parse(encodeMetricsJson(runs, '', new Date(0)));
    short.runs[0].blocks[1].residualRatio.pop();
    expect(() => decodeMetricsFile(JSON.stringify(short), 'x')).toThrow('run 0, blocks[1]: residualRatio must hold 3 numbers, one per block');
  });

  it('reads the JSON Lines metrics.jsonl of `wrn train --out` and train.py, runs grouped by model name', () => {
    const lines = [
      ...runs[0]!.steps.map((p) => ({ model: 'WRN-10-1', ...p })),
      ...runs[1]!.steps.slice(0, 2).map((p) => ({ model: 'WRN-16-1 (dropout 0.3)', ...p })),
      { model: 'WRN-10-1', ...runs[0]!.evals[1]! },
      { model: 'WRN-10-1', seed: 0, ...runs[0]!.blocks![1]! },
      { model: 'WRN-10-1', kind: 'summary', status: 'finished', steps: 8, seconds: 2, flops: 1e9, firstStepMs: 300, finalEval: null, testAccuracy: 0.25 },
    ];
    const back = decodeMetricsFile(lines.map((l) => JSON.stringify(l)).join('\n') + '\n', 'imported-3');
    expect(back.map((r) => r.name)).toEqual(['WRN-10-1', 'WRN-16-1 (dropout 0.3)']);
    expect(back[0]!.steps).toEqual(runs[0]!.steps);
    expect(back[0]!.evals).toEqual([runs[0]!.evals[1]]);
    expect(back[0]!.blocks).toEqual([runs[0]!.blocks![1]]);
    expect(back[0]!.summary?.status).toBe('finished');
    expect(back[1]!.steps).toHaveLength(2);
    // the lines carry no sizes: they come from the name (the paper's counts)
    expect(back[0]!.params).toBe(77850);
    expect(back[1]!.params).toBe(175066);
    const broken = [JSON.stringify(lines[0]), JSON.stringify({ ...lines[1], loss: null })].join('\n');
    expect(() => decodeMetricsFile(broken, 'x')).toThrow('line 2: loss is null, not a number');
  });
});
