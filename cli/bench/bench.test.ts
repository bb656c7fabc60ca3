/** The benchmark's plumbing (no timing): turn-taking, flags, the job plan, and the report's generated block. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BENCH, parseBenchArgs } from '../commands/bench';
import { Baton } from './baton';
import { beginMarker, endMarker, writeReports } from './report';
import { planJobs, type BenchResults } from './run';
import { median } from './stats';

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
    writeFileSync(md, `# Title\n\nhand-written intro\n\n${beginMarker('default')}\nold table\n${endMarker('default')}\n\n## Findings\n\nhand-written findings\n`);
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

describe('median', () => {
  it('is the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
