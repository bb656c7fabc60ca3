/**
 * When did a run first reach a test accuracy: the comparison the paper's speed argument is about (a wide net may
 * need more FLOPs per step yet reach an accuracy sooner in wall-clock time, because GPUs like wide layers).
 */
import type { EvalPoint } from '../../core/metrics';

export interface Reached {
  /** active training seconds at the first evaluation at or above the target */
  seconds: number;
  /** cumulative training FLOPs at that evaluation */
  flops: number;
  step: number;
  epoch: number;
}

/** The first evaluation whose test accuracy is at least `target` (a fraction 0..1), or null if none is. */
export function timeToAccuracy(evals: readonly EvalPoint[], target: number): Reached | null {
  for (const e of evals) {
    if (e.testAccuracy >= target) return { seconds: e.seconds, flops: e.flops, step: e.step, epoch: e.epoch };
  }
  return null;
}

/** The best test accuracy over a run's evaluations, or null before the first one. */
export function bestTestAccuracy(evals: readonly EvalPoint[]): number | null {
  let best: number | null = null;
  for (const e of evals) if (best === null || e.testAccuracy > best) best = e.testAccuracy;
  return best;
}
