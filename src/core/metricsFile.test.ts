import { describe, expect, it } from 'vitest';
import { hasControls } from './echo';
import type { BlockPoint, EvalPoint, RunSummary, StepPoint } from './metrics';
import {
  BLOCK_FIELDS,
  CSV_COLUMNS,
  decodeLine,
  decodeMetricsFile,
  encodeLine,
  encodeMetricsCsv,
  encodeMetricsJson,
  encodeSummaryJson,
  EVAL_FIELDS,
  linesUpTo,
  MAX_RUNS,
  pointLine,
  seedsSummaryLine,
  STEP_FIELDS,
  summaryLine,
  type MetricsRun,
} from './metricsFile';

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
  blocks: ['g1b1', 'g2b1', 'g3b1'],
  residualRatio: [0.5 + s / 100, 0.25, 1 / 3],
  probeImages: 50,
  layers: ['conv1', 'g1b1_conv1', 'g1b1_conv2'],
  weightNorm: [3.5, 4.25, 5e-3],
  gradNorm: gradNorm ? [0.125, 1e-9, 2] : null,
  seconds: s * 0.25,
  flops: s * 1.5e9,
});
const run = (name: string, n: number): MetricsRun => ({
  name,
  params: 77850,
  macs: 12_999_000,
  totalSteps: n,
  summary: null,
  steps: Array.from({ length: n }, (_, i) => step(i + 1)),
  evals: [evalPoint(Math.ceil(n / 2)), evalPoint(n)],
  blocks: [blocksPoint(Math.ceil(n / 2)), blocksPoint(n, false)],
});
const summary = (steps: number, finalEval: EvalPoint | null): RunSummary => ({
  status: 'finished',
  steps,
  seconds: 2,
  flops: 1e9,
  firstStepMs: 300,
  finalEval,
  predictions: new Uint8Array([1, 2, 3]),
});

/** The first model's lines and the last line of `wrn train '...&seeds=2&compare=10-1-0.3'`, as it wrote them before this module. */
const WRITTEN_BY_WRN_TRAIN = [
  '{"model":"WRN-10-1","seed":0,"kind":"step","step":1,"epoch":0.5,"loss":2.188768148422241,"trainAccuracy":0.125,"lr":0.1,"imagesPerSec":0.22042657474202088,"stepMs":36293.264591,"numTensors":66,"deviceBytes":624728,"seconds":36.293264590999996,"flops":600078336}',
  '{"model":"WRN-10-1","seed":0,"kind":"step","step":2,"epoch":1,"loss":2.187030792236328,"trainAccuracy":0.125,"lr":0.1,"imagesPerSec":0.20426746105194205,"stepMs":39164.338553,"numTensors":66,"deviceBytes":624728,"seconds":75.45760314399999,"flops":1200156672}',
  '{"model":"WRN-10-1","seed":0,"kind":"eval","step":2,"epoch":1,"testLoss":4.165022659301758,"testAccuracy":0.1,"testImages":20,"confusion":[0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2,0,0,1,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2],"seconds":76.913584922,"flops":1200156672}',
  '{"model":"WRN-10-1","seed":0,"kind":"summary","status":"finished","steps":2,"seconds":76.913584922,"flops":1200156672,"firstStepMs":36293.264591,"finalEval":{"kind":"eval","step":2,"epoch":1,"testLoss":4.165022659301758,"testAccuracy":0.1,"testImages":20,"confusion":[0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2,0,0,1,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,2],"seconds":76.913584922,"flops":1200156672},"testAccuracy":0.1}',
  '{"kind":"summary","models":[{"name":"WRN-10-1","seeds":[0,1],"testAccuracy":{"mean":0.1,"std":0,"ci95":[0.1,0.1]}},{"name":"WRN-10-1 (dropout 0.3)","seeds":[0,1],"testAccuracy":{"mean":0.125,"std":0.03535533905932737,"ci95":[-0.1926551184043091,0.4426551184043091]}}]}',
];

