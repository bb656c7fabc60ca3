/** The benchmark's plumbing (no timing): turn-taking, flags, the job plan, and the report's generated block. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromiumArgs, realGpuRequested } from '../../src/node/chromium';
import { DEFAULT_BENCH, parseBenchArgs } from '../commands/bench';
import { Baton } from './baton';
import { beginMarker, endMarker, writeReports } from './report';
import { compareWithPytorch, mergePytorch, neighbourPair, parsePytorchOutput, pythonCandidates, pytorchThreadsFor } from './pytorch';
import { pytorchLines } from './report';
import { planJobs, type BenchResults } from './run';
import { median } from './stats';
import type { NetResult, Target } from './types';

describe('Baton', () => {
  it('lets one holder run at a time, handing the turn round-robin', async () => {
    const baton = new Baton();
    const order: string[] = [];
    const loop = async (name: string, turns: number) => {
      for (let i = 0; i < turns; i++) {
        await baton.acquire();
        order.push(name);
        await Promise.resolve();
        baton.release();
      }
    };
    await Promise.all([loop('a', 3), loop('b', 3), loop('c', 2)]);
    expect(order).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b']);
  });
});

describe('bench flags', () => {
  it('parses nets, sizes and targets over the defaults', () => {
    const { options } = parseBenchArgs(['--nets', '16-4,28-10', '--steps', '50', '--batch', '128', '--targets', 'node-webgpu']);
    expect(options.nets).toEqual([
      { depth: 16, width: 4 },
      { depth: 28, width: 10 },
    ]);
    expect(options.steps).toBe(50);
    expect(options.batch).toBe(128);
    expect(options.targets).toEqual(['node-webgpu']);
    expect(options.readEvery).toBe(DEFAULT_BENCH.readEvery);
  });

  it('rejects what it cannot run, saying why', () => {
    expect(() => parseBenchArgs(['--nets', '12-1'])).toThrow(/6N\+4/);
    expect(() => parseBenchArgs(['--targets', 'node-webgl'])).toThrow(/unknown target/);
    expect(() => parseBenchArgs(['--steps', '0'])).toThrow(/>= 1/);
    expect(() => parseBenchArgs(['--frobnicate'])).toThrow(/unknown option/);
  });

  it('measures PyTorch unless --no-pytorch, with the Python given', () => {
    expect(parseBenchArgs([]).options.pytorch).toBe(true);
    expect(parseBenchArgs(['--no-pytorch']).options.pytorch).toBe(false);
    expect(parseBenchArgs(['--python', '/opt/py/bin/python']).options.python).toBe('/opt/py/bin/python');
    expect(() => parseBenchArgs(['--python'])).toThrow(/--python needs a value/);
  });

  it('reads the nets as the URL codec does, refusing a dropout (that is --dropout) and a width below 1', () => {
    expect(parseBenchArgs(['--nets', 'WRN-16-4, 10-1']).options.nets).toEqual([
      { depth: 16, width: 4 },
      { depth: 10, width: 1 },
    ]);
    expect(() => parseBenchArgs(['--nets', '16-4-0.3'])).toThrow(/depth-width pairs/);
    expect(() => parseBenchArgs(['--nets', '16-0'])).toThrow(/width k must be a whole number >= 1/);
    expect(() => parseBenchArgs(['stray'])).toThrow(/unknown option stray/);
  });

  it('pins Chromium to SwiftShader unless a real GPU is asked for', () => {
    expect(parseBenchArgs([]).options.realGpu).toBeUndefined();
    expect(parseBenchArgs(['--real-gpu']).options.realGpu).toBe(true);
    expect(chromiumArgs({ realGpu: false })).toEqual(expect.arrayContaining(['--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader']));
    const real = chromiumArgs({ realGpu: true });
    expect(real.filter((a) => /swiftshader/.test(a))).toEqual([]);
    expect(real).toEqual(expect.arrayContaining(['--enable-unsafe-webgpu', '--disable-background-networking']));
    expect(realGpuRequested({ WRN_REAL_GPU: '1' })).toBe(true);
    expect(realGpuRequested({})).toBe(false);
  });
});

/** pytorch_wrn.py --device cpu --out, as PyTorch 1.13 wrote it (two layouts, one thread). */
const PYTORCH_OUT = JSON.stringify({
  torch: '1.13.0a0',
  device: 'cpu',
  results: [
    {
      net: 'WRN-10-1',
      depth: 10,
      width: 1,
      batch: 32,
      mode: 'fp32',
      device: 'cpu',
      threads: 1,
      params: 77850,
      firstStepMs: 249.1,
      stepMs: 200,
      imagesPerSec: 160,
      windows: 20,
    },
    {
      net: 'WRN-10-1',
      depth: 10,
      width: 1,
      batch: 32,
      mode: 'fp32-cl',
      device: 'cpu',
      threads: 1,
      params: 77850,
      firstStepMs: 120.7,
      stepMs: 160,
      imagesPerSec: 200,
      windows: 20,
    },
  ],
  cpu: 'AMD EPYC',
  threads: 1,
  mkldnn: true,
});

