/**
 * Native PyTorch on the same CPU, in the same `npm run bench` run: bench/gpu/pytorch_wrn.py --device cpu trains the
 * same nets at the same batch with the same optimizer, on one thread and on as many threads as the threaded WASM
 * target used, so that a WASM row can be read as a fraction of native speed (the goal: at least 10%).
 * PyTorch is optional: without a Python that imports torch the report says so and the run goes on.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  backendOf,
  PYTORCH_PAIR_TOLERANCE,
  type NetJob,
  type NetResult,
  type PytorchReference,
  type PytorchRow,
  type Target,
  type VsPytorch,
} from './types';
import { messageOf } from '../../src/core/errors';
import { findTorch, runPython } from '../../src/node/torchPython';

/** Where the script is: in the repo, or beside the bundled CLI in the folder bench/gpu/pack.sh makes. */
export function pytorchScript(repo: string): string | null {
  for (const p of [path.join(repo, 'bench', 'gpu', 'pytorch_wrn.py'), path.join(repo, 'pytorch_wrn.py')]) if (existsSync(p)) return p;
  return null;
}

/**
 * Pythons to try, in order: the one asked for (`--python`, or WRN_BENCH_PYTHON), else `python3` on the PATH and
 * the system's /usr/bin/python3 (a pyenv or venv python3 on the PATH need not see Debian's python3-torch).
 */
