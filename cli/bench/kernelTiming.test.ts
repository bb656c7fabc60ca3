/**
 * The per-kernel timing's plumbing (no timing asserted): its flags and jobs, the reduction of raw runs to rows and
 * totals, the report's tables and results.json, and the step profile's per-kernel sums.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BENCH, parseBenchArgs } from '../commands/bench';
import { describePrograms, kindTotals, rate, summariseCase, summariseKernels } from './kernelSummary';
import { shareByKernel } from './profile';
import { benchCommand, kernelTimingTables, renderBlock, writeReports } from './report';
import { planJobs, planKernelJobs, type BenchResults } from './run';
import type { KernelCaseTiming, KernelTimingResult, NetResult } from './types';

const filterCase: KernelCaseTiming = {
  kind: 'convFilterGrad',
  label: 'convFilterGrad [2, 16, 16, 64] 3x3/1 -> 64',
  work: 2 * 16 * 16 * 64 * 9 * 64, // 18.9 M multiply-adds
  oursMs: [4, 2, 3, 100, 3], // one outlier: the median ignores it
  tfjsMs: [9, 6, 6, 7, 5],
  programs: { ours: { WrnConvFilterGemm: 1 }, tfjs: { Conv2DDerFilterProgram: 1 } },
};
const inputCase: KernelCaseTiming = {
  kind: 'convInputGrad',
  label: 'convInputGrad [2, 16, 16, 64] 3x3/1 -> 64',
  work: 18874368,
  oursMs: [2, 2, 2],
  tfjsMs: [1, 1, 1],
  programs: { ours: { Conv2DDerInputMMProgram: 1 }, tfjs: { Conv2DDerInputProgram: 1 } },
};
const bnCase: KernelCaseTiming = {
  kind: 'batchNorm',
  label: 'batchNorm [2, 32, 32, 16]',
  work: 32768,
  oursMs: [1, 1, 1],
  tfjsMs: [4, 4, 4],
  programs: { ours: { WrnBnStatsFinish: 2, WrnBnNormalize: 1 }, tfjs: { BinaryOpProgram: 12, ReduceProgram: 3 } },
};

const timing = (cases: KernelCaseTiming[]): KernelTimingResult => ({
  job: {
    kind: 'kernels',
    target: 'node-webgpu',
    nets: [[16, 4]],
    batch: 2,
    reps: 5,
    timer: 'auto',
    kinds: ['batchNorm', 'convFilterGrad', 'convInputGrad'],
  },
  backend: 'webgpu',
  adapter: { backend: 'webgpu', vendor: 'google', architecture: 'swiftshader' },
  timer: 'wall-with-sync',
  cases,
  loadAverage: { start: 0.5, end: 0.75 },
  errors: [],
  seconds: 42,
});

const results = (rows: NetResult[]): BenchResults => ({
  schema: 1,
  date: '2026-11-29T00:00:00.000Z',
  machine: { cpu: 'test cpu', cores: 2, memoryGiB: 4, os: 'test os', node: 'v20', loadAverage: { start: 1, end: 1 } },
  versions: {},
  options: DEFAULT_BENCH,
  results: rows,
  failures: [],
  masks: { agree: true, checksums: {} },
  seconds: 60,
});

describe('per-kernel timing: flags and jobs', () => {
  it('is off unless --kernel-nets names nets; then one job per WebGPU target and net, at --kernel-batch or the batch', () => {
    expect(parseBenchArgs([]).options.kernelTiming).toBeUndefined();
    expect(planKernelJobs(DEFAULT_BENCH)).toEqual([]);
    const { options } = parseBenchArgs([
      '--nets',
      'none',
      '--batch',
      '4',
      '--kernel-nets',
      '10-1,16-4',
      '--targets',
      'node-webgpu,node-wasm,chromium-webgpu',
    ]);
    expect(options.nets).toEqual([]);
    expect(options.kernelTiming).toEqual({
      nets: [
        [10, 1],
        [16, 4],
      ],
      batch: 4,
      reps: 5,
      timer: 'auto',
    });
    // one job per WebGPU target and net
    const jobs = planKernelJobs(options);
    expect(jobs.map((j) => `${j.target} ${j.nets.join(' ')}`)).toEqual([
      'node-webgpu 10,1',
      'node-webgpu 16,4',
      'chromium-webgpu 10,1',
      'chromium-webgpu 16,4',
    ]);
    expect(jobs[0]!.kinds).toEqual(['batchNorm', 'convFilterGrad', 'convInputGrad']);
    const more = parseBenchArgs(['--kernel-nets', '28-10', '--kernel-batch', '128', '--kernel-reps', '3', '--kernel-timer', 'wall']).options;
    expect(more.kernelTiming).toEqual({ nets: [[28, 10]], batch: 128, reps: 3, timer: 'wall' });
    expect(benchCommand(more)).toContain('--kernel-nets 28-10 --kernel-batch 128 --kernel-reps 3 --kernel-timer wall');
  });

  it('refuses kernel flags without nets, a bad timer and a net that does not exist', () => {
    expect(() => parseBenchArgs(['--kernel-batch', '2'])).toThrow(/needs --kernel-nets/);
    expect(() => parseBenchArgs(['--kernel-nets', '10-1', '--kernel-timer', 'fast'])).toThrow(/auto or wall/);
    expect(() => parseBenchArgs(['--kernel-nets', '12-1'])).toThrow(/6N\+4/);
    expect(() => parseBenchArgs(['--kernel-nets', '10-1', '--kernel-reps', '0'])).toThrow(/>= 1/);
  });
});

describe('per-kernel timing: rows', () => {
  it('takes medians of the interleaved runs, the ratio tfjs / ours and GFLOP/s from 2 x multiply-adds', () => {
    const row = summariseCase(filterCase);
    expect(row.shape).toBe('[2, 16, 16, 64] 3x3/1 -> 64');
    expect(row.oursMs).toBe(3);
    expect(row.tfjsMs).toBe(6);
    expect(row.tfjsOverOurs).toBe(2);
    expect(row.oursRate).toBeCloseTo((2 * 18874368) / 3 / 1e6, 9); // 12.58 GFLOP/s
    expect(row.oursPrograms).toBe('WrnConvFilterGemm');
    expect(row.runs).toBe(5);
    // batch norm: elements per second, not FLOPs
    expect(rate('batchNorm', 32768, 1)).toBeCloseTo(0.032768, 12);
    expect(rate('convInputGrad', 1000, 0)).toBeNaN();
  });

  it('names programs by dispatches, most first', () => {
    expect(describePrograms({ ReduceProgram: 3, BinaryOpProgram: 12, TileProgram: 1 })).toBe('BinaryOpProgram x12, ReduceProgram x3, TileProgram');
  });

  it('sums the medians per kernel and counts the shapes where ours is faster', () => {
    const totals = kindTotals(summariseKernels(timing([filterCase, inputCase, bnCase, { ...filterCase, oursMs: [7], tfjsMs: [6] }])));
    expect(totals.map((t) => t.kind)).toEqual(['convFilterGrad', 'convInputGrad', 'batchNorm']);
    const filter = totals[0]!;
    expect(filter).toMatchObject({ cases: 2, oursMs: 10, tfjsMs: 12, oursFaster: 1 });
    expect(filter.tfjsOverOurs).toBeCloseTo(1.2, 12);
    expect(totals[1]).toMatchObject({ oursFaster: 0, tfjsOverOurs: 0.5 });
  });
});

describe('per-kernel timing: report', () => {
  it('writes a per-shape table and per-kernel totals with the timer and the load average, and keeps the raw runs in results.json', () => {
    const run = timing([filterCase, inputCase, bnCase]);
    const lines = kernelTimingTables([run]).join('\n');
    expect(lines).toContain('**node-webgpu, layer shapes of WRN-16-4, batch 2**');
    expect(lines).toContain('timer: wall time from an idle queue to the queue drained again');
    expect(lines).toContain('load average 0.50 before, 0.75 after');
    expect(lines).toContain(
      '| convFilterGrad | [2, 16, 16, 64] 3x3/1 -> 64 | 3.000 | 6.000 | 2.00 | 13 | 6.29 | WrnConvFilterGemm | Conv2DDerFilterProgram |',
    );
    expect(lines).toContain('| convInputGrad | [2, 16, 16, 64] 3x3/1 -> 64 | 2.000 | 1.000 | 0.50 |');
    expect(lines).toContain(
      '| batchNorm | [2, 32, 32, 16] | 1.000 | 4.000 | 4.00 | 0.0328 | 0.00819 | WrnBnStatsFinish x2, WrnBnNormalize | BinaryOpProgram x12, ReduceProgram x3 |',
    );
    expect(lines).toContain('| batchNorm | 1 | 1.00 | 4.00 | 4.00 | 1 of 1 |');
    expect(kernelTimingTables([])).toEqual([]);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-ktime-'));
    const md = path.join(dir, 'BENCHMARKS.md');
    const json = path.join(dir, 'results.json');
    const withKernels: BenchResults = {
      ...results([]),
      options: { ...DEFAULT_BENCH, nets: [], targets: ['node-webgpu'], kernelTiming: { nets: [[16, 4]], batch: 2, reps: 5, timer: 'auto' } },
      kernelTimes: [{ ...run, errors: ['convInputGrad [2, 8, 8, 640] 3x3/1 -> 640: out of memory'] }],
    };
    writeReports(withKernels, json, md, 'kernels');
    const text = readFileSync(md, 'utf8');
    expect(text).toContain('`npm run bench -- --nets none --batch 2');
    expect(text).toContain('--kernel-nets 16-4 --kernel-batch 2 --kernel-reps 5`');
    expect(text).toContain('### Per-kernel time (WebGPU)');
    expect(text).toContain('- failed: convInputGrad [2, 8, 8, 640] 3x3/1 -> 640: out of memory');
    // no net jobs: no empty main table, mask line or PyTorch section
    expect(text).not.toContain('| target | net | batch |');
    expect(text).not.toContain('Dropout masks');
    expect(text).not.toContain('PyTorch');
    const saved = JSON.parse(readFileSync(json, 'utf8')) as BenchResults;
    expect(saved.kernelTimes![0]!.cases[0]!.oursMs).toEqual([4, 2, 3, 100, 3]);
    expect(saved.kernelTimes![0]!.timer).toBe('wall-with-sync');
  });
});

describe('step profile', () => {
  it('sums kernel times per kernel, largest first (calls break ties, as when WebGPU has no timestamps), and the report names the kernel set', () => {
    const k = (name: string, ms: number, outputs: number[], inputs: number[][] = [outputs]) => ({
      name,
      kernelTimeMs: ms,
      inputShapes: inputs,
      outputShapes: [outputs],
    });
    const { total, top } = shareByKernel([
      k('Conv2D', 5, [2, 32, 32, 16]),
      k('Add', 1, [2, 32, 32, 16], [[2, 32, 32, 16], [16]]),
      k('Conv2D', 3, [2, 16, 16, 32]),
      k('Sum', 1, [16]),
    ]);
    expect(total).toBe(10);
    expect(top.map((t) => [t.kernel, t.calls, t.ms])).toEqual([
      ['Conv2D', 2, 8],
      ['Add', 1, 1],
      ['Sum', 1, 1],
    ]);
    expect(top[1]!.broadcastCalls).toBe(1);
    expect(top[2]!.smallCalls).toBe(1);
    expect(top[0]!.share).toBeCloseTo(0.8, 12);
    const untimed = shareByKernel([k('Add', 0, [4]), k('Mul', 0, [4]), k('Mul', 0, [4])]);
    expect(untimed.top.map((t) => t.kernel)).toEqual(['Mul', 'Add']);
    expect(untimed.top[0]!.share).toBe(0);

    const profile = (kernelSet: 'ours' | 'tfjs', kernel: string) => ({
      timer: 'unavailable' as const,
      kernelSet,
      kernels: 3,
      totalKernelMs: 0,
      top: shareByKernel([k(kernel, 0, [4])]).top,
    });
    const row: NetResult = {
      job: { ...planJobs({ ...DEFAULT_BENCH, targets: ['node-webgpu'], nets: [{ depth: 10, width: 1 }], profile: 'all' })[0]! },
      net: 'WRN-10-1',
      params: 77850,
      backend: 'webgpu',
      adapter: { backend: 'webgpu' },
      kernels: 'ours',
      profile: profile('ours', 'WrnBatchNormTrain'),
      profileTfjs: profile('tfjs', 'FusedBatchNorm'),
      errors: [],
      seconds: 1,
    };
    const block = renderBlock({ ...results([row]) }, 'default');
    expect(block).toContain(
      "**node-webgpu, WRN-10-1, batch 2, our kernels** (the trainer's step 3, dropout 0.3; 3 kernels, 0 ms summed; timer: unavailable)",
    );
    expect(block).toContain("**node-webgpu, WRN-10-1, batch 2, tfjs's kernels**");
    expect(block).toContain('| WrnBatchNormTrain | 1 |');
    expect(block).toContain('| FusedBatchNorm | 1 |');
  });
});
