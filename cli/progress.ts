/** A one-line progress bar on stderr for terminals: step, loss, accuracy, throughput and time left. */
import type { MetricPoint } from '../src/core/metrics';

const WIDTH = 24;

export class ProgressBar {
  private readonly started = Date.now();
  private last = '';
  private testAccuracy: number | null = null;

  /** `from`: the step training starts after (a resumed run's checkpoint step), so the ETA counts this process's steps only. */
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly from = 0,
  ) {}

  update(p: MetricPoint, lr: number): void {
    if (p.kind === 'eval') {
      this.testAccuracy = p.testAccuracy;
      return;
    }
    if (p.kind !== 'step') return;
    const frac = Math.min(1, p.step / this.total);
    const filled = Math.round(frac * WIDTH);
    const elapsed = (Date.now() - this.started) / 1000;
    // The pace is this process's: steps before `from` were trained by an earlier one.
    const done = (p.step - this.from) / (this.total - this.from);
    const eta = done > 0 ? elapsed / Math.min(1, done) - elapsed : NaN;
    const test = this.testAccuracy === null ? '' : ` test ${(100 * this.testAccuracy).toFixed(1)}%`;
    this.last =
      `\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${p.step}/${this.total}` +
      ` loss ${p.loss.toFixed(3)} acc ${(100 * p.trainAccuracy).toFixed(0)}%${test} lr ${lr.toPrecision(2)}` +
      ` ${p.imagesPerSec.toFixed(1)} img/s ETA ${formatSeconds(eta)} `;
    process.stderr.write(this.last);
  }

  finish(): void {
    if (this.last) process.stderr.write('\n');
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
