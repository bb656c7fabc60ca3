/**
 * The server's download progress on the terminal: a bar redrawn in place on a TTY, a line per 10% otherwise (so CI
 * logs stay readable).
 */

/** Where the bar goes: process.stderr, or a capture in tests. */
export interface LogSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

const WIDTH = 30;
const REDRAW_MS = 200;

export class DownloadBar {
  private readonly started = Date.now();
  private lastDraw = 0;
  private lastDecile = -1;
  private drawn = false;

  constructor(
    private readonly sink: LogSink,
    private readonly label: string,
  ) {}

  /** Reports `loaded` of `total` bytes (total null when the server did not say). */
  update(loaded: number, total: number | null): void {
    const now = Date.now();
    if (this.sink.isTTY) {
      if (now - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = now;
      this.drawn = true;
      this.sink.write(`\r${this.line(loaded, total, now)}`);
    } else if (total) {
      const decile = Math.floor((10 * loaded) / total);
      if (decile === this.lastDecile) return;
      this.lastDecile = decile;
      this.sink.write(`${this.line(loaded, total, now)}\n`);
    }
  }

  /** Ends the bar's line (on a TTY) so the next message starts clean. */
  finish(loaded: number, total: number | null): void {
    if (this.sink.isTTY) this.sink.write(`\r${this.line(loaded, total, Date.now())}\n`);
    else if (this.drawn) this.sink.write('\n');
  }

  private line(loaded: number, total: number | null, now: number): string {
    const mb = (b: number) => (b / 1e6).toFixed(1);
    const rate = loaded / 1e6 / Math.max((now - this.started) / 1000, 1e-3);
    if (!total) return `${this.label} ${mb(loaded)} MB ${rate.toFixed(1)} MB/s`;
    const frac = Math.min(1, loaded / total);
    const filled = Math.round(frac * WIDTH);
    const pct = `${Math.floor(100 * frac)}%`.padStart(4);
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${pct} ${mb(loaded)}/${mb(total)} MB ${rate.toFixed(1)} MB/s`;
  }
}
