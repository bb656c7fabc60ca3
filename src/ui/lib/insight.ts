/**
 * The views of "Inside the nets" as plain data: each net's residual-ratio matrix (blocks by evaluation points), one
 * colour scale for all nets of a comparison, the layers' norms over training, and the lesion study's bars. Pure
 * functions over metric points; the components draw them.
 */
import type { BlockPoint } from '../../core/metrics';
import type { LesionResult } from '../../core/insight/lesion';

/** Columns a heatmap draws at most; a longer run shows evenly spaced evaluations, always its first and last. */
export const MAX_HEATMAP_COLUMNS = 60;

export interface Heatmap {
  /** block ids, in the net's order (rows) */
  blocks: string[];
  /** the group of each row: 1, 2 or 3 */
  groups: number[];
  /** the evaluation steps shown (columns) */
  steps: number[];
  /** values[row][column]: the residual ratio of that block at that evaluation */
  values: number[][];
  /** evaluations in all (more than `steps.length` when thinned) */
  points: number;
}

/** The group of a block id: g2b3 -> 2. */
export function groupOf(block: string): number {
  const m = /^g(\d+)b\d+$/.exec(block);
  return m ? Number(m[1]) : 0;
}

/** The indices of `n` items to show at most `max` of: evenly spaced, first and last included. */
export function thinned(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 0; i < max; i++) out.add(Math.round((i * (n - 1)) / (max - 1)));
  return [...out].sort((a, b) => a - b);
}

/** A net's residual ratios as a matrix; points that name other blocks (another net) are left out. */
export function heatmapOf(points: readonly BlockPoint[], maxColumns = MAX_HEATMAP_COLUMNS): Heatmap | null {
  const last = points.at(-1);
  if (!last) return null;
  const blocks = last.blocks;
  const same = points.filter((p) => p.blocks.length === blocks.length && p.blocks.every((b, i) => b === blocks[i]));
  const shown = thinned(same.length, maxColumns).map((i) => same[i]!);
  return {
    blocks,
    groups: blocks.map(groupOf),
    steps: shown.map((p) => p.step),
    values: blocks.map((_, row) => shown.map((p) => p.residualRatio[row]!)),
    points: same.length,
  };
}

/** The top of the shared colour scale: the largest ratio of any net shown (at least a small positive number). */
export function sharedMax(maps: readonly (Heatmap | null)[]): number {
  let max = 0;
  for (const m of maps) for (const row of m?.values ?? []) for (const v of row) if (v > max) max = v;
  return max > 0 ? max : 1;
}

/** Sequential blues, pale for 0 (a block that adds nothing) to dark (a block that adds as much as its input). */
const STOPS: [number, number, number][] = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];

/** The colour of a value on the scale 0..max. */
export function scaleColor(value: number, max: number): string {
  const t = Math.min(1, Math.max(0, max > 0 ? value / max : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(t));
  const f = t - i;
  const [a, b] = [STOPS[i]!, STOPS[i + 1]!];
  const mix = (k: number) => Math.round(a[k]! + (b[k]! - a[k]!) * f);
  return `rgb(${mix(0)}, ${mix(1)}, ${mix(2)})`;
}

/** The CSS gradient of the scale, for its legend. */
export function scaleGradient(): string {
  return `linear-gradient(to right, ${STOPS.map(([r, g, b], i) => `rgb(${r}, ${g}, ${b}) ${(100 * i) / (STOPS.length - 1)}%`).join(', ')})`;
}

/** One convolution's norms over training. */
export interface LayerSeries {
  layer: string;
  steps: number[];
  weightNorm: number[];
  /** null where the gradient was not measured */
  gradNorm: (number | null)[];
}

/** Each convolution's weight and gradient norms at the net's evaluation points (the last point's layers). */
export function layerSeries(points: readonly BlockPoint[]): LayerSeries[] {
  const last = points.at(-1);
  if (!last) return [];
  const same = points.filter((p) => p.layers.length === last.layers.length && p.layers.every((l, i) => l === last.layers[i]));
  return last.layers.map((layer, i) => ({
    layer,
    steps: same.map((p) => p.step),
    weightNorm: same.map((p) => p.weightNorm[i]!),
    gradNorm: same.map((p) => p.gradNorm?.[i] ?? null),
  }));
}

/** The ranges the small multiples share: weight norms from 0, gradient norms on a log scale. */
export function layerRanges(all: readonly LayerSeries[]): { weightMax: number; gradMin: number; gradMax: number } | null {
  let weightMax = 0;
  let gradMin = Infinity;
  let gradMax = 0;
  for (const s of all) {
    for (const w of s.weightNorm) weightMax = Math.max(weightMax, w);
    for (const g of s.gradNorm) {
      if (g === null || !(g > 0)) continue;
      gradMin = Math.min(gradMin, g);
      gradMax = Math.max(gradMax, g);
    }
  }
  if (weightMax === 0) return null;
  if (gradMax === 0) return { weightMax, gradMin: 1e-3, gradMax: 1 };
  // at least one decade, so a flat gradient is not blown up to fill the box
  if (gradMax / gradMin < 10) gradMin = gradMax / 10;
  return { weightMax, gradMin, gradMax };
}

/** One bar of the lesion view: a block removed alone. */
export interface LesionBar {
  block: string;
  group: number;
  accuracy: number;
  /** intact minus this, in accuracy (0..1); negative when removing the block helped */
  drop: number;
}

export function lesionBars(r: LesionResult): LesionBar[] {
  return r.blocks.map((b) => ({ block: b.block, group: groupOf(b.block), accuracy: b.testAccuracy, drop: r.intact.testAccuracy - b.testAccuracy }));
}

/** Accuracy against the number of blocks removed, starting from the intact net (k = 0). */
export function lesionCurve(r: LesionResult): { k: number; accuracy: number }[] {
  return [{ k: 0, accuracy: r.intact.testAccuracy }, ...r.random.map((x) => ({ k: x.k, accuracy: x.testAccuracy }))];
}
