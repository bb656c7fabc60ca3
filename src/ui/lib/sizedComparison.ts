/**
 * The thin-deep vs wide-shallow comparison sized for this device: which pair, how many training images and
 * epochs fit a target duration by the page's own estimate (estimate.ts, from the speed the page measured). The
 * first Train of a plain visit runs the one sized for FIRST_RUN_SECONDS; longer ones are offered beside it.
 *
 * The rule: the largest pair that trains at least MIN_EPOCHS epochs over at least 2,000 images (or all the source
 * holds, when fewer) within the target; on it, the most training images that keep MIN_EPOCHS, then the most epochs
 * (up to MAX_EPOCHS). When not even the smallest pair can, the smallest pair with the fewer epochs and images
 * (down to 1 and MIN_TRAIN) that come closest to the target. Test images: half the training images, 200 to 5,000
 * (1,000 for 2,000).
 */
import type { Config, ModelConfig } from '../../core/config';
import { modelName } from '../../core/config';
import type { BackendInfo } from '../../worker/protocol';

/** The first run of a plain visit: about three minutes by the page's estimate. */
export const FIRST_RUN_SECONDS = 180;
/** The longer comparisons offered next to it. */
export const LONGER_RUN_SECONDS = [600, 1800] as const;

const net = (depth: number, width: number): ModelConfig => ({ depth, width, dropout: 0 });

/** Pairs of about the same size, thin and deep first, from the smallest (the paper's Table 4 pair last). */
export const THIN_WIDE_PAIRS: readonly (readonly [ModelConfig, ModelConfig])[] = [
  [net(22, 1), net(10, 2)], // 0.27M vs 0.30M parameters
  [net(40, 1), net(16, 2)], // 0.56M vs 0.69M
  [net(40, 2), net(16, 4)], // 2.2M vs 2.7M
  [net(40, 4), net(16, 8)], // 8.9M vs 11.0M
];

const MIN_EPOCHS = 3;
const MAX_EPOCHS = 20;
const MIN_TRAIN = 256;
/** Training subset sizes tried for the larger plans, beyond 2,000. */
const TRAIN_SIZES = [2000, 5000, 10000, 20000, 50000] as const;

/** A comparison sized for a target, with what the page estimates it takes. */
export interface SizedComparison {
  config: Config;
  seconds: number;
  /** the target it was sized for (s) */
  target: number;
}

/**
 * The recipe the comparison trains with on this backend: the README's small-batch recipe (batch 32, lr 0.05) on a
 * CPU or an emulated GPU, where small batches cost nothing; the paper's batch 128 and lr 0.1 on a real GPU.
 */
export function comparisonRecipe(backend: BackendInfo): Pick<Config, 'batch' | 'lr'> {
  const realGpu = (backend.backend === 'webgpu' && backend.softwareAdapter === false) || (backend.backend === 'webgl' && backend.softwareWebgl === false);
  return realGpu ? { batch: 128, lr: 0.1 } : { batch: 32, lr: 0.05 };
}

/** The config whose nets the speed probe times: the smallest pair, at the comparison's batch. */
export function probeConfig(base: Config, backend: BackendInfo): Config {
  const [thin, wide] = THIN_WIDE_PAIRS[0]!;
  return { ...base, ...comparisonRecipe(backend), ...thin, compare: [wide], seeds: 1 };
}

/** Test images for a training subset: half as many, 200 to 5,000, and no more than the source holds. */
export function testImagesFor(train: number, limitTest: number): number {
  return Math.min(limitTest, Math.max(200, Math.min(5000, Math.round(train / 200) * 100)));
}

/**
 * The comparison for `targetSeconds`. `estimate` gives a config's seconds (estimateSeconds with the device's
 * speed and the source's sizes); `limit` is what the source holds. Everything else comes from `base`.
 */
export function sizeComparison(
  base: Config,
  backend: BackendInfo,
  targetSeconds: number,
  estimate: (c: Config) => number,
  limit: { train: number; test: number },
): SizedComparison {
  const recipe = comparisonRecipe(backend);
  const make = (pair: readonly [ModelConfig, ModelConfig], train: number, epochs: number): Config => ({
    ...base,
    ...recipe,
    ...pair[0],
    compare: [{ ...pair[1] }],
    train,
    test: testImagesFor(train, limit.test),
    epochs,
    schedule: 'step',
    warmup: 0,
    evalEvery: 0,
    seeds: 1,
    order: 'sequential',
    budget: { kind: 'epochs' },
  });
  const fits = (c: Config) => estimate(c) <= targetSeconds;
  const done = (config: Config): SizedComparison => ({ config, seconds: estimate(config), target: targetSeconds });

  const least = Math.min(2000, limit.train);
  const sizes = [...new Set([least, ...TRAIN_SIZES.filter((n) => n > least && n <= limit.train)])].sort((a, b) => b - a);
  for (let p = THIN_WIDE_PAIRS.length - 1; p >= 0; p--) {
    const pair = THIN_WIDE_PAIRS[p]!;
    const train = sizes.find((n) => fits(make(pair, n, MIN_EPOCHS)));
    if (train === undefined) continue;
    let epochs = MIN_EPOCHS;
    while (epochs < MAX_EPOCHS && fits(make(pair, train, epochs + 1))) epochs++;
    return done(make(pair, train, epochs));
  }
  // Not even the smallest pair does MIN_EPOCHS over `least` images: the fewer epochs and images that fill the
  // target best (2 epochs over 1,400 images rather than 1 over 2,000 that would leave a third of it unused).
  const smallest = THIN_WIDE_PAIRS[0]!;
  let best: SizedComparison | null = null;
  for (let epochs = 1; epochs < MIN_EPOCHS; epochs++) {
    for (let train = least; train >= MIN_TRAIN; train = train === least ? Math.floor((least - 1) / 100) * 100 : train - 100) {
      const plan = done(make(smallest, train, epochs));
      if (plan.seconds > targetSeconds) continue;
      if (!best || plan.seconds > best.seconds) best = plan;
      break;
    }
  }
  if (best) return best;
  return done(make(smallest, Math.min(MIN_TRAIN, limit.train), 1)); // longer than the target: the estimate says so
}

/** The first run and the longer ones, each sized for its target; the same plan twice is offered once. */
export function sizedComparisons(
  base: Config,
  backend: BackendInfo,
  estimate: (c: Config) => number,
  limit: { train: number; test: number },
  firstTarget = FIRST_RUN_SECONDS,
): SizedComparison[] {
  const out: SizedComparison[] = [];
  for (const target of [firstTarget, ...LONGER_RUN_SECONDS]) {
    const plan = sizeComparison(base, backend, target, estimate, limit);
    if (!out.some((o) => sameRun(o.config, plan.config))) out.push(plan);
  }
  return out;
}

/** "WRN-22-1 vs WRN-10-2, 1 epoch over 2,000 images" */
export function describeComparison(c: Config): string {
  const nets = [c, ...c.compare].map(modelName).join(' vs ');
  return `${nets}, ${c.epochs} ${c.epochs === 1 ? 'epoch' : 'epochs'} over ${c.train.toLocaleString('en-US')} images`;
}

/** Whether two configs train the same nets on the same sizes (what the comparison buttons set). */
export function sameRun(a: Config, b: Config): boolean {
  const models = (c: Config) => [c, ...c.compare].map((m) => `${m.depth}-${m.width}-${m.dropout}`).join(',');
  return models(a) === models(b) && a.epochs === b.epochs && a.train === b.train && a.test === b.test && a.batch === b.batch && a.lr === b.lr;
}
