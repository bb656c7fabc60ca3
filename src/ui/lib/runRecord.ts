/**
 * One trained (or imported) model as the charts and tables see it: its name and size, and its metric series.
 * Live runs come from the worker client's snapshot; imported ones from an exported CSV or JSON file.
 */
import type { BlockPoint, EvalPoint, RunSummary, StepPoint } from '../../core/metrics';

export interface RunRecord {
  /** stable key for React lists and colours: "live-0", "imported-3-1" */
  id: string;
  /** the paper's name, e.g. "WRN-40-4"; imported runs keep the name they were exported with */
  name: string;
  /** trainable parameters */
  params: number;
  /** forward multiply-accumulates per image */
  macs: number;
  steps: readonly StepPoint[];
  evals: readonly EvalPoint[];
  /** inside the net at each evaluation (residual ratio per block, layer norms); absent or empty when not measured */
  blocks?: readonly BlockPoint[];
  /** true for runs loaded from a file (drawn again, never trained here) */
  imported: boolean;
  /** planned SGD steps of this model's run, when known (for progress and ETA) */
  totalSteps: number | null;
  /** how the run ended, once it has */
  summary: RunSummary | null;
  /** which net of the config it trains (0 = the main one), for live runs; seeds of one net share it */
  net?: number;
  /** the seed it was trained with, for live runs */
  seed?: number;
  /** for a run reopened from the browser's run history: what became of it ("interrupted", "finished", ...) */
  savedStatus?: string;
}