function wasmRow(target: Target, net: string, threads: number, imagesPerSec: number): NetResult {
  const [depth, width] = net.replace('WRN-', '').split('-').map(Number) as [number, number];
  const timing = { firstStepMs: 500, stepMs: 32000 / imagesPerSec, meanStepMs: 32000 / imagesPerSec, imagesPerSec, steps: 5, windows: 5 };
  return {
    job: { ...planJobs({ ...DEFAULT_BENCH, batch: 32, targets: [target] })[0]!, depth, width },
    net,
    params: 0,
    backend: 'wasm',
    adapter: { backend: 'wasm', threads, simd: true },
    trainer: timing,
    errors: [],
    seconds: 1,
  };
}

describe('PyTorch reference', () => {
  it('reads pytorch_wrn.py output, and says what is wrong with a bad one', () => {
    const p = parsePytorchOutput(PYTORCH_OUT);
    expect(p.torch).toBe('1.13.0a0');
    expect(p.cpu).toBe('AMD EPYC');
    expect(p.rows.map((r) => `${r.net} ${r.mode} ${r.threads} ${r.imagesPerSec}`)).toEqual(['WRN-10-1 fp32 1 160', 'WRN-10-1 fp32-cl 1 200']);
    expect(() => parsePytorchOutput('not json')).toThrow();
    expect(() => parsePytorchOutput(JSON.stringify({ device: 'cuda', results: [] }))).toThrow(/not the CPU/);
    expect(() => parsePytorchOutput(JSON.stringify({ device: 'cpu' }))).toThrow(/no results/);
    const noSpeed = JSON.parse(PYTORCH_OUT) as { results: Record<string, unknown>[] };
    delete noSpeed.results[1]!['imagesPerSec'];
    expect(() => parsePytorchOutput(JSON.stringify(noSpeed))).toThrow(/result 1 \(WRN-10-1\) lacks numbers for imagesPerSec/);
  });

  it('tries the Python asked for alone, else python3 and the system one', () => {
    expect(pythonCandidates('/x/python', {})).toEqual(['/x/python']);
    expect(pythonCandidates(undefined, { WRN_BENCH_PYTHON: '/y/python' })).toEqual(['/y/python']);
    expect(pythonCandidates(undefined, {})).toEqual(['python3', '/usr/bin/python3']);
  });

  it('runs next to each WASM job on its threads, and compares the job with the best measured next to it', () => {
    const results = [
      wasmRow('node-wasm', 'WRN-10-1', 1, 100),
      wasmRow('chromium-wasm-threads', 'WRN-10-1', 2, 150),
      wasmRow('chromium-wasm', 'WRN-16-1', 1, 50),
    ];
    // The threaded WASM target runs one thread per logical core unless its job names a count; the others one.
    expect(results.map((r) => pytorchThreadsFor(r.job, 2))).toEqual([1, 2, 1]);
    expect(pytorchThreadsFor({ ...results[1]!.job, threads: 0 }, 4)).toBe(4);
    expect(pytorchThreadsFor({ ...results[1]!.job, threads: 3 }, 4)).toBe(3);
    const before = parsePytorchOutput(PYTORCH_OUT).rows.map((r) => ({ ...r, when: 'before' as const, next: 'node-wasm' as const }));
    // Measured again right after the job, slower (a busier machine): the faster measurement counts.
    const after = before.map((r) => ({ ...r, when: 'after' as const, imagesPerSec: r.imagesPerSec / 2 }));
    // A faster WRN-10-1 one-thread row next to another job is not this job's reference.
    const elsewhere = { ...before[0]!, next: 'chromium-wasm' as const, imagesPerSec: 1000 };
    const threaded = { ...before[0]!, threads: 2, imagesPerSec: 300, next: 'chromium-wasm-threads' as const };
    const merged = mergePytorch([
      { status: 'measured', python: 'python3', torch: '1.13', cpu: 'x', rows: before, errors: [] },
      { status: 'measured', python: 'python3', torch: '1.13', cpu: 'x', rows: [...after, elsewhere, threaded], errors: [] },
    ]);
    if (merged.status !== 'measured') throw new Error('merged reference not measured');
    expect(merged.rows).toHaveLength(6);
    const vs = compareWithPytorch(results, merged.rows);
    // WRN-16-1 has no PyTorch row: left out, not compared with another net.
    expect(vs.map((v) => `${v.target} ${v.net} ${v.threads} ${v.pytorchMode} ${v.percent.toFixed(1)}`)).toEqual([
      'node-wasm WRN-10-1 1 fp32-cl 50.0',
      'chromium-wasm-threads WRN-10-1 2 fp32 50.0',
    ]);
  });

  it('flags a WASM row whose PyTorch before and after differ by more than 10%, in the comparison and the report', () => {
    expect(neighbourPair(100, 95).unreliable).toBeUndefined(); // 5%
    expect(neighbourPair(100, 90).unreliable).toBeUndefined(); // exactly 10%: still agrees
    expect(neighbourPair(100, 89).unreliable).toMatch(/differ by 11% \(100\.0 and 89\.0 img\/s\)/);
    expect(neighbourPair(60, 100).unreliable).toMatch(/differ by 40%/);
    expect(neighbourPair(100, undefined)).toEqual({ pytorchBefore: 100 }); // one side: nothing to compare
    const before = parsePytorchOutput(PYTORCH_OUT).rows.map((r) => ({ ...r, when: 'before' as const, next: 'node-wasm' as const }));
    // The case: a loaded machine before the job, an idle one after (PyTorch 1.5x faster).
    const after = before.map((r) => ({ ...r, when: 'after' as const, imagesPerSec: r.imagesPerSec * 1.5 }));
    const steady = before.map((r) => ({ ...r, when: 'after' as const, imagesPerSec: r.imagesPerSec * 1.05 }));
    const [flagged] = compareWithPytorch([wasmRow('node-wasm', 'WRN-10-1', 1, 100)], [...before, ...after]);
    expect(flagged!.pytorchBefore).toBe(200);
    expect(flagged!.pytorchAfter).toBe(300);
    expect(flagged!.unreliable).toMatch(/differ by 33%/);
    expect(flagged!.percent).toBeCloseTo(100 / 3, 5);
    const [fine] = compareWithPytorch([wasmRow('node-wasm', 'WRN-10-1', 1, 100)], [...before, ...steady]);
    expect(fine!.unreliable).toBeUndefined();
    const text = pytorchLines({ status: 'measured', python: 'p', torch: '1.13', cpu: 'c', rows: [...before, ...after], errors: [] }, [flagged!]).join(
      '\n',
    );
    expect(text).toContain('| 200.0 / 300.0 | 33% (unreliable) |');
    expect(text).toContain('- Unreliable: node-wasm WRN-10-1: PyTorch before and after the job differ by 33%');
  });

  it('reports the rows and the percentages, or why PyTorch was not measured', () => {
    const rows = parsePytorchOutput(PYTORCH_OUT).rows.map((r) => ({ ...r, when: 'after' as const, next: 'node-wasm' as const }));
    const text = pytorchLines(
      { status: 'measured', python: '/usr/bin/python3', torch: '1.13.0a0', cpu: 'AMD EPYC', rows, errors: [] },
      compareWithPytorch([wasmRow('node-wasm', 'WRN-10-1', 1, 100)], rows),
    ).join('\n');
    expect(text).toContain('| node-wasm | WRN-10-1 | 32 | 1 | after | 160.0 | 200.0 | 0.25 |');
    expect(text).toContain('WASM trainer as % of PyTorch (same threads');
    expect(text).toContain('| node-wasm | WRN-10-1 | 1 | 100.0 | 200.0 (fp32 channels_last) | – / 200.0 | 50% |');
    expect(text).not.toContain('quoted');
    const missing = pytorchLines({ status: 'missing', reason: 'no Python here imports torch' }, []).join('\n');
    expect(missing).toContain('Native PyTorch on this CPU: not measured: no Python here imports torch.');
    expect(missing).toContain('quoted, not measured by this run');
    // Measured before the jobs only, failed after: the rows stand, with the failure listed.
    const half = mergePytorch([
      { status: 'measured', python: 'p', torch: 't', cpu: 'c', rows, errors: [] },
      { status: 'failed', reason: '10-1 on 2 threads: exit 1' },
    ]);
    expect(half.status === 'measured' && half.errors).toEqual(['10-1 on 2 threads: exit 1']);
    expect(mergePytorch([{ status: 'missing', reason: 'no torch' }])).toEqual({ status: 'missing', reason: 'no torch' });
    expect(pytorchLines({ status: 'skipped', reason: 'not asked for (--no-pytorch)' }, [])[0]).toBe(
      'Native PyTorch on this CPU: skipped: not asked for (--no-pytorch).',
    );
  });
});

