/**
 * The benchmark run: one job per (target, net), Node jobs in fresh child processes and Chromium jobs in fresh
 * workers of one headless page, one after another (running them side by side would only make them fight over the
 * CPU). Collects everything into one results object; `report.ts` turns it into BENCHMARKS.md and results.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureParseThroughput, type ParseThroughput } from './parseThroughput';
import { RECORD_BYTES } from '../../src/core/data/dataset';
import { openBrowserSession, type BrowserSession } from './browser';
import { machineInfo, packageVersions, type MachineInfo } from './machine';
import { compareWithPytorch, measurePytorch, mergePytorch, pytorchThreadsFor } from './pytorch';
import {
  backendOf,
  envOf,
  type KernelJob,
  type KernelTimingResult,
  type NetJob,
  type NetResult,
  type PytorchReference,
  type Target,
  TIMED_KERNEL_KINDS,
  type VsPytorch,
} from './types';
import type { YieldCost } from './web/protocol';
import { netName } from '../../src/core/config';
import { messageOf, toError } from '../../src/core/errors';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '../..');

export interface BenchOptions {
  nets: { depth: number; width: number }[];
  batch: number;
  steps: number;
  /** the trainer's metrics window and the loops' turn length, in steps */
  readEvery: number;
  dropout: number;
  targets: Target[];
  /** time the old host-drawn dropout mask too, on the GPU targets (where its upload matters) */
  legacyDropout: boolean;
  pipelineBatches: number;
  /** which jobs get a kernel profile: the Chromium GPU targets' first net, all jobs, or none */
  profile: 'gpu' | 'all' | 'none';
  seed: number;
  /** a job that runs longer is stopped and recorded as failed (s) */
  jobTimeoutS: number;
  /** also measure native PyTorch on the CPU (bench/gpu/pytorch_wrn.py) when a WASM target ran and torch imports */
  pytorch: boolean;
  /** the Python to run it with (default: the first of python3, /usr/bin/python3 that imports torch) */
  python?: string;
  /** Chromium on the machine's GPU rather than pinned to SwiftShader (src/node/chromium.ts); absent: SwiftShader */
  realGpu?: boolean;
  /**
   * Per-kernel timing on each WebGPU target (kernelTiming.ts): our kernels against tfjs's on the layer shapes of
   * these nets at this batch, after the net jobs. Absent: not run.
   */
  kernelTiming?: { nets: [number, number][]; batch: number; reps: number; timer: 'auto' | 'wall' };
}

/** PyTorch's steady-state steps: at least this many, whatever --steps says (its steps are short). */
const PYTORCH_MIN_STEPS = 20;

/** A job that produced no result at all (crash, timeout, backend missing). */
export interface JobFailure {
  target: Target;
  net: string;
  error: string;
}

export interface BenchResults {
  schema: 1;
  date: string;
  machine: MachineInfo;
  versions: Record<string, string>;
  chromium?: { version: string; userAgent: string; crossOriginIsolated: boolean; hardwareConcurrency: number; webgpu: boolean };
  options: BenchOptions;
  results: NetResult[];
  failures: JobFailure[];
  /**
   * The CIFAR-10 binary parser (src/core/data) on synthetic records in Node, as records/s: the first stage of the
   * input pipeline, compared with the fastest trainer row's consumption.
   */
  parse?: ParseThroughput & { recordsPerSec: number; headroom: number };
  /** the cost of the trainer's between-steps yield in a Chromium worker (setTimeout vs MessageChannel) */
  yieldCost?: YieldCost;
  /** dropout mask checksums per target: all equal when every backend computes the same mask for the same seed */
  masks: { agree: boolean; checksums: Partial<Record<Target, string>> };
  /** per-kernel timing, one entry per WebGPU target and net (options.kernelTiming) */
  kernelTimes?: KernelTimingResult[];
  /** native PyTorch on the same CPU, measured after the tfjs jobs, or why not */
  pytorch?: PytorchReference;
  /** each WASM trainer row as a percentage of PyTorch on as many threads */
  vsPytorch?: VsPytorch[];
  seconds: number;
}

const GPU_BACKENDS = new Set(['webgpu', 'webgl']);

/** Records for the parser measurement: 20 MB, a third of the real training set, a fraction of a second. */
const PARSE_RECORDS = 6500;

/** Synthetic CIFAR-10 binary (label byte + 3072 pixel bytes per record). */
function syntheticCifarBytes(records: number): Uint8Array {
  const bytes = new Uint8Array(records * RECORD_BYTES);
  for (let r = 0; r < records; r++) bytes[r * RECORD_BYTES] = r % 10;
  return bytes;
}