export function pythonCandidates(asked: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const one = asked ?? env['WRN_BENCH_PYTHON'];
  return one ? [one] : ['python3', '/usr/bin/python3'];
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Reads pytorch_wrn.py's --out file (CPU runs); throws on anything that is not one, saying what is wrong. */
export function parsePytorchOutput(text: string): { torch: string; cpu: string; rows: PytorchRow[] } {
  const data: unknown = JSON.parse(text);
  if (typeof data !== 'object' || data === null) throw new Error('pytorch_wrn.py output is not an object');
  const o = data as Record<string, unknown>;
  if (o['device'] !== 'cpu') throw new Error(`pytorch_wrn.py ran on ${String(o['device'])}, not the CPU`);
  if (!Array.isArray(o['results'])) throw new Error('pytorch_wrn.py output has no results list');
  const rows = o['results'].map((r: unknown, i): PytorchRow => {
    const x = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
    const { net, mode, depth, width, batch, threads, firstStepMs, stepMs, imagesPerSec, windows } = x;
    if (typeof net !== 'string' || typeof mode !== 'string') throw new Error(`pytorch_wrn.py result ${i} has no net or mode`);
    const nums = { depth, width, batch, threads, firstStepMs, stepMs, imagesPerSec, windows };
    const bad = Object.entries(nums)
      .filter(([, v]) => !isNum(v))
      .map(([k]) => k);
    if (bad.length) throw new Error(`pytorch_wrn.py result ${i} (${net}) lacks numbers for ${bad.join(', ')}`);
    return {
      net,
      mode,
      depth: depth as number,
      width: width as number,
      batch: batch as number,
      threads: threads as number,
      firstStepMs: firstStepMs as number,
      stepMs: stepMs as number,
      imagesPerSec: imagesPerSec as number,
      windows: windows as number,
    };
  });
  return { torch: String(o['torch'] ?? '?'), cpu: String(o['cpu'] ?? '?'), rows };
}

/** WASM threads a row ran on (the adapter reports them; 1 when it does not say). */
function threadsOf(r: NetResult): number {
  const t = r.adapter['threads'];
  return typeof t === 'number' && t >= 1 ? t : 1;
}

const isWasm = (t: Target) => backendOf(t) === 'wasm';

/** The threads a WASM job runs on, and so PyTorch next to it: the threaded target one per logical core (see
 * cli/bench/web/worker.ts), unless the job names a count; every other target one. */
export function pytorchThreadsFor(job: NetJob, cores: number): number {
  if (job.target !== 'chromium-wasm-threads') return 1;
  return job.threads > 0 ? job.threads : cores;
}

/**
 * Each WASM trainer row against PyTorch's best on the same net, batch and number of threads, measured next to that
 * job (rows without a `next` count for every job): the faster layout, and the faster of the measurements right
 * before and right after it, so the percentage errs on PyTorch's side.
 */
export function compareWithPytorch(results: NetResult[], rows: PytorchRow[]): VsPytorch[] {
  const out: VsPytorch[] = [];
  for (const r of results) {
    if (!isWasm(r.job.target) || !r.trainer) continue;
    const threads = threadsOf(r);
    const same = rows.filter(
      (p) => p.net === r.net && p.batch === r.job.batch && p.threads === threads && (p.next === undefined || p.next === r.job.target),
    );
    if (!same.length) continue;
    const best = same.reduce((a, b) => (b.imagesPerSec > a.imagesPerSec ? b : a));
    const fastest = (when: 'before' | 'after') => {
      const rows = same.filter((p) => p.when === when);
      return rows.length ? Math.max(...rows.map((p) => p.imagesPerSec)) : undefined;
    };
    const pair = neighbourPair(fastest('before'), fastest('after'));
    out.push({
      ...pair,
      target: r.job.target,
      net: r.net,
      threads,
      wasmImagesPerSec: r.trainer.imagesPerSec,
      pytorchImagesPerSec: best.imagesPerSec,
      pytorchMode: best.mode,
      percent: (100 * r.trainer.imagesPerSec) / best.imagesPerSec,
    });
  }
  return out;
}

/**
 * PyTorch right before and right after a job, and whether they disagree by more than PYTORCH_PAIR_TOLERANCE of the
 * larger: then the load on the machine changed while the job ran, and neither figure says what the job saw.
 */
export function neighbourPair(before: number | undefined, after: number | undefined): Pick<VsPytorch, 'pytorchBefore' | 'pytorchAfter' | 'unreliable'> {
  const out: Pick<VsPytorch, 'pytorchBefore' | 'pytorchAfter' | 'unreliable'> = {};
  if (before !== undefined) out.pytorchBefore = before;
  if (after !== undefined) out.pytorchAfter = after;
  if (before !== undefined && after !== undefined) {
    const spread = Math.abs(before - after) / Math.max(before, after);
    if (spread > PYTORCH_PAIR_TOLERANCE) {
      out.unreliable =
        `PyTorch before and after the job differ by ${(100 * spread).toFixed(0)}% (${before.toFixed(1)} and ${after.toFixed(1)} img/s), ` +
        `more than ${100 * PYTORCH_PAIR_TOLERANCE}%: the machine's load changed; rerun on a quiet machine`;
    }
  }
  return out;
}

export interface PytorchPlan {
  nets: { depth: number; width: number }[];
  batch: number;
  threads: number[];
  steps: number;
  readEvery: number;
  /** `--python`, if given */
  python?: string;
  when: 'before' | 'after';
  /** the WASM job it is measured next to */
  next: Target;
  repo: string;
  timeoutS: number;
}

/** Runs pytorch_wrn.py once per thread count; a missing torch or script is reported, not thrown. */
export async function measurePytorch(plan: PytorchPlan, log: (line: string) => void): Promise<PytorchReference> {
  const script = pytorchScript(plan.repo);
  if (!script) return { status: 'missing', reason: `bench/gpu/pytorch_wrn.py not found under ${plan.repo}` };
  const torch = await findTorch(pythonCandidates(plan.python));
  if ('reason' in torch) return { status: 'missing', reason: torch.reason };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wrn-pytorch-'));
  const rows: PytorchRow[] = [];
  const errors: string[] = [];
  let cpu = '?';
  try {
    for (const threads of plan.threads) {
      const out = path.join(dir, `t${threads}.json`);
      const nets = plan.nets.map((n) => `${n.depth}-${n.width}`).join(',');
      log(`pytorch ${plan.when} ${plan.next} (${torch.python}, torch ${torch.torch}) ${threads} thread${threads === 1 ? '' : 's'}: ${nets}`);
      try {
        await runPython(
          torch.python,
          [
            script,
            '--device',
            'cpu',
            '--threads',
            String(threads),
            '--nets',
            nets,
            '--batch',
            String(plan.batch),
            '--steps',
            String(plan.steps),
            '--read-every',
            String(plan.readEvery),
            '--out',
            out,
          ],
          plan.timeoutS,
        );
        const parsed = parsePytorchOutput(readFileSync(out, 'utf8'));
        cpu = parsed.cpu;
        rows.push(...parsed.rows.map((r) => ({ ...r, when: plan.when, next: plan.next })));
        for (const r of parsed.rows) log(`  ${r.net} ${r.mode} ${r.threads} thr: ${r.imagesPerSec.toFixed(1)} img/s`);
      } catch (err) {
        errors.push(`${nets} on ${threads} threads (${plan.when} ${plan.next}): ${messageOf(err)}`);
        log(`pytorch ${threads} threads FAILED: ${errors[errors.length - 1]}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!rows.length) return { status: 'failed', reason: errors.join('; ') || 'no rows' };
  return { status: 'measured', python: torch.python, torch: torch.torch, cpu, rows, errors };
}

/** One reference from all PyTorch measurements of a run: every row, or why there are none. */
export function mergePytorch(runs: PytorchReference[]): PytorchReference {
  const measured = runs.filter((p): p is Extract<PytorchReference, { status: 'measured' }> => p.status === 'measured');
  if (!measured.length) return runs[runs.length - 1] ?? { status: 'failed', reason: 'not run' };
  const failed = runs.flatMap((p) => (p.status === 'failed' ? [p.reason] : []));
  return { ...measured[0]!, rows: measured.flatMap((p) => p.rows), errors: [...measured.flatMap((p) => p.errors), ...failed] };
}
