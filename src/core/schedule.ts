/**
 * Learning-rate schedules, as pure functions of the step. The paper multiplies the rate by 0.2 at epochs 60, 120
 * and 160 of 200, i.e. at 30%, 60% and 80% of the run; that shape is kept for any run length.
 */
import type { Config } from './config';

/** Fractions of the run at which the step schedule multiplies the rate by STEP_FACTOR (paper). */
export const STEP_BOUNDARIES = [0.3, 0.6, 0.8] as const;
export const STEP_FACTOR = 0.2;

export interface RunPlan {
  /** images per step (the configured batch, or fewer when the subset is smaller) */
  batch: number;
  /** SGD steps per epoch: floor(train images / batch); the last incomplete batch is dropped */
  stepsPerEpoch: number;
  totalSteps: number;
  /** steps of linear warm-up */
  warmupSteps: number;
}

export function planRun(c: Pick<Config, 'batch' | 'epochs' | 'warmup'>, trainImages: number): RunPlan {
  const batch = Math.max(1, Math.min(c.batch, trainImages));
  const stepsPerEpoch = Math.max(1, Math.floor(trainImages / batch));
  return { batch, stepsPerEpoch, totalSteps: stepsPerEpoch * c.epochs, warmupSteps: Math.round(c.warmup * stepsPerEpoch) };
}

/** The learning rate for step `step` (0-based) of a run. */
export function learningRateAt(c: Pick<Config, 'lr' | 'schedule'>, plan: RunPlan, step: number): number {
  const t = Math.min(step, plan.totalSteps);
  let lr = c.lr;
  switch (c.schedule) {
    case 'step':
      for (const b of STEP_BOUNDARIES) if (t >= Math.round(b * plan.totalSteps)) lr *= STEP_FACTOR;
      break;
    case 'cosine':
      lr *= 0.5 * (1 + Math.cos((Math.PI * t) / plan.totalSteps));
      break;
    case 'constant':
      break;
  }
  if (t < plan.warmupSteps) lr *= (t + 1) / plan.warmupSteps;
  return lr;
}