/** The job list: every target x net, in the given orders. */
export function planJobs(o: BenchOptions): NetJob[] {
  const jobs: NetJob[] = [];
  for (const target of o.targets) {
    o.nets.forEach((net, i) => {
      const gpu = GPU_BACKENDS.has(backendOf(target));
      const first = i === 0;
      jobs.push({
        target,
        depth: net.depth,
        width: net.width,
        batch: o.batch,
        steps: o.steps,
        readEvery: o.readEvery,
        dropout: o.dropout,
        // The old mask's cost is its host fill and upload: shown where that is a round trip (WebGPU), on one net.
        legacyDropout: o.legacyDropout && backendOf(target) === 'webgpu' && first,
        pipelineBatches: o.pipelineBatches,
        maskCost: first,
        profile: o.profile === 'all' || (o.profile === 'gpu' && gpu && envOf(target) === 'chromium' && first),
        seed: o.seed,
        threads: target === 'chromium-wasm' ? 1 : 0,
      });
    });
  }
  return jobs;
}

/**
 * The per-kernel timing jobs, when asked for: one per WebGPU target and net (each with its own process and time
 * limit, so that a slow wide net cannot take a thin one's results with it).
 */
export function planKernelJobs(o: BenchOptions): KernelJob[] {
  const k = o.kernelTiming;
  if (!k) return [];
  return o.targets
    .filter((target) => backendOf(target) === 'webgpu')
    .flatMap((target) =>
      k.nets.map(
        (net): KernelJob => ({ kind: 'kernels', target, nets: [net], batch: k.batch, reps: k.reps, timer: k.timer, kinds: [...TIMED_KERNEL_KINDS] }),
      ),
    );
}

/**
 * How to start a job process: in the repo, nodeJob.ts through the tsx loader; in the self-contained folder that
 * bench/gpu/pack.sh makes for GPU machines without npm, the prebuilt nodeJob.mjs beside this (bundled) module.
 */
function nodeJobScript(): string[] {
  const bundled = path.join(HERE, 'nodeJob.mjs');
  return existsSync(bundled) ? [bundled] : ['--import', 'tsx', path.join(HERE, 'nodeJob.ts')];
}

