/**
 * Runs grouped by net, for the comparison views: each net's finished runs (one per seed), the summary of their
 * final test accuracies, and the verdict against the main net. Pure functions over RunRecords; the statistics are
 * core/stats.ts's.
 *
 * Which accuracy: the run's final evaluation (its last one), not its best. The best of several evaluations is
 * picked on the test set itself and so is biased upwards, and the intervals assume one measurement per run.
 */
import { compareNets, summarize, wilsonInterval, type SampleSummary, type Verdict } from '../../core/stats';
import type { RunRecord } from './runRecord';

/** A run that has ended (or was imported) with at least one evaluation. */
export interface FinishedRun {
  run: RunRecord;
  /** position in the runs list */
  index: number;
  /** final test accuracy, 0..1 */
  accuracy: number;
  testImages: number;
  /** active training seconds and cumulative training FLOPs when it ended */
  seconds: number;
  flops: number;
  /** the 95% Wilson interval of `accuracy` on `testImages` (test-set noise of this one run) */
  interval: [number, number];
}

export interface NetGroup {
  /** `live-net-<i>` for the current run's nets, `imported-<name>` for imported runs of one name */
  key: string;
  name: string;
  /** the group's position among the groups: its colour (`colorSlots`) */
  slot: number;
  params: number;
  runs: RunRecord[];
  finished: FinishedRun[];
  /** mean, std and 95% t interval of the finished runs' final accuracies; null before the first finishes */
  summary: SampleSummary | null;
}

/** A live run is finished when the worker sent its summary; an imported one when it has an evaluation. */
export function finishedRun(run: RunRecord, index: number): FinishedRun | null {
  const last = run.summary?.finalEval ?? (run.imported || run.summary ? run.evals.at(-1) : undefined);
  if (!last) return null;
  return {
    run,
    index,
    accuracy: last.testAccuracy,
    testImages: last.testImages,
    seconds: run.summary?.seconds ?? last.seconds,
    flops: run.summary?.flops ?? last.flops,
    interval: wilsonInterval(last.testAccuracy, last.testImages),
  };
}

function groupKey(run: RunRecord): string {
  if (!run.imported && run.net !== undefined) return `live-net-${run.net}`;
  return `${run.imported ? 'imported' : 'live'}-${run.name}`;
}

/** The runs grouped by net, in order of first appearance (the main net first for a live run). */
export function groupByNet(runs: readonly RunRecord[]): NetGroup[] {
  const groups = new Map<string, NetGroup>();
  runs.forEach((run, index) => {
    const key = groupKey(run);
    let g = groups.get(key);
    if (!g) {
      g = { key, name: run.name, slot: groups.size, params: run.params, runs: [], finished: [], summary: null };
      groups.set(key, g);
    }
    g.runs.push(run);
    const f = finishedRun(run, index);
    if (f) g.finished.push(f);
  });
  for (const g of groups.values()) {
    if (g.finished.length) g.summary = clampToAccuracy(summarize(g.finished.map((f) => f.accuracy)));
  }
  return [...groups.values()];
}

/**
 * The t interval is symmetric and, with few seeds, may reach past 0% or 100%, where no accuracy lies: shown
 * clipped to 0..1 (the test on the seeds is unaffected).
 */
function clampToAccuracy(s: SampleSummary): SampleSummary {
  if (!s.ci95) return s;
  return { ...s, ci95: [Math.max(0, s.ci95[0]), Math.min(1, s.ci95[1])] };
}

/**
 * Each run's colour slot: the position of its net among the nets, so that the seeds of one net share a colour in
 * the curves, the tables and the scatter (their labels tell the seeds apart).
 */
export function colorSlots(runs: readonly RunRecord[]): number[] {
  const slots = new Map<string, number>();
  return runs.map((run) => {
    const key = groupKey(run);
    const known = slots.get(key);
    if (known !== undefined) return known;
    slots.set(key, slots.size);
    return slots.size - 1;
  });
}

/** The verdict of each group against the first (the main net); null for the main net itself. */
export function verdictsAgainstMain(groups: readonly NetGroup[]): (Verdict | null)[] {
  const main = groups[0];
  return groups.map((g, i) => {
    if (i === 0 || !main) return null;
    return compareNets(
      { name: main.name, accuracies: main.finished.map((f) => f.accuracy), testImages: testImagesOf(main) },
      { name: g.name, accuracies: g.finished.map((f) => f.accuracy), testImages: testImagesOf(g) },
    );
  });
}

function testImagesOf(g: NetGroup): number {
  return g.finished[0]?.testImages ?? 0;
}

/** A run's label where several runs share a name: "WRN-16-4 (seed 2)"; otherwise just the name. */
export function runLabel(run: RunRecord, runs: readonly RunRecord[]): string {
  const base = run.imported ? `${run.name} (imported)` : run.name;
  if (run.seed === undefined) return base;
  const shared = runs.some((r) => r !== run && r.name === run.name && r.imported === run.imported);
  return shared ? `${base} (seed ${run.seed})` : base;
}
