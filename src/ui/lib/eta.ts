/** Time left in a run, from the pace so far. */

/**
 * Seconds until `totalSteps`, at the average pace of the steps done so far; null until there is a pace.
 * The first steps include shader compilation, so the estimate starts high and settles.
 */
export function etaSeconds(step: number, seconds: number, totalSteps: number): number | null {
  if (step <= 0 || seconds <= 0 || totalSteps <= step) return step >= totalSteps && totalSteps > 0 ? 0 : null;
  return ((totalSteps - step) * seconds) / step;
}
