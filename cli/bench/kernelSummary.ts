/**
 * The per-kernel timing's numbers, from the raw runs (kernelTiming.ts) to one row per case: medians, the ratio and
 * throughput. Pure (no tfjs), for the report and its tests.
 */
import { median } from './stats';
import type { KernelCaseTiming, KernelTimingResult, TimedKernelKind } from './types';

export interface KernelRow {
  kind: TimedKernelKind;
  label: string;
  /** the case's shape part of the label: "[2, 16, 16, 64] 3x3/1 -> 64" */
  shape: string;
  oursMs: number;
  tfjsMs: number;
  /** tfjs's median over ours: above 1 means ours is faster */
  tfjsOverOurs: number;
  /** GFLOP/s (2 x multiply-adds) for convolutions, G elements/s for batch norm, from the medians */
  oursRate: number;
  tfjsRate: number;
  /** the programs each set dispatched, "Name xN" joined (from the warm-up run's count), when counted */
  oursPrograms?: string;
  tfjsPrograms?: string;
  runs: number;
}

/** Work per millisecond, in G per second: FLOPs (2 per multiply-add) for convolutions, elements for batch norm. */
export function rate(kind: TimedKernelKind, work: number, ms: number): number {
  const units = kind === 'batchNorm' ? work : 2 * work;
  return ms > 0 ? units / ms / 1e6 : NaN;
}

/** "WrnConvFilterGemm, WrnConvFilterFinish" or "BinaryOpProgram x12, ..." (most dispatched first). */
export function describePrograms(byProgram: Record<string, number>): string {
  return Object.entries(byProgram)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([name, n]) => (n === 1 ? name : `${name} x${n}`))
    .join(', ');
}

export function summariseCase(t: KernelCaseTiming): KernelRow {
  const oursMs = median(t.oursMs);
  const tfjsMs = median(t.tfjsMs);
  const row: KernelRow = {
    kind: t.kind,
    label: t.label,
    shape: t.label.startsWith(`${t.kind} `) ? t.label.slice(t.kind.length + 1) : t.label,
    oursMs,
    tfjsMs,
    tfjsOverOurs: tfjsMs / oursMs,
    oursRate: rate(t.kind, t.work, oursMs),
    tfjsRate: rate(t.kind, t.work, tfjsMs),
    runs: Math.min(t.oursMs.length, t.tfjsMs.length),
  };
  if (t.programs) {
    row.oursPrograms = describePrograms(t.programs.ours);
    row.tfjsPrograms = describePrograms(t.programs.tfjs);
  }
  return row;
}

/** Per kind: the summed medians over its cases (a whole net's worth of one kernel per shape) and their ratio. */
export interface KindTotal {
  kind: TimedKernelKind;
  cases: number;
  oursMs: number;
  tfjsMs: number;
  tfjsOverOurs: number;
  /** cases where ours was faster */
  oursFaster: number;
}

export function kindTotals(rows: readonly KernelRow[]): KindTotal[] {
  const kinds = [...new Set(rows.map((r) => r.kind))];
  return kinds.map((kind) => {
    const of = rows.filter((r) => r.kind === kind);
    const oursMs = of.reduce((s, r) => s + r.oursMs, 0);
    const tfjsMs = of.reduce((s, r) => s + r.tfjsMs, 0);
    return { kind, cases: of.length, oursMs, tfjsMs, tfjsOverOurs: tfjsMs / oursMs, oursFaster: of.filter((r) => r.oursMs < r.tfjsMs).length };
  });
}

export function summariseKernels(r: KernelTimingResult): KernelRow[] {
  return r.cases.map(summariseCase);
}
