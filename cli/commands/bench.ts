/**
 * `npm run bench [-- flags]`: measures training speed on every backend in one run and writes BENCHMARKS.md and
 * bench/results.json. Defaults are sized for a 2-core machine without a GPU (tiny nets, a few steps, a few minutes
 * when the machine is idle); on a GPU machine ask for more, e.g. `--nets 16-4,28-10 --steps 50 --batch 128`.
 */
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { REPO, runBench, type BenchOptions } from '../bench/run';
import { writeReports } from '../bench/report';
import { TARGETS, type Target } from '../bench/types';
import type { Command } from './index';
import { checkNet } from '../../src/core/shape';
import { parseModel } from '../../src/core/url';
import { messageOf } from '../../src/core/errors';
import { realGpuRequested } from '../../src/node/chromium';

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

  --nets 10-1,16-1      WRN depth-width list (first is the small net, the rest larger); none: no net jobs
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
  --real-gpu            Chromium on the machine's GPU instead of SwiftShader (also WRN_REAL_GPU=1)
  --kernel-nets 10-1,16-4  per-kernel timing on each WebGPU target (cli/bench/kernelTiming.ts): batch norm and
                        both convolution gradients, ours against tfjs's, on every layer shape of these nets
  --kernel-batch N      its batch (default: --batch)
  --kernel-reps 5       timed runs of each kernel set per shape, interleaved, after a warm-up
  --kernel-timer auto   auto: GPU timestamps where the device has timestamp-query, else wall time; wall: always
  --json bench/results.json  --md BENCHMARKS.md   where to write
  --label default       which generated block of the Markdown file this run rewrites (one per label)

examples:
  npm run bench
  npm run bench -- --nets 16-4,28-10 --steps 50 --batch 128 --targets node-webgpu --label gpu
  npm run bench -- --nets none --targets node-webgpu --kernel-nets 10-1,16-4 --kernel-batch 2 --label kernels
