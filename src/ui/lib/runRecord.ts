/**
 * One trained (or imported) model as the charts and tables see it: a run of the metrics files (its name, size,
 * metric series and summary) with what the page adds. Live runs come from the worker client's snapshot; imported
 * ones from a metrics file (`importedRuns`).
 */
import type { MetricsRun } from '../../core/metricsFile';

export interface RunRecord extends MetricsRun {
  /** stable key for React lists and colours: "live-0", "imported-3-1" */
  id: string;
  /** true for runs loaded from a file (drawn again, never trained here) */
  imported: boolean;
  /** which net of the config it trains (0 = the main one), for live runs; seeds of one net share it */
  net?: number;
  /** for a run reopened from the browser's run history: what became of it ("interrupted", "finished", ...) */
  savedStatus?: string;
}

/** A metrics file's runs as imported records; `idPrefix` keeps ids unique across imports, e.g. "imported-2". */
export function importedRuns(runs: readonly MetricsRun[], idPrefix: string): RunRecord[] {
  return runs.map((r, i) => ({ ...r, id: `${idPrefix}-${i}`, imported: true }));
}