describe('metrics files', () => {
  const runs = [run('WRN-10-1', 8), run('WRN-16-1 (dropout 0.3)', 5)];

  it('CSV round-trips every point of every run', () => {
    const text = encodeMetricsCsv(runs);
    // the public header: as files exported by every earlier version have it, then the blocks points' columns
    expect(text.split('\r\n', 1)[0]).toBe(
      'run,name,params,macs,kind,step,epoch,seconds,flops,loss,trainAccuracy,lr,imagesPerSec,stepMs,numTensors,deviceBytes,testLoss,testAccuracy,testImages,confusion,' +
        'blocks,residualRatio,probeImages,layers,weightNorm,gradNorm',
    );
    expect(CSV_COLUMNS.join(',')).toBe(text.split('\r\n', 1)[0]);
    const back = decodeMetricsFile(text);
    expect(back.map((r) => r.name)).toEqual(['WRN-10-1', 'WRN-16-1 (dropout 0.3)']);
    back.forEach((r, i) => {
      expect(r.steps).toEqual(runs[i]!.steps);
      expect(r.evals).toEqual(runs[i]!.evals);
      expect(r.blocks).toEqual(runs[i]!.blocks);
      expect(r.params).toBe(77850);
    });
  });

  it('reads a CSV and a JSON written before blocks points existed', () => {
    const old = runs.map((r) => ({ ...r, blocks: [] }));
    const before = CSV_COLUMNS.indexOf('blocks');
    const oldCsv = encodeMetricsCsv(old)
      .split('\r\n')
      .map((line) => line.split(',').slice(0, before).join(','))
      .join('\r\n');
    expect(oldCsv.split('\r\n')[0]).toMatch(/,confusion$/);
    const back = decodeMetricsFile(oldCsv);
    expect(back[0]!.steps).toEqual(runs[0]!.steps);
    expect(back[0]!.blocks).toEqual([]);
    const json = JSON.parse(encodeMetricsJson(old, '', new Date(0)));
    for (const r of json.runs) delete r.blocks;
    expect(decodeMetricsFile(JSON.stringify(json))[1]!.evals).toEqual(runs[1]!.evals);
  });

  it('JSON round-trips the points and the summary, and keeps the config link', () => {
    const withSummary = [runs[0]!, { ...runs[1]!, summary: summary(5, evalPoint(5)) }];
    const text = encodeMetricsJson(withSummary, 'v=1&depth=10', new Date(0));
    const doc = JSON.parse(text);
    expect(doc.config).toBe('v=1&depth=10');
    expect(Object.keys(doc.runs[1].summary)).toEqual(['status', 'steps', 'seconds', 'flops', 'firstStepMs', 'finalEval']); // no predictions
    const back = decodeMetricsFile(text);
    expect(back[1]!.steps).toEqual(runs[1]!.steps);
    expect(back[1]!.evals).toEqual(runs[1]!.evals);
    expect(back[1]!.blocks).toEqual(runs[1]!.blocks);
    expect(back[1]!.summary).toEqual({ ...summary(5, evalPoint(5)), predictions: null });
  });

  it('says what is wrong with a file that is not an export', () => {
    expect(() => decodeMetricsFile('')).toThrow(/empty/);
    expect(() => decodeMetricsFile('a,b\n1,2')).toThrow(/missing column/);
    expect(() => decodeMetricsFile('{"format":"other"}')).toThrow(/not a wrn-playground-metrics/);
    const json = JSON.parse(encodeMetricsJson(runs, '', new Date(0)));
    json.runs[1].steps[2].loss = 'high';
    expect(() => decodeMetricsFile(JSON.stringify(json))).toThrow('run 1, steps[2]: loss is "high", not a number');
    const bad = encodeMetricsCsv(runs).replace('\r\n0,WRN-10-1,77850,12999000,step,1,', '\r\n0,WRN-10-1,77850,12999000,step,oops,');
    expect(() => decodeMetricsFile(bad)).toThrow(/line 2: step is "oops"/);
    const short = JSON.parse(encodeMetricsJson(runs, '', new Date(0)));
    short.runs[0].blocks[1].residualRatio.pop();
    expect(() => decodeMetricsFile(JSON.stringify(short))).toThrow('run 0, blocks[1]: residualRatio must hold 3 numbers, one per block');
    const line = { ...pointLine('WRN-10-1', 0, blocksPoint(2)), layers: ['conv1', 'bad name'] };
    expect(() => decodeLine(JSON.stringify(line), 'line 5')).toThrow('line 5: layers is not a list of layer names');
    expect(() => decodeLine('{"model":"WRN-10-1","kind":"summary","status":"lost"}', 'line 3')).toThrow('line 3: status is "lost"');
    expect(() => decodeLine('[1]', 'line 4')).toThrow('line 4: not a JSON object');
  });

  it('writes metrics.jsonl lines with the model, its seed, the kind and the fields in their order', () => {
    const shuffled = Object.fromEntries(Object.entries(step(3)).reverse()) as unknown as StepPoint;
    const text = encodeLine(pointLine('WRN-10-1', 2, shuffled));
    expect(Object.keys(JSON.parse(text))).toEqual(['model', 'seed', 'kind', ...STEP_FIELDS]);
    expect(text.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(encodeLine(pointLine('WRN-10-1', undefined, evalPoint(4)))))).toEqual(['model', 'kind', ...EVAL_FIELDS]);
    expect(Object.keys(JSON.parse(encodeLine(pointLine('WRN-10-1', 0, blocksPoint(4)))))).toEqual(['model', 'seed', 'kind', ...BLOCK_FIELDS]);
    const end = JSON.parse(encodeLine(summaryLine('WRN-10-1', 2, summary(8, evalPoint(8)))));
    expect(end).toEqual({
      model: 'WRN-10-1',
      seed: 2,
      kind: 'summary',
      status: 'finished',
      steps: 8,
      seconds: 2,
      flops: 1e9,
      firstStepMs: 300,
      finalEval: evalPoint(8),
      testAccuracy: 0.25,
    });
    expect(Object.keys(end.finalEval)).toEqual(['kind', ...EVAL_FIELDS]);
    expect(JSON.parse(encodeSummaryJson(summary(8, null)))).toEqual({
      status: 'finished',
      steps: 8,
      seconds: 2,
      flops: 1e9,
      firstStepMs: 300,
      finalEval: null,
      testAccuracy: null,
    });
  });

  it("reads and writes back `wrn train`'s lines byte for byte, the last line of a run with seeds included", () => {
    for (const text of WRITTEN_BY_WRN_TRAIN) expect(encodeLine(decodeLine(text, 'line'))).toBe(`${text}\n`);
    const last = seedsSummaryLine([
      { net: 0, name: 'WRN-10-1', seed: 0, accuracy: 0.1 },
      { net: 1, name: 'WRN-10-1 (dropout 0.3)', seed: 0, accuracy: 0.1 },
      { net: 0, name: 'WRN-10-1', seed: 1, accuracy: 0.1 },
      { net: 1, name: 'WRN-10-1 (dropout 0.3)', seed: 1, accuracy: 0.15 },
    ]);
    expect(encodeLine(last)).toBe(`${WRITTEN_BY_WRN_TRAIN.at(-1)}\n`);
  });

  it('reads a metrics.jsonl of `wrn train --out` and train.py: one run per model and seed, sizes from the name', () => {
    const lines = [
      ...runs[0]!.steps.map((p) => pointLine('WRN-10-1', 0, p)),
      ...runs[1]!.steps.slice(0, 2).map((p) => pointLine('WRN-16-1 (dropout 0.3)', 0, p)),
      pointLine('WRN-10-1', 0, runs[0]!.evals[1]!),
      pointLine('WRN-10-1', 0, runs[0]!.blocks![1]!),
      summaryLine('WRN-10-1', 0, summary(8, runs[0]!.evals[1]!)),
      pointLine('WRN-10-1', 1, step(1)),
      seedsSummaryLine([{ net: 0, name: 'WRN-10-1', seed: 0, accuracy: 0.25 }]),
    ];
    const back = decodeMetricsFile(lines.map(encodeLine).join(''));
    expect(back.map((r) => [r.name, r.seed])).toEqual([
      ['WRN-10-1', 0],
      ['WRN-16-1 (dropout 0.3)', 0],
      ['WRN-10-1', 1],
    ]);
    expect(back[0]!.steps).toEqual(runs[0]!.steps);
    expect(back[0]!.evals).toEqual([runs[0]!.evals[1]]);
    expect(back[0]!.blocks).toEqual([runs[0]!.blocks![1]]);
    expect(back[0]!.summary).toEqual({ ...summary(8, runs[0]!.evals[1]!), predictions: null });
    expect(back[1]!.steps).toHaveLength(2);
    expect(back[2]!.steps).toEqual([step(1)]);
    // the lines carry no sizes: they come from the name (the paper's counts)
    expect(back[0]!.params).toBe(77850);
    expect(back[1]!.params).toBe(175066);
    // train.py's lines have no seed
    const [py] = decodeMetricsFile(encodeLine(pointLine('WRN-10-1', undefined, step(1))));
    expect(py).not.toHaveProperty('seed');
    const broken = [encodeLine(lines[0]!), JSON.stringify({ ...lines[1]!, loss: null })].join('');
    expect(() => decodeMetricsFile(broken)).toThrow('line 2: loss is null, not a number');
  });

  it('keeps the lines a checkpoint covers: earlier models whole, its own up to its step, nothing after a torn line', () => {
    const a = [1, 2, 3].map((s) => encodeLine(pointLine('A', 0, step(s))));
    const aEnd = encodeLine(summaryLine('A', 0, summary(3, null)));
    // a diverged model's line (a null loss) is kept as it is
    const b = [1, 2, 3].map((s) =>
      s === 2 ? `${JSON.stringify({ ...pointLine('B', 0, step(s)), loss: null })}\n` : encodeLine(pointLine('B', 0, step(s))),
    );
    const text = [...a, aEnd, ...b].join('');
    expect(linesUpTo(text, 1, 2)).toBe([...a, aEnd, b[0], b[1]].join(''));
    expect(linesUpTo(text, 0, 2)).toBe([a[0], a[1]].join(''));
    expect(linesUpTo(`${a[0]}${a[1]!.slice(0, 20)}\n${a[2]}`, 0, 3)).toBe(a[0]);
  });

  describe('hostile files', () => {
    const good = (model: string, seed = 0) => encodeLine(pointLine(model, seed, step(1)));

    it('quotes no more than the start of a 1 MB field, with control characters escaped', () => {
      const huge = `\u001b]0;pwned\u0007${'x'.repeat(1_000_000)}`;
      const cases = [
        JSON.stringify({ ...pointLine('WRN-10-1', 0, step(1)), loss: huge }),
        JSON.stringify({ ...pointLine('WRN-10-1', 0, step(1)), kind: huge }),
        JSON.stringify({ ...summaryLine('WRN-10-1', 0, summary(1, null)), status: huge }),
        JSON.stringify({ ...pointLine(huge, 0, step(1)) }),
        `{"model":"WRN-10-1","kind":"step","loss":${huge}`,
        `${CSV_COLUMNS.join(',')}\n0,WRN-10-1,1,1,step,1,0.1,1,1,${huge},0.1,0.1,1,1,1,1,,,,`,
      ];
      for (const text of cases) {
        let message = '';
        try {
          decodeMetricsFile(text);
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message).not.toBe('');
        expect(message.length).toBeLessThan(400);
        expect(hasControls(message)).toBe(false);
      }
    });

    it('refuses a name past the limits in no time, and leaves its cost unknown', () => {
      const [run] = decodeMetricsFile(good('WRN-6000000000004-1'));
      expect(run).toMatchObject({ name: 'WRN-6000000000004-1', params: 0, macs: 0 });
      expect(decodeMetricsFile(good('WRN-600004-1'))[0]!.params).toBe(0);
    });

    it('reads CSV numbers as the CSV writer writes them: no hex, binary or octal', () => {
      const csv = encodeMetricsCsv(runs);
      expect(decodeMetricsFile(csv)).toHaveLength(2);
      const [header, first] = csv.split('\r\n');
      const cells = first!.split(',');
      const stepColumn = CSV_COLUMNS.indexOf('step');
      for (const bad of ['0x10', '0b1', '0o7', 'Infinity', ' ', '1_000']) {
        const row = cells.slice();
        row[stepColumn] = bad;
        expect(() => decodeMetricsFile(`${header}\r\n${row.join(',')}\r\n`)).toThrow(/line 2: step is .*not a number/);
      }
    });

    it('refuses confusion counts that are not 100 whole numbers', () => {
      const line = (confusion: unknown) => JSON.stringify({ ...pointLine('WRN-10-1', 0, evalPoint(2)), confusion });
      expect(() => decodeMetricsFile(line(['NaN', 'x']))).toThrow(/confusion has 2 counts, expected 100/);
      expect(() => decodeMetricsFile(line([...Array(99).fill(0), 'x']))).toThrow(/confusion count 99 is not a whole number/);
      expect(() => decodeMetricsFile(line([...Array(99).fill(0), -1]))).toThrow(/confusion count 99/);
      expect(() => decodeMetricsFile(line('1 2 3'))).toThrow(/confusion is "1 2 3", not a list/);
      expect(decodeMetricsFile(line(Array(100).fill(1)))[0]!.evals[0]!.confusion).toHaveLength(100);
      // the confusion cell (the blocks columns may follow it)
      const csv = encodeMetricsCsv(runs).replace(/,0 1 2 3[ 0-9]*(?=[,\r])/, ',NaN x');
      expect(() => decodeMetricsFile(csv)).toThrow(/confusion has 2 counts/);
    });

    it('refuses a file of more runs than any page shows (a million model names), without making them', () => {
      const names = Array.from({ length: 1_000_000 }, (_, i) => `{"model":"m${i}","kind":"summary","status":"stopped"}`).join('\n');
      expect(() => decodeMetricsFile(names)).toThrow(`more than ${MAX_RUNS} runs`);
      expect(decodeMetricsFile(Array.from({ length: MAX_RUNS }, (_, i) => good(`m${i}`)).join(''))).toHaveLength(MAX_RUNS);
      const seeds = Array.from({ length: MAX_RUNS + 1 }, (_, i) => good('WRN-10-1', i)).join('');
      expect(() => decodeMetricsFile(seeds)).toThrow(`more than ${MAX_RUNS} runs`);
    });
  });
});
