/**
 * The one configuration of a run: the model slice (depth, width, dropout) and the training recipe.
 *
 * Defaults follow the paper's recipe (Zagoruyko & Komodakis 2016, reference code `train.lua`): SGD with Nesterov
 * momentum 0.9, lr 0.1 multiplied by 0.2 at 30/60/80% of the run, weight decay 5e-4, batch 128, flip + crop
 * augmentation. Only the sizes (net, epochs, subset) are scaled down so that a browser finishes in minutes.
 *
 * This module knows nothing of URLs; `url.ts` turns a Config into the public `#key=value` text and back.
 */

export const BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendPreference = (typeof BACKENDS)[number];

/** WebGPU kernels: ours (src/core/kernels/webgpu: fused batch norm, optimizer, ReLU gradient) or tfjs's own. */
export const KERNEL_CHOICES = ['ours', 'tfjs'] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

/**
 * What trains on WebGPU: 'compiled', the whole step planned once on the device (src/core/compiled), or 'tfjs', tfjs's
 * op-by-op path (with our kernels or its own: `kernels`). Other backends always train through tfjs.
 */
export const ENGINES = ['compiled', 'tfjs'] as const;
export type EngineChoice = (typeof ENGINES)[number];

/** The engine a model trains with, and why (a fallback says what the compiled step could not do here). */
export interface EngineInfo {
  engine: EngineChoice;
  reason: string;
}

export const SCHEDULES = ['step', 'cosine', 'constant'] as const;
export type Schedule = (typeof SCHEDULES)[number];

export const SUBSETS = ['first', 'balanced'] as const;
export type SubsetMode = (typeof SUBSETS)[number];

/**
 * Which CIFAR-10 a run trains on: 'auto' the full data set where the app's server (or the CLI's --data /
 * CIFAR10_DIR) has it, else the built-in sample; 'sample' the built-in sample (2,000 + 1,000 images, anywhere);
 * 'full' the full data set (the app's server downloads it if needed). A `data` URL overrides all three.
 */
export const SOURCES = ['auto', 'sample', 'full'] as const;
export type SourcePreference = (typeof SOURCES)[number];

/** How the nets of a compare share the device: one after another, or in turns of a few steps each. */
export const ORDERS = ['sequential', 'interleaved'] as const;
export type TrainOrder = (typeof ORDERS)[number];

/**
 * How long each net trains. 'epochs': `epochs` passes over the training subset (the default). 'time': until the
 * net's own active training seconds reach `seconds`. 'flops': until its cumulative training FLOPs reach `flops`.
 * With a time or FLOPs budget the schedule's milestones (30/60/80%) are fractions of the budget, not of epochs.
 */
export type Budget = { kind: 'epochs' } | { kind: 'time'; seconds: number } | { kind: 'flops'; flops: number };
export const BUDGET_KINDS = ['epochs', 'time', 'flops'] as const;

/** The architecture slice: what `buildWrn` needs and nothing else (nanoGPT's GPTConfig). */
export interface ModelConfig {
  /** total depth d = 6N + 4 (N residual blocks per group) */
  depth: number;
  /** widening factor k: groups have 16k, 32k, 64k channels */
  width: number;
  /** dropout probability between the two convolutions of each block; 0 disables it */
  dropout: number;
}

export interface Config extends ModelConfig {
  /** images per SGD step */
  batch: number;
  /** passes over the training subset */
  epochs: number;
  /** peak learning rate (paper: 0.1 at batch 128) */
  lr: number;
  /** 'step': x0.2 at 30%, 60%, 80% of the run (paper); 'cosine': half cosine to 0; 'constant' */
  schedule: Schedule;
  /** linear warm-up from 0 over this many epochs (may be fractional); 0 = none */
  warmup: number;
  /** SGD momentum (paper: 0.9) */
  momentum: number;
  /** Nesterov momentum (paper's Lua script: yes) */
  nesterov: boolean;
  /** weight decay in the paper's convention: the gradient gains wd * w (5e-4 in the paper) */
  wd: number;
  /** training images to use (capped by what the data source holds) */
  train: number;
  /** test images to evaluate on */
  test: number;
  /** how the subsets are drawn from the source: its first N records, or N balanced over the 10 classes */
  subset: SubsetMode;
  /** 4-px reflect-padded random crop + horizontal flip, per batch on the device */
  augment: boolean;
  /** seeds weights, data order, augmentation and dropout */
  seed: number;
  /** which tfjs backend to train on; 'auto' picks the fastest that works here */
  backend: BackendPreference;
  /** on WebGPU: our kernels or tfjs's own (a fallback, and for comparing); no effect on other backends */
  kernels: KernelChoice;
  /** on WebGPU: the compiled step or tfjs's path; a plan that cannot be made falls back to tfjs and says why */
  engine: EngineChoice;
  /** evaluate on the test subset every this many steps; 0 = once per epoch */
  evalEvery: number;
  /**
   * test images (the first of the test subset) on which each evaluation also measures every block's residual ratio
   * and the layers' norms (`blocks` points, insight/); 0 = none
   */
  probe: number;
  /** which data set: see SOURCES */
  source: SourcePreference;
  /** where CIFAR-10 comes from: '' = the app's own server (or the CLI's --data); else an http(s) URL */
  data: string;
  /** further models to train with the same recipe, seed and data, for side-by-side comparison */
  compare: ModelConfig[];
  /** repeats: every net trains this many times, with seeds seed, seed+1, ..., seed+seeds-1 */
  seeds: number;
  /** whether the nets train one after another or take turns of a few steps each */
  order: TrainOrder;
  /** the budget every net gets: equal epochs, equal active seconds or equal training FLOPs */
  budget: Budget;
}

