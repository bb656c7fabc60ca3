/**
 * Stopping a long command: Ctrl-C (SIGINT), SIGTERM (what `timeout`, `kill`, job schedulers and container stops
 * send) and SIGHUP (the terminal went away) all ask for the same graceful stop; a second one quits at once.
 *
 * One keypress can arrive as several SIGINTs: a terminal signals its whole foreground process group, and a runner
 * in that group (`npm run`, which forwards the signals it gets to its child) sends the same SIGINT again a few
 * milliseconds later; `kill` to a process group does the same with SIGTERM. Taken literally, that second copy is
 * "again" and the run quits without its weights. So signals that come within `windowMs` of the first count as that
 * one; a person pressing Ctrl-C again, after reading "stopping after the current step", is slower than that.
 */

/** Copies of one Ctrl-C arrive within a few milliseconds; a person's second press takes far longer than this. */
export const SAME_PRESS_MS = 1000;

/** The signals that ask a command to stop. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The exit status of a process ended by `signal`, as shells report it: 128 + the signal's number. */
export function signalExitCode(signal: StopSignal): number {
  return 128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal];
}

/**
 * Calls `first(signal)` on the first stop signal and `again(signal)` on a later, distinct one. Returns a function
 * that removes the handlers (the defaults, "quit", apply again).
 */
export function onStopSignals(first: (signal: StopSignal) => void, again: (signal: StopSignal) => void, windowMs = SAME_PRESS_MS): () => void {
  let firstAt: number | null = null;
  const handler = (signal: NodeJS.Signals) => {
    const s = signal as StopSignal;
    const now = performance.now();
    if (firstAt === null) {
      firstAt = now;
      first(s);
    } else if (now - firstAt > windowMs) {
      again(s);
    }
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return () => {
    for (const s of STOP_SIGNALS) process.off(s, handler);
  };
}
