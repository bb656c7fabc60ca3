/**
 * The lesion study of Veit, Wilber & Belongie (NeurIPS 2016, "Residual networks behave like ensembles of relatively
 * shallow networks"): the test accuracy of a trained net with residual branches removed at test time, so that a
 * block passes only its shortcut. One block at a time (which blocks matter), then k random blocks together for
 * k = 1..5 (how gracefully the net degrades). One evaluation pass over the test images per lesion.
 */
import * as tf from '@tensorflow/tfjs';
import { toNormalisedImages } from '../augment';
import { RECORD_PIXELS, type ImageSource } from '../data/dataset';
import { toError } from '../errors';
import { mixSeed, mulberry32 } from '../rng';
import type { WrnArchitecture } from '../shape';
import { architectureOf, wrnForward } from './forward';

/** What `wrn lesion` prints per model, and the page draws. */
export interface LesionResult {
  model: string;
  testImages: number;
  intact: { testAccuracy: number };
  /** each block's residual branch removed alone, in block order */
  blocks: { block: string; testAccuracy: number }[];
  /** k blocks removed together: the mean accuracy over `draws` sets of k blocks (all of them when fewer exist) */
  random: { k: number; testAccuracy: number; draws: number }[];
}

export interface LesionOptions {
  /** test images to evaluate on (the first ones of `test`) */
  images: number;
  /** test images per forward pass (default 100) */
  chunk?: number;
  /** random sets of k blocks per k (default 3) */
  draws?: number;
  /** the largest k (default 5; at most the number of blocks) */
  maxRemoved?: number;
  /** seeds the random sets (default 0) */
  seed?: number;
  /** the model's name in the result (default: the tfjs model's name) */
  name?: string;
  /** called after each evaluation pass: passes done, passes in all */
  onProgress?: (done: number, total: number) => void;
  /** aborts between chunks (the promise then rejects with the signal's reason) */
  signal?: AbortSignal;
  /** awaited after each chunk (lets messages in) */
  between?: () => Promise<void>;
}

export const DEFAULT_LESION_DRAWS = 3;
export const DEFAULT_MAX_REMOVED = 5;

/**
 * The sets of k blocks (indices, ascending) to remove for each k: every set when there are at most `draws` of them,
 * else `draws` distinct sets drawn with a seeded generator. Deterministic for (blocks, seed).
 */
export function lesionSets(blocks: number, maxRemoved: number, draws: number, seed: number): { k: number; sets: number[][] }[] {
  const out: { k: number; sets: number[][] }[] = [];
  for (let k = 1; k <= Math.min(maxRemoved, blocks); k++) {
    const all = binomial(blocks, k);
    if (all <= draws) {
      out.push({ k, sets: combinations(blocks, k) });
      continue;
    }
    const rand = mulberry32(mixSeed(seed, 0x1e51, k));
    const seen = new Set<string>();
    const sets: number[][] = [];
    while (sets.length < draws) {
      // a partial Fisher-Yates shuffle: the first k of a random permutation
      const idx = Array.from({ length: blocks }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(rand() * (blocks - i));
        [idx[i], idx[j]] = [idx[j]!, idx[i]!];
      }
      const set = idx.slice(0, k).sort((a, b) => a - b);
      const key = set.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      sets.push(set);
    }
    out.push({ k, sets });
  }
  return out;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  const walk = (start: number, set: number[]) => {
    if (set.length === k) {
      out.push(set.slice());
      return;
    }
    for (let i = start; i < n; i++) walk(i + 1, [...set, i]);
  };
  walk(0, []);
  return out;
}

/**
 * Test accuracy of the model with the residual branches of `lesion` removed, over the first `images` records of
 * `test` (BN's running statistics, dropout off).
 */
export async function lesionedAccuracy(
  model: tf.LayersModel,
  arch: WrnArchitecture,
  test: ImageSource,
  lesion: ReadonlySet<string>,
  opts: Pick<LesionOptions, 'images' | 'chunk' | 'signal' | 'between'>,
): Promise<number> {
  const total = Math.min(opts.images, test.available());
  if (total === 0) throw new RangeError('no test images to evaluate on');
  const chunk = Math.max(1, opts.chunk ?? 100);
  const parts: tf.Tensor[] = [];
  try {
    for (let start = 0; start < total; start += chunk) {
      if (opts.signal?.aborted) throw toError(opts.signal.reason);
      const n = Math.min(chunk, total - start);
      const pixels = new Uint8Array(n * RECORD_PIXELS);
      const labels = new Int32Array(n);
      test.gather(
        Int32Array.from({ length: n }, (_, i) => start + i),
        pixels,
        labels,
      );
      parts.push(
        tf.tidy(() => {
          const logits = wrnForward(model, arch, toNormalisedImages(pixels, n), { lesion });
          return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(labels, 'int32')), 'int32'));
        }),
      );
      await opts.between?.();
    }
    // One read-back per pass; a sum of int32 scalars, added on the host.
    const counts = await Promise.all(parts.map((p) => p.data()));
    return counts.reduce((a, c) => a + c[0]!, 0) / total;
  } finally {
    tf.dispose(parts);
  }
}

/** The whole study: intact, each block removed, then k random blocks removed for k = 1..maxRemoved. */
export async function lesionStudy(model: tf.LayersModel, test: ImageSource, opts: LesionOptions): Promise<LesionResult> {
  const arch = architectureOf(model);
  const ids = arch.blocks.map((b) => b.id);
  const plan = lesionSets(ids.length, opts.maxRemoved ?? DEFAULT_MAX_REMOVED, opts.draws ?? DEFAULT_LESION_DRAWS, opts.seed ?? 0);
  // A set already evaluated (a single block, or a set drawn for two k) is not evaluated again.
  const keys = new Set<string>(['', ...ids.map((_, i) => String(i))]);
  for (const { sets } of plan) for (const s of sets) keys.add(s.join(','));
  const total = keys.size;
  const cache = new Map<string, number>();
  const accuracy = async (set: readonly number[]): Promise<number> => {
    const key = set.join(',');
    const known = cache.get(key);
    if (known !== undefined) return known;
    const acc = await lesionedAccuracy(model, arch, test, new Set(set.map((i) => ids[i]!)), opts);
    cache.set(key, acc);
    opts.onProgress?.(cache.size, total);
    return acc;
  };
  opts.onProgress?.(0, total);
  const intact = await accuracy([]);
  const blocks: LesionResult['blocks'] = [];
  for (let i = 0; i < ids.length; i++) blocks.push({ block: ids[i]!, testAccuracy: await accuracy([i]) });
  const random: LesionResult['random'] = [];
  for (const { k, sets } of plan) {
    let sum = 0;
    for (const s of sets) sum += await accuracy(s);
    random.push({ k, testAccuracy: sum / sets.length, draws: sets.length });
  }
  return {
    model: opts.name ?? model.name,
    testImages: Math.min(opts.images, test.available()),
    intact: { testAccuracy: intact },
    blocks,
    random,
  };
}