describe('planJobs', () => {
  it('times the old mask on WebGPU only and profiles Chromium GPU targets, both on the first net', () => {
    const jobs = planJobs({ ...DEFAULT_BENCH, targets: ['node-webgpu', 'chromium-webgl', 'chromium-wasm'] });
    const flags = jobs.map((j) => `${j.target} ${j.depth}-${j.width} ${j.legacyDropout ? 'L' : '-'}${j.profile ? 'P' : '-'}`);
    expect(flags).toEqual([
      'node-webgpu 10-1 L-',
      'node-webgpu 16-1 --',
      'chromium-webgl 10-1 -P',
      'chromium-webgl 16-1 --',
      'chromium-wasm 10-1 --',
      'chromium-wasm 16-1 --',
    ]);
    expect(jobs.find((j) => j.target === 'chromium-wasm')!.threads).toBe(1);
  });
});

describe('report', () => {
  it('rewrites only the generated block of BENCHMARKS.md', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
    const md = path.join(dir, 'BENCHMARKS.md');
    const json = path.join(dir, 'out', 'results.json');
    writeFileSync(
      md,
      `# Title\n\nhand-written intro\n\n${beginMarker('default')}\nold table\n${endMarker('default')}\n\n## Findings\n\nhand-written findings\n`,
    );
    const results: BenchResults = {
      schema: 1,
      date: '2026-11-27T00:00:00.000Z',
      machine: { cpu: 'test cpu', cores: 2, memoryGiB: 4, os: 'test os', node: 'v20', loadAverage: { start: 1, end: 1 } },
      versions: { '@tensorflow/tfjs': '4.22.0' },
      options: DEFAULT_BENCH,
      results: [],
      failures: [{ target: 'chromium-cpu', net: 'WRN-10-1', error: 'boom' }],
      masks: { agree: true, checksums: {} },
      seconds: 60,
    };
    writeReports(results, json, md);
    const text = readFileSync(md, 'utf8');
    expect(text).toContain('hand-written intro');
    expect(text).toContain('hand-written findings');
    expect(text).not.toContain('old table');
    expect(text).toContain('chromium-cpu WRN-10-1: boom');
    expect(JSON.parse(readFileSync(json, 'utf8')).schema).toBe(1);
    // Another label adds its own block and leaves the first alone.
    writeReports({ ...results, failures: [] }, json, md, 'gpu');
    const both = readFileSync(md, 'utf8');
    expect(both).toContain('chromium-cpu WRN-10-1: boom');
    expect(both).toContain(beginMarker('gpu'));
  });
});

