/**
 * Chart series from metric points: pick the x quantity, smooth the noisy per-batch values, thin long series to
 * what a chart can draw, and merge all lines into recharts rows keyed by x.
 */
import type { EvalPoint, StepPoint } from '../../core/metrics';
import { emaSmooth } from './ema';

export const X_AXES = ['step', 'epoch', 'seconds', 'flops'] as const;
export type XAxisKey = (typeof X_AXES)[number];
export type MetricKey = 'loss' | 'accuracy';

export interface XY {
  x: number;
  y: number;
}

/** How an x quantity is shown: its axis label (with unit) and the factor that brings raw values to that unit. */
export interface XAxisSpec {
  key: XAxisKey;
  label: string;
  /** raw value / divisor = plotted value */
  divisor: number;
}

/** FLOPs are plotted in the largest SI unit that keeps the run's total above 1, so ticks stay short. */
export function xAxisSpec(key: XAxisKey, maxFlops: number): XAxisSpec {
  switch (key) {
    case 'step':
      return { key, label: 'SGD step', divisor: 1 };
    case 'epoch':
      return { key, label: 'epoch', divisor: 1 };
    case 'seconds':
      return { key, label: 'training time (s)', divisor: 1 };
    case 'flops': {
      const units: [number, string][] = [
        [1e15, 'PFLOP'],
        [1e12, 'TFLOP'],
        [1e9, 'GFLOP'],
      ];
      const [divisor, unit] = units.find(([d]) => maxFlops >= d) ?? [1e9, 'GFLOP'];
      return { key, label: `training compute (${unit})`, divisor };
    }
  }
}

/** Train points (per batch, smoothed) for one metric. Accuracy is in percent. */
export function trainLine(steps: readonly StepPoint[], metric: MetricKey, x: XAxisSpec, smoothing: number): XY[] {
  const raw = steps.map((p) => (metric === 'loss' ? p.loss : 100 * p.trainAccuracy));
  const ys = emaSmooth(raw, smoothing);
  return steps.map((p, i) => ({ x: p[x.key] / x.divisor, y: ys[i]! })).filter(finite);
}

/** Test points (per evaluation, not smoothed: there are few and each is already an average). */
export function testLine(evals: readonly EvalPoint[], metric: MetricKey, x: XAxisSpec): XY[] {
  return evals.map((p) => ({ x: p[x.key] / x.divisor, y: metric === 'loss' ? p.testLoss : 100 * p.testAccuracy })).filter(finite);
}

function finite(p: XY): boolean {
  return Number.isFinite(p.x) && Number.isFinite(p.y);
}

/**
 * At most `max` points, evenly spaced by index, always keeping the first and the last: an SVG line of 100k
 * points makes a tab crawl, and a chart a few hundred pixels wide cannot show more than ~1 point per pixel.
 */
export function downsample<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max || max < 2) return points.slice();
  const out: T[] = [];
  const stride = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * stride)]!);
  return out;
}

/** A row of the merged chart data: x plus one value per line key present at that x. */
export type ChartRow = { x: number } & Record<string, number>;

/**
 * Merges lines into rows sorted by x, one row per distinct x. Recharts draws a Line from the rows that have its
 * key (with connectNulls), and the tooltip at an x lists every line that has a value there.
 */
export function mergeLines(lines: readonly { key: string; points: readonly XY[] }[]): ChartRow[] {
  const byX = new Map<number, ChartRow>();
  for (const { key, points } of lines) {
    for (const p of points) {
      let row = byX.get(p.x);
      if (!row) {
        row = { x: p.x } as ChartRow;
        byX.set(p.x, row);
      }
      row[key] = p.y;
    }
  }
  return [...byX.values()].sort((a, b) => a.x - b.x);
}
