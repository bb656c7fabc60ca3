/**
 * Turn-taking between the loops a benchmark compares. Only the holder runs; `release` hands the turn to the
 * longest waiter. Interleaving the compared loops window by window means a burst of load from other processes on a
 * shared machine hits all of them alike, so their ratios hold where back-to-back runs would not.
 */
export class Baton {
  private held = false;
  private readonly waiting: (() => void)[] = [];

  /** @param between runs at each hand-over, outside every loop's timed window (the benchmark collects garbage) */
  constructor(private readonly between: () => void = () => {}) {}

  /** Resolves when the caller holds the turn. */
  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Gives the turn to the next waiter, or frees it. */
  release(): void {
    this.between();
    const next = this.waiting.shift();
    if (next) next();
    else this.held = false;
  }
}
