/**
 * The compiled step's counterpart of metricsWindow.ts: the steps taken and not yet reported. A window's losses and
 * accuracies stay in the engine's metrics ring on the device; `close()` starts reading them back (a copy and an
 * asynchronous map) and returns at once, so the next steps are encoded while the read is in flight. `settled()`
 * hands over the windows whose reads have finished, in order; `drain()` waits for all of them.
 *
 * Timing: a window's time runs from its start (or the end of the previous window's read, whichever is later) to
 * the end of its own read: the device runs windows one after another, so consecutive windows do not overlap.
 */
import type { WindowReading } from '../metricsWindow';
import type { CompiledEngine, MetricsReading } from './engine';

interface InFlight {
  read: Promise<MetricsReading>;
  value: MetricsReading | null;
  error: unknown;
  lrs: number[];
  startedAt: number;
  endedAt: number;
}

/** A window's reading and the step it ends at. */
export interface ClosedWindow extends WindowReading {
  lastStep: number;
}

/** Windows in flight at most before `close()` waits for the oldest (the device is that far behind the host). */
const MAX_IN_FLIGHT = 2;

export class DeferredWindow {
  private lrs: number[] = [];
  private startedAt = 0;
  private lastEnd = -Infinity;
  private readonly inFlight: (InFlight & { lastStep: number })[] = [];

  constructor(
    private readonly engine: CompiledEngine,
    private readonly now: () => number,
  ) {}

  /** Steps taken since the last close. */
  get length(): number {
    return this.lrs.length;
  }

  /** Starts timing the open window from now (after a pause, an evaluation: time no step spent). */
  restart(): void {
    this.startedAt = this.now();
    this.lastEnd = -Infinity;
  }

  /** Notes a step taken (its metrics are in the engine's ring). */
  push(lr: number): void {
    this.lrs.push(lr);
  }

  /**
   * Starts reading the open window back and opens the next; waits only when MAX_IN_FLIGHT reads are already
   * pending (for the oldest of them). `lastStep`: the step the window ends at.
   */
  async close(lastStep: number): Promise<void> {
    const read = this.engine.readMetrics();
    if (!read) return;
    const entry = { read, value: null, error: null, lrs: this.lrs, startedAt: this.startedAt, endedAt: 0, lastStep } as InFlight & { lastStep: number };
    read.then(
      (v) => {
        entry.value = v;
        entry.endedAt = this.now();
      },
      (e: unknown) => {
        entry.error = e ?? new Error('the metrics read failed');
        entry.endedAt = this.now();
      },
    );
    this.inFlight.push(entry);
    this.lrs = [];
    this.startedAt = this.now();
    if (this.inFlight.length > MAX_IN_FLIGHT) await this.inFlight[0]!.read.catch(() => undefined);
  }

  /** The windows whose reads have finished, oldest first (stops at the first still in flight); rethrows a failed read. */
  settled(): ClosedWindow[] {
    const out: ClosedWindow[] = [];
    while (this.inFlight.length && (this.inFlight[0]!.value || this.inFlight[0]!.error)) out.push(this.take());
    return out;
  }

  /** Closes the open window and waits for every read. */
  async drain(lastStep: number): Promise<ClosedWindow[]> {
    await this.close(lastStep);
    await Promise.all(this.inFlight.map((e) => e.read.catch(() => undefined)));
    // the `then` callbacks above ran before these awaits resolved (they were attached first)
    const out: ClosedWindow[] = [];
    while (this.inFlight.length) out.push(this.take());
    this.startedAt = this.now();
    return out;
  }

  private take(): ClosedWindow {
    const e = this.inFlight.shift()!;
    if (e.error) throw e.error;
    const from = Math.max(e.startedAt, this.lastEnd);
    this.lastEnd = e.endedAt;
    const v = e.value!;
    return { losses: v.losses, correct: v.correct, lrs: e.lrs, elapsedMs: Math.max(0, e.endedAt - from), lastStep: e.lastStep };
  }

  /** Forgets what is open or in flight (a run abandoned). */
  dispose(): void {
    this.lrs = [];
    this.inFlight.length = 0;
  }
}