/** Runs one job (a net's, or per-kernel timing) in a fresh Node process, with a timeout. */
function runNodeJob(job: NetJob, timeoutS: number, log: (line: string) => void): Promise<NetResult>;
function runNodeJob(job: KernelJob, timeoutS: number, log: (line: string) => void): Promise<KernelTimingResult>;
function runNodeJob(job: NetJob | KernelJob, timeoutS: number, log: (line: string) => void): Promise<NetResult | KernelTimingResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wrn-bench-'));
  const out = path.join(dir, 'result.json');
  return new Promise<NetResult | KernelTimingResult>((resolve, reject) => {
    // --expose-gc: loops.ts collects garbage between the interleaved loops' turns.
    const child = spawn(process.execPath, ['--expose-gc', ...nodeJobScript(), JSON.stringify(job), out], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      // Progress lines from the job (nodeJob.ts) start with two spaces; the rest (Dawn's chatter) is kept for errors only.
      for (const line of chunk.split('\n')) if (line.startsWith('  ')) log(line);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        if (code === 0) resolve(JSON.parse(readFileSync(out, 'utf8')) as NetResult | KernelTimingResult);
        else {
          const why = signal ? `killed (${signal}) after ${timeoutS} s` : `exit ${code}`;
          // A kernel job leaves its cases so far (nodeJob.ts): keep them, saying where it stopped.
          if ('kind' in job && existsSync(out)) {
            const partial = JSON.parse(readFileSync(out, 'utf8')) as KernelTimingResult;
            partial.errors.push(`stopped after ${partial.cases.length} cases: ${why}`);
            resolve(partial);
            return;
          }
          const last = stderr
            .trim()
            .split('\n')
            .filter((l) => !/XDG_RUNTIME_DIR/.test(l))
            .slice(-3)
            .join(' | ');
          reject(new Error(`${why}: ${last}`));
        }
      } catch (err) {
        reject(toError(err));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

function withTimeout<T>(p: Promise<T>, seconds: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took more than ${seconds} s`)), seconds * 1000);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(toError(e));
      },
    );
  });
}

/**
 * What the jobs produced, as they finish: each net job's result or failure, each per-kernel job's timings. Every
 * failure is recorded and logged here, and the run goes on.
 */
class JobRecord {
  readonly results: NetResult[] = [];
  readonly failures: JobFailure[] = [];
  readonly kernelTimes: KernelTimingResult[] = [];

  constructor(private readonly log: (line: string) => void) {}

  /** A net job that produced no result. */
  fail(job: NetJob, err: unknown, where = ''): void {
    const failure = { target: job.target, net: netName(job), error: `${where}${messageOf(err)}` };
    this.failures.push(failure);
    this.log(`${job.target} ${failure.net}: FAILED ${failure.error}`);
  }

  /** Runs one net job; false when it failed (recorded). */
  async attempt(job: NetJob, run: () => Promise<NetResult>): Promise<boolean> {
    this.log(`${job.target} ${netName(job)}: starting`);
    try {
      this.results.push(await run());
      return true;
    } catch (err) {
      this.fail(job, err);
      return false;
    }
  }

  /**
   * Runs one per-kernel timing job, with the load average around it (its numbers are ratios taken interleaved in
   * one process, and the load says how far to trust them); false when it failed (recorded).
   */
  async attemptKernels(job: KernelJob, run: () => Promise<KernelTimingResult>): Promise<boolean> {
    const what = `${job.target} ${kernelJobName(job)}`;
    this.log(`${what}: starting`);
    const start = os.loadavg()[0] ?? 0;
    try {
      const r = await run();
      this.kernelTimes.push({ ...r, loadAverage: { start, end: os.loadavg()[0] ?? 0 } });
      return true;
    } catch (err) {
      this.failKernels(job, err);
      this.log(`${what}: FAILED ${messageOf(err)}`);
      return false;
    }
  }

  /** A per-kernel timing job that produced nothing. */
  failKernels(job: KernelJob, err: unknown, where = ''): void {
    this.failures.push({ target: job.target, net: kernelJobName(job), error: `${where}${messageOf(err)}` });
  }
}

const kernelJobName = (job: KernelJob) => `per-kernel timing, ${job.nets.map(([d, w]) => `WRN-${d}-${w}`).join(', ')}`;

/**
 * PyTorch right before and right after each WASM job, on the same net and threads: the load on a shared machine
 * drifts (another test run can halve a core's speed), and the job's neighbours in time see what the job saw.
 */
class PytorchBrackets {
  private readonly runs: PytorchReference[] = [];
  /** why there is no PyTorch reference in this run, or null */
  private readonly skip: string | null;

  constructor(
    private readonly o: BenchOptions,
    private readonly cores: number,
    private readonly log: (line: string) => void,
  ) {
    this.skip = !o.pytorch ? 'not asked for (--no-pytorch)' : !o.targets.some((t) => backendOf(t) === 'wasm') ? 'no WASM target in this run' : null;
  }

  /** Measures PyTorch next to `job`, when it is a WASM job and PyTorch is wanted and there. */
  async measure(job: NetJob, when: 'before' | 'after'): Promise<void> {
    if (this.skip || backendOf(job.target) !== 'wasm') return;
    if (this.runs.some((p) => p.status === 'missing')) return; // no torch: asked once
    const o = this.o;
    const plan = {
      nets: [{ depth: job.depth, width: job.width }],
      batch: o.batch,
      threads: [pytorchThreadsFor(job, this.cores)],
      steps: Math.max(o.steps, PYTORCH_MIN_STEPS),
      readEvery: o.readEvery,
      ...(o.python !== undefined ? { python: o.python } : {}),
      repo: REPO,
      timeoutS: o.jobTimeoutS,
      when,
      next: job.target,
    };
    this.runs.push(await measurePytorch(plan, this.log));
  }

  /** The reference for the results, and each WASM row against it (nothing when nothing was measured). */
  reference(results: NetResult[]): Pick<BenchResults, 'pytorch' | 'vsPytorch'> {
    if (this.skip) return { pytorch: { status: 'skipped', reason: this.skip } };
    if (!this.runs.length) return {};
    const pytorch = mergePytorch(this.runs);
    if (pytorch.status === 'measured') return { pytorch, vsPytorch: compareWithPytorch(results, pytorch.rows) };
    this.log(`pytorch: ${pytorch.status}: ${pytorch.reason}`);
    return { pytorch };
  }
}

/** What the job runners share: the options, the record of what the jobs gave, PyTorch beside them, the log. */
interface BenchRun {
  o: BenchOptions;
  record: JobRecord;
  pytorch: PytorchBrackets;
  log: (line: string) => void;
}

/** The Node jobs (no browser running meanwhile): the nets', each between its PyTorch brackets, then the per-kernel ones. */
async function runNodeJobs({ o, record, pytorch, log }: BenchRun, jobs: NetJob[], kernelJobs: KernelJob[]): Promise<void> {
  for (const job of jobs.filter((j) => envOf(j.target) === 'node')) {
    await pytorch.measure(job, 'before');
    await record.attempt(job, () => runNodeJob(job, o.jobTimeoutS, log));
    await pytorch.measure(job, 'after');
  }
  for (const job of kernelJobs.filter((j) => envOf(j.target) === 'node')) {
    await record.attemptKernels(job, () => runNodeJob(job, o.jobTimeoutS, log));
  }
}

/**
 * The Chromium jobs, in one headless browser session (a fresh one after a job that failed: a timed-out job may still
 * be running in its worker). Returns the browser's description and its yield cost, or null when there were no
 * Chromium jobs or the browser did not start (then every job it did not get to fails with it).
 */
async function runBrowserJobs(
  { o, record, pytorch, log }: BenchRun,
  jobs: NetJob[],
  kernelJobs: KernelJob[],
): Promise<Pick<BenchResults, 'chromium' | 'yieldCost'> | null> {
  const browserJobs = jobs.filter((j) => envOf(j.target) === 'chromium');
  const browserKernelJobs = kernelJobs.filter((j) => envOf(j.target) === 'chromium');
  if (!browserJobs.length && !browserKernelJobs.length) return null;
  const open = () => openBrowserSession(log, { realGpu: o.realGpu === true });
  let session: BrowserSession | null = null;
  let browser: Pick<BenchResults, 'chromium' | 'yieldCost'> | null = null;
  const done = new Set<NetJob | KernelJob>();
  try {
    session = await open();
    browser = { chromium: { version: session.version, ...session.environment } };
    browser.yieldCost = await session.yieldCost(50);
    for (const job of browserJobs) {
      await pytorch.measure(job, 'before');
      const current: BrowserSession = session;
      const ok = await record.attempt(job, () => withTimeout(current.run(job), o.jobTimeoutS, `${job.target} ${netName(job)}`));
      done.add(job);
      if (ok) await pytorch.measure(job, 'after');
      else {
        await session.close();
        session = await open();
      }
    }
    for (const job of browserKernelJobs) {
      const current: BrowserSession = session;
      const ok = await record.attemptKernels(job, () => withTimeout(current.runKernels(job), o.jobTimeoutS, `${job.target} ${kernelJobName(job)}`));
      done.add(job);
      if (!ok) {
        await session.close();
        session = await open();
      }
    }
  } catch (err) {
    // The browser itself failed (it did not start, or not again): every job it did not get to fails with it.
    for (const job of browserJobs.filter((j) => !done.has(j))) record.fail(job, err, 'browser: ');
    for (const job of browserKernelJobs.filter((j) => !done.has(j))) record.failKernels(job, err, 'browser: ');
  } finally {
    await session?.close();
  }
  return browser;
}

/** The CIFAR-10 parser's speed in Node, against the fastest trainer row's consumption; undefined when it failed. */
async function measureParser(results: NetResult[], log: (line: string) => void): Promise<BenchResults['parse']> {
  try {
    const parsed = await measureParseThroughput(syntheticCifarBytes(PARSE_RECORDS));
    const fastest = Math.max(...results.map((r) => r.trainer?.imagesPerSec ?? 0));
    const recordsPerSec = parsed.records / parsed.seconds;
    log(`parser: ${parsed.mbPerSec.toFixed(0)} MB/s, ${Math.round(recordsPerSec)} records/s`);
    return { ...parsed, recordsPerSec, headroom: fastest > 0 ? recordsPerSec / fastest : NaN };
  } catch (err) {
    log(`parser measurement FAILED: ${messageOf(err)}`);
    return undefined;
  }
}

/** The dropout mask checksums per target, and whether every backend computed the same mask. */
function maskAgreement(results: NetResult[]): BenchResults['masks'] {
  const checksums: BenchResults['masks']['checksums'] = {};
  for (const r of results) if (r.maskChecksum) checksums[r.job.target] = r.maskChecksum;
  return { agree: new Set(Object.values(checksums)).size <= 1, checksums };
}

/** Runs the whole benchmark: the Node jobs, then the Chromium ones, PyTorch beside the WASM jobs, then the parser. */
export async function runBench(o: BenchOptions, log: (line: string) => void): Promise<BenchResults> {
  const started = performance.now();
  const machine = machineInfo();
  const jobs = planJobs(o);
  const kernelJobs = planKernelJobs(o);
  const record = new JobRecord(log);
  const pytorch = new PytorchBrackets(o, machine.cores, log);
  const out: BenchResults = {
    schema: 1,
    date: new Date().toISOString(),
    machine,
    versions: packageVersions(REPO),
    options: o,
    results: record.results,
    failures: record.failures,
    masks: { agree: true, checksums: {} },
    seconds: 0,
  };
  const run: BenchRun = { o, record, pytorch, log };
  await runNodeJobs(run, jobs, kernelJobs);
  const browser = await runBrowserJobs(run, jobs, kernelJobs);
  if (browser) Object.assign(out, browser);
  Object.assign(out, pytorch.reference(record.results));
  const parse = await measureParser(record.results, log);
  if (parse) out.parse = parse;
  if (kernelJobs.length) out.kernelTimes = record.kernelTimes;
  out.masks = maskAgreement(record.results);
  machine.loadAverage.end = os.loadavg()[0] ?? 0;
  out.seconds = (performance.now() - started) / 1000;
  return out;
}