export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  depth: 16,
  width: 4,
  dropout: 0,
  batch: 128,
  epochs: 5,
  lr: 0.1,
  schedule: 'step',
  warmup: 0,
  momentum: 0.9,
  nesterov: true,
  wd: 5e-4,
  // the built-in sample's sizes, so that a first visit (where the sample is often the data) needs no correction;
  // URL format version 1 had 10,000 and 2,000 (url.ts VERSION_DEFAULTS)
  train: 2000,
  test: 1000,
  subset: 'first',
  augment: true,
  seed: 0,
  backend: 'auto',
  kernels: 'ours',
  engine: 'compiled',
  evalEvery: 0,
  probe: 256,
  source: 'auto',
  data: '',
  compare: [],
  seeds: 1,
  order: 'sequential',
  budget: Object.freeze({ kind: 'epochs' }),
});

/**
 * Bounds that keep a browser tab alive. Depth 100 and width 16 are past every net in the paper's tables
 * (WRN-40-4, WRN-28-10, WRN-16-10...) yet still fit a GPU's memory at small batches.
 */
export const LIMITS = {
  depth: { min: 10, max: 100 },
  width: { min: 1, max: 16 },
  dropout: { min: 0, max: 0.9 },
  batch: { min: 1, max: 512 },
  epochs: { min: 1, max: 300 },
  lr: { min: 1e-6, max: 10 },
  warmup: { min: 0, max: 50 },
  momentum: { min: 0, max: 0.999 },
  wd: { min: 0, max: 0.1 },
  train: { min: 1, max: 50000 },
  test: { min: 1, max: 10000 },
  seed: { min: 0, max: 2 ** 31 - 1 },
  evalEvery: { min: 0, max: 1_000_000 },
  probe: { min: 0, max: 10000 },
  compare: { max: 6 },
  seeds: { min: 1, max: 5 },
  /** a time budget: a second to a day of active training per net */
  budgetSeconds: { min: 1, max: 86_400 },
  /** a FLOPs budget: from a few steps of WRN-10-1 to weeks of a big net on a real GPU */
  budgetFlops: { min: 1e9, max: 1e21 },
} as const;

/** The depth rule in words, for every message about it (the URL codec's correction, the builder's error). */
export const DEPTH_RULE = 'depth must be 6N+4 (10, 16, 22, 28, 34, 40, ...)';

/** Blocks per group for a valid depth, or null. d = 6N + 4 with N >= 1. */
export function blocksPerGroup(depth: number): number | null {
  if (!Number.isInteger(depth) || depth < 10) return null;
  return (depth - 4) % 6 === 0 ? (depth - 4) / 6 : null;
}

/** The nearest valid depth 6N+4 (ties go to the shallower net), inside LIMITS.depth. */
export function nearestValidDepth(depth: number): number {
  const n = Math.round((depth - 4) / 6 - 1e-9);
  const clamped = Math.min(Math.max(n, 1), (LIMITS.depth.max - 4) / 6);
  return 6 * clamped + 4;
}

/** The paper's name of a net, "WRN-28-10": the tfjs model's own name, the CLI's `info`, the bench's rows. */
export function netName(m: { depth: number; width: number }): string {
  return `WRN-${m.depth}-${m.width}`;
}

/** The name people see for a model: its netName, plus " (dropout 0.3)" when dropout is on. */
export function modelName(m: ModelConfig): string {
  return netName(m) + (m.dropout > 0 ? ` (dropout ${m.dropout})` : '');
}

/** The model slice of a config. */
export function modelOf(c: ModelConfig): ModelConfig {
  return { depth: c.depth, width: c.width, dropout: c.dropout };
}

/** Every model a config asks to train: the main one first, then the comparison list. */
export function modelsOf(c: Config): ModelConfig[] {
  return [modelOf(c), ...c.compare.map(modelOf)];
}

/** One model a run trains: a net of the config with one of its seeds. */
export interface RunJob {
  /** position in the run (the `model` of its events and messages) */
  index: number;
  /** which of `modelsOf(config)` (0 = the main net) */
  net: number;
  seed: number;
  model: ModelConfig;
}

/**
 * Every model a run trains, in order: round by round (seed, seed+1, ...), each round the main net and then the
 * compared ones. With one seed this is `modelsOf(config)`. Interleaved order races the nets of one round together.
 */
export function runJobs(c: Config): RunJob[] {
  const nets = modelsOf(c);
  return seedsOf(c).flatMap((seed, round) => nets.map((model, net) => ({ index: round * nets.length + net, net, seed, model })));
}

/** The seeds a config trains each net with: seed, seed+1, ..., seed+seeds-1 (kept inside LIMITS.seed). */
export function seedsOf(c: Pick<Config, 'seed' | 'seeds'>): number[] {
  return Array.from({ length: c.seeds }, (_, i) => (c.seed + i) % (LIMITS.seed.max + 1));
}

/** The budget in words, for the table, the picture and the CLI: "equal epochs (5)", "equal time (600 s per net)". */
export function describeBudget(c: Pick<Config, 'budget' | 'epochs'>): string {
  switch (c.budget.kind) {
    case 'epochs':
      return `equal epochs (${c.epochs} per net)`;
    case 'time':
      return `equal time (${c.budget.seconds} s of active training per net)`;
    case 'flops':
      return `equal compute (${c.budget.flops.toExponential(2).replace(/\.?0+e/, 'e')} training FLOPs per net)`;
  }
}
