/**
 * Rate-limits store notifications. The worker may post dozens of messages a second; re-rendering charts for each
 * would spend the main thread's time on SVG instead of on the page. A throttled subscribe calls the listener at
 * most once per `ms` (first change at once, later ones coalesced into one trailing call), so the latest
 * snapshot is always shown within `ms`.
 */

export type Subscribe = (listener: () => void) => () => void;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
};

export function throttleSubscribe(subscribe: Subscribe, ms: number, timers: Timers = realTimers): Subscribe {
  return (listener) => {
    let last = -Infinity;
    let pending: unknown = null;
    const fire = () => {
      pending = null;
      last = timers.now();
      listener();
    };
    const unsubscribe = subscribe(() => {
      if (pending !== null) return; // a trailing call is already due and will read the latest snapshot
      const wait = last + ms - timers.now();
      if (wait <= 0) fire();
      else pending = timers.setTimeout(fire, wait);
    });
    return () => {
      if (pending !== null) timers.clearTimeout(pending);
      pending = null;
      unsubscribe();
    };
  };
}