`;

/** The flags, as node:util's parseArgs reads them (as `train` does); every value is checked below. */
const FLAGS = {
  nets: { type: 'string' },
  batch: { type: 'string' },
  steps: { type: 'string' },
  'read-every': { type: 'string' },
  targets: { type: 'string' },
  dropout: { type: 'string' },
  'no-legacy-dropout': { type: 'boolean' },
  profile: { type: 'string' },
  'pipeline-batches': { type: 'string' },
  seed: { type: 'string' },
  'job-timeout': { type: 'string' },
  'no-pytorch': { type: 'boolean' },
  python: { type: 'string' },
  'real-gpu': { type: 'boolean' },
  'kernel-nets': { type: 'string' },
  'kernel-batch': { type: 'string' },
  'kernel-reps': { type: 'string' },
  'kernel-timer': { type: 'string' },
  json: { type: 'string' },
  md: { type: 'string' },
  label: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** parseArgs's own errors, in this command's words (with the usage for an unknown flag). */
function readFlags(args: string[]) {
  try {
    return parseArgs({ args, options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const flag = /'(-[^' ]*)/.exec(messageOf(err))?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new RangeError(`unknown option ${flag}\n\n${HELP}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new RangeError(`unknown option ${/'([^']*)'/.exec(messageOf(err))?.[1] ?? ''}\n\n${HELP}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new RangeError(`${flag} needs a value`);
    throw new RangeError(messageOf(err));
  }
}

/** Parses the flags over the defaults; throws a RangeError with a usage hint on anything wrong. */
export function parseBenchArgs(args: string[]): { options: BenchOptions; json: string; md: string; label: string } {
  const v = readFlags(args);
  const o: BenchOptions = { ...DEFAULT_BENCH, nets: [...DEFAULT_BENCH.nets], targets: [...DEFAULT_BENCH.targets] };
  const int = (flag: string, value: string, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`--${flag} needs a whole number >= ${min}, got ${value}`);
    return n;
  };
  const readNets = (flag: string, text: string) =>
    text.split(',').map((s) => {
      const net = parseModel(s);
      if (!net || net.dropout > 0) throw new RangeError(`--${flag} takes depth-width pairs like 10-1,16-4; got "${s}"`);
      checkNet(net);
      return { depth: net.depth, width: net.width };
    });
  if (v.nets !== undefined) o.nets = v.nets.trim() === 'none' ? [] : readNets('nets', v.nets);
  if (v.batch !== undefined) o.batch = int('batch', v.batch, 1);
  const kernelFlags = (['kernel-batch', 'kernel-reps', 'kernel-timer'] as const).filter((f) => v[f] !== undefined);
  if (v['kernel-nets'] !== undefined) {
    const timer = v['kernel-timer'] ?? 'auto';
    if (timer !== 'auto' && timer !== 'wall') throw new RangeError('--kernel-timer is auto or wall');
    o.kernelTiming = {
      nets: readNets('kernel-nets', v['kernel-nets']).map((n): [number, number] => [n.depth, n.width]),
      batch: v['kernel-batch'] !== undefined ? int('kernel-batch', v['kernel-batch'], 1) : o.batch,
      reps: v['kernel-reps'] !== undefined ? int('kernel-reps', v['kernel-reps'], 1) : 5,
      timer,
    };
  } else if (kernelFlags.length) throw new RangeError(`--${kernelFlags[0]} needs --kernel-nets (the nets whose layer shapes to time)`);
  if (v.steps !== undefined) o.steps = int('steps', v.steps, 1);
  if (v['read-every'] !== undefined) o.readEvery = int('read-every', v['read-every'], 1);
  if (v.targets !== undefined) {
    const list = v.targets.split(',').map((s) => s.trim());
    const bad = list.filter((t) => !(TARGETS as readonly string[]).includes(t));
    if (bad.length) throw new RangeError(`unknown target(s) ${bad.join(', ')}; choose from ${TARGETS.join(', ')}`);
    o.targets = list as Target[];
  }
  if (v.dropout !== undefined) {
    const p = Number(v.dropout);
    if (!(p > 0 && p < 1)) throw new RangeError(`--dropout must be in (0, 1)`);
    o.dropout = p;
  }
  if (v['no-legacy-dropout']) o.legacyDropout = false;
  if (v.profile !== undefined) {
    const p = v.profile;
    if (p !== 'gpu' && p !== 'all' && p !== 'none') throw new RangeError('--profile is gpu, all or none');
    o.profile = p;
  }
  if (v['pipeline-batches'] !== undefined) o.pipelineBatches = int('pipeline-batches', v['pipeline-batches'], 1);
  if (v.seed !== undefined) o.seed = int('seed', v.seed, 0);
  if (v['job-timeout'] !== undefined) o.jobTimeoutS = int('job-timeout', v['job-timeout'], 10);
  if (v['no-pytorch']) o.pytorch = false;
  if (v.python !== undefined) o.python = v.python;
  // Only when asked, so that results.json of an ordinary run keeps its options as they were.
  if (v['real-gpu'] || realGpuRequested()) o.realGpu = true;
  const label = v.label ?? 'default';
  if (!/^[\w.-]+$/.test(label)) throw new RangeError('--label takes letters, digits, dots and dashes');
  return {
    options: o,
    json: v.json !== undefined ? path.resolve(v.json) : path.join(REPO, 'bench', 'results.json'),
    md: v.md !== undefined ? path.resolve(v.md) : path.join(REPO, 'BENCHMARKS.md'),
    label,
  };
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
      process.stderr.write(`error: ${messageOf(err)}\n`);
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
        kernelTimes: results.kernelTimes?.map((k) => ({
          target: k.job.target,
          nets: k.job.nets,
          timer: k.timer,
          cases: k.cases.length,
          errors: k.errors,
        })),
        pytorch: results.pytorch?.status,
        vsPytorch: results.vsPytorch,
      }) + '\n',
    );
    return results.failures.length ? 1 : 0;
  },
};
