/**
 * Equal budgets for a comparison: every net gets the same epochs (the default), the same active
 * training seconds, or the same training FLOPs. Pure arithmetic on a config and a trainer's counters; the runner
 * (runner.ts) applies it between slices of training.
 *
 * - FLOPs: known before the first step. A net's run is floor(budget / (batch · training FLOPs per image)) steps,
 *   and the schedule spans exactly those: the trainer ends there by itself, within one step of the budget.
 * - Time: known only as the net trains. The trainer trains open-ended; after each slice the runner asks `timeSpent`
 *   and concludes the net once its own active seconds reach the budget (within one slice, at most one evaluation
 *   window), and `estimateSteps` revises the steps the schedule spans from the pace so far, so that the learning-rate
 *   milestones (30/60/80%) fall at those fractions of the time.
 */
import type { Config, ModelConfig } from './config';
import { trainFlopsPerImage } from './cost';
import { planRun } from './schedule';
import type { TrainerOptions } from './trainer';

/** The trainer's `length` option for one net under the config's budget; undefined: epochs, as configured. */
export function budgetLength(config: Config, model: ModelConfig, trainImages: number): TrainerOptions['length'] {
  const plan = planRun(config, trainImages);
  switch (config.budget.kind) {
    case 'epochs':
      return undefined;
    case 'flops':
      return { steps: flopsBudgetSteps(config.budget.flops, plan.batch, model) };
    case 'time':
      // A first guess (the epochs' steps) until the pace is known; see estimateSteps.
      return { steps: plan.totalSteps, open: true };
  }
}

/** Whole steps of `batch` images that fit in `flops` training FLOPs of this net (at least one). */
export function flopsBudgetSteps(flops: number, batch: number, model: ModelConfig): number {
  return Math.max(1, Math.floor(flops / (batch * trainFlopsPerImage(model))));
}

/** True once a net's own active training time has reached a time budget; false under other budgets. */
export function timeSpent(config: Config, seconds: number): boolean {
  return config.budget.kind === 'time' && seconds >= config.budget.seconds;
}

/** A point on a net's way: its finished steps and its active seconds then. */
export interface Progress {
  step: number;
  seconds: number;
}

/**
 * The steps a time budget will hold, from the pace between `from` and `now`: steps taken plus the seconds left at
 * that pace. `from` should be after the first step, whose time includes compiling the kernels. Null while there is
 * no pace to go by.
 */
export function estimateSteps(budgetSeconds: number, from: Progress, now: Progress): number | null {
  const steps = now.step - from.step;
  const seconds = now.seconds - from.seconds;
  if (steps <= 0 || !(seconds > 0)) return null;
  const left = Math.max(0, budgetSeconds - now.seconds);
  return now.step + (left * steps) / seconds;
}
