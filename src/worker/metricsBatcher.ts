/**
 * Coalesces metric points into at most one message per `intervalMs`: on a fast GPU the trainer reports dozens of
 * steps a second, and one postMessage (plus one React render on the page) per point would cost more than the step.
 */
import type { MetricPoint } from '../core/metrics';

export class MetricsBatcher {
  private pending: MetricPoint[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastSent = -Infinity;

  /**
   * @param send receives each batch, in order, never empty
   * @param intervalMs the least time between two sends (the first points go out at once)
   */
  constructor(
    private readonly send: (points: MetricPoint[]) => void,
    private readonly intervalMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  push(points: readonly MetricPoint[]): void {
    if (!points.length) return;
    this.pending.push(...points);
    if (this.timer !== null) return;
    const wait = this.lastSent + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Sends what is pending now (before a model ends, on pause, on stop). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending.length) return;
    const points = this.pending;
    this.pending = [];
    this.lastSent = this.now();
    this.send(points);
  }

  /** Drops what is pending without sending (the run is no longer current). */
  discard(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
  }
}
