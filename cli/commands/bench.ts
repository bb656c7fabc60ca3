/**
 * `npm run bench [-- flags]`: measures training speed on every backend in one run and writes BENCHMARKS.md and
 * bench/results.json. Defaults are sized for a 2-core machine without a GPU (tiny nets, a few steps, a few minutes
 * when the machine is idle); on a GPU machine ask for more, e.g. `--nets 16-4,28-10 --steps 50 --batch 128`.
 */
import path from 'node:path';
import { REPO, runBench, type BenchOptions } from '../bench/run';
import { writeReports } from '../bench/report';
import { TARGETS, type Target } from '../bench/types';
import type { Command } from './index';
import { blocksPerGroup } from '../../src/core/config';

export const DEFAULT_BENCH: BenchOptions = {
  nets: [
    { depth: 10, width: 1 },
    { depth: 16, width: 1 },
  ],
  batch: 2,
  steps: 3,
  readEvery: 1,
  dropout: 0.3,
  // node-cpu is left out by default: it is chromium-cpu's backend again, and the slowest row (pure JavaScript).
  targets: TARGETS.filter((t) => t !== 'node-cpu'),
  legacyDropout: true,
  pipelineBatches: 5,
  profile: 'gpu',
  seed: 1,
  jobTimeoutS: 900,
  pytorch: true,
};

const HELP = `usage: npm run bench [-- options]

  --nets 10-1,16-1      WRN depth-width list (first is the small net, the rest larger)
  --batch 2             images per step
  --steps 3             steady-state steps timed per variant (after one untimed first step)
  --read-every 1        the trainer's metrics window (app default 5); the compared loops take turns by it
  --targets a,b         any of ${TARGETS.join(', ')} (default: all but node-cpu)
  --dropout 0.3         the dropout rate compared with 0
  --no-legacy-dropout   skip timing the old host-drawn mask (WebGPU targets, first net)
  --profile gpu|all|none  kernel profiles: Chromium WebGPU/WebGL on the first net (default), every job, none
  --pipeline-batches 5  batches timed through the input pipeline alone
  --seed 1
  --job-timeout 900     seconds before a job is stopped and recorded as failed
  --no-pytorch          skip native PyTorch on the CPU (run after the jobs when a WASM target ran and a Python
                        imports torch: same nets and batch, 1 thread and the threaded WASM target's count)
  --python PATH         the Python with torch (default: the first of python3, /usr/bin/python3 that has it)
  --json bench/results.json  --md BENCHMARKS.md   where to write
  --label default       which generated block of the Markdown file this run rewrites (one per label)

examples:
  npm run bench
  npm run bench -- --nets 16-4,28-10 --steps 50 --batch 128 --targets node-webgpu --label gpu
`;

/** Parses `--key value` flags over the defaults; throws a RangeError with a usage hint on anything wrong. */
export function parseBenchArgs(args: string[]): { options: BenchOptions; json: string; md: string; label: string } {
  const o: BenchOptions = { ...DEFAULT_BENCH, nets: [...DEFAULT_BENCH.nets], targets: [...DEFAULT_BENCH.targets] };
  let json = path.join(REPO, 'bench', 'results.json');
  let md = path.join(REPO, 'BENCHMARKS.md');
  let label = 'default';
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`${flag} needs a whole number >= ${min}, got ${v}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new RangeError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--nets':
        o.nets = value()
          .split(',')
          .map((s) => {
            const m = /^(\d+)-(\d+)$/.exec(s.trim());
            if (!m) throw new RangeError(`--nets takes depth-width pairs like 10-1,16-4; got "${s}"`);
            const depth = Number(m[1]);
            if (blocksPerGroup(depth) === null) throw new RangeError(`WRN depth must be 6N+4 (10, 16, 22, 28...); got ${depth}`);
            return { depth, width: Number(m[2]) };
          });
        break;
      case '--batch':
        o.batch = int(flag, value(), 1);
        break;
      case '--steps':
        o.steps = int(flag, value(), 1);
        break;
      case '--read-every':
        o.readEvery = int(flag, value(), 1);
        break;
      case '--targets': {
        const list = value().split(',').map((s) => s.trim());
        const bad = list.filter((t) => !(TARGETS as readonly string[]).includes(t));
        if (bad.length) throw new RangeError(`unknown target(s) ${bad.join(', ')}; choose from ${TARGETS.join(', ')}`);
        o.targets = list as Target[];
        break;
      }
      case '--dropout': {
        const p = Number(value());
        if (!(p > 0 && p < 1)) throw new RangeError(`--dropout must be in (0, 1)`);
        o.dropout = p;
        break;
      }
      case '--no-legacy-dropout':
        o.legacyDropout = false;
        break;
      case '--profile': {
        const p = value();
        if (p !== 'gpu' && p !== 'all' && p !== 'none') throw new RangeError('--profile is gpu, all or none');
        o.profile = p;
        break;
      }
      case '--pipeline-batches':
        o.pipelineBatches = int(flag, value(), 1);
        break;
      case '--seed':
        o.seed = int(flag, value(), 0);
        break;
      case '--job-timeout':
        o.jobTimeoutS = int(flag, value(), 10);
        break;
      case '--no-pytorch':
        o.pytorch = false;
        break;
      case '--python':
        o.python = value();
        break;
      case '--json':
        json = path.resolve(value());
        break;
      case '--md':
        md = path.resolve(value());
        break;
      case '--label': {
        label = value();
        if (!/^[\w.-]+$/.test(label)) throw new RangeError('--label takes letters, digits, dots and dashes');
        break;
      }
      default:
        throw new RangeError(`unknown option ${flag}\n\n${HELP}`);
    }
  }
  return { options: o, json, md, label };
}

export const bench: Command = {
  summary: '[flags]          training speed on every backend -> BENCHMARKS.md, bench/results.json (--help)',
  help: HELP,
  async run(args) {
    if (args.includes('--help') || args.includes('-h')) {
      process.stderr.write(HELP);
      return 0;
    }
    let parsed: ReturnType<typeof parseBenchArgs>;
    try {
      parsed = parseBenchArgs(args);
    } catch (err) {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const results = await runBench(parsed.options, log);
    writeReports(results, parsed.json, parsed.md, parsed.label);
    log(`wrote ${path.relative(process.cwd(), parsed.md)} and ${path.relative(process.cwd(), parsed.json)} (${(results.seconds / 60).toFixed(1)} min)`);
    process.stdout.write(
      JSON.stringify({
        seconds: results.seconds,
        rows: results.results.map((r) => ({
          target: r.job.target,
          net: r.net,
          trainerImagesPerSec: r.trainer?.imagesPerSec,
          bareImagesPerSec: r.bare?.imagesPerSec,
          trainerVsBare: r.trainerVsBare,
          dropoutRatio: r.dropoutRatio,
          errors: r.errors,
        })),
        failures: results.failures,
        pytorch: results.pytorch?.status,
        vsPytorch: results.vsPytorch,
      }) + '\n',
    );
    return results.failures.length ? 1 : 0;
  },
};
