/**
 * Ctrl-C for a long command: the first stops it gracefully, a second one quits at once.
 *
 * One keypress can arrive as several SIGINTs: a terminal signals its whole foreground process group, and a runner
 * in that group (`npm run`, which forwards the signals it gets to its child) sends the same SIGINT again a few
 * milliseconds later. Taken literally, that second copy is "Ctrl-C again" and the run quits without its weights.
 * So signals that come within `windowMs` of the first count as that one; a person pressing Ctrl-C again, after
 * reading "stopping after the current step", is slower than that.
 */

/** Copies of one Ctrl-C arrive within a few milliseconds; a person's second press takes far longer than this. */
export const SAME_PRESS_MS = 1000;

/**
 * Calls `first` on the first SIGINT and `again` on a later, distinct one. Returns a function that removes the
 * handler (the default, "quit", applies again).
 */
export function onInterrupt(first: () => void, again: () => void, windowMs = SAME_PRESS_MS): () => void {
  let firstAt: number | null = null;
  const handler = () => {
    const now = performance.now();
    if (firstAt === null) {
      firstAt = now;
      first();
    } else if (now - firstAt > windowMs) {
      again();
    }
  };
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
}