describe('kernelsPerStep', () => {
  it("a WebGPU row reports the dispatches of a step with our kernels and tfjs's: in results.json, the main table and per program", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-kernels-'));
    const md = path.join(dir, 'BENCHMARKS.md');
    const json = path.join(dir, 'results.json');
    const row: NetResult = {
      ...wasmRow('node-webgpu', 'WRN-16-4', 1, 10),
      backend: 'webgpu',
      adapter: { backend: 'webgpu' },
      kernels: 'ours',
      oursVsTfjsKernels: 1.5,
      kernelsPerStep: {
        batch: 2,
        ours: { dispatches: 301, submits: 21, byProgram: { WrnBnNormalize: 13, BinaryOpProgram: 40 } },
        tfjs: { dispatches: 866, submits: 58, byProgram: { BinaryOpProgram: 625, TransposeProgram: 55 } },
      },
    };
    const results: BenchResults = {
      schema: 1,
      date: '2026-11-29T00:00:00.000Z',
      machine: { cpu: 'test cpu', cores: 2, memoryGiB: 4, os: 'test os', node: 'v20', loadAverage: { start: 1, end: 1 } },
      versions: {},
      options: DEFAULT_BENCH,
      results: [row],
      failures: [],
      masks: { agree: true, checksums: {} },
      seconds: 60,
    };
    writeReports(results, json, md);
    const text = readFileSync(md, 'utf8');
    expect(text).toContain('| 301 / 866 | 1.50 |');
    expect(text).toContain("**node-webgpu, WRN-16-4, batch 2**: 301 dispatches and 21 submits a step with our kernels, 866 and 58 with tfjs's");
    expect(text).toContain('| BinaryOpProgram | 40 | 625 |');
    expect(text).toContain('| WrnBnNormalize | 13 | 0 |');
    expect(text).toContain('| TransposeProgram | 0 | 55 |');
    const saved = JSON.parse(readFileSync(json, 'utf8')) as BenchResults;
    expect(saved.results[0]!.kernelsPerStep!.ours.dispatches).toBe(301);
    expect(saved.results[0]!.kernelsPerStep!.tfjs.dispatches).toBe(866);
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
