import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttleSubscribe } from './throttle';

describe('throttleSubscribe', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const source = () => {
    const listeners = new Set<() => void>();
    return {
      subscribe: (l: () => void) => (listeners.add(l), () => listeners.delete(l)),
      emit: () => listeners.forEach((l) => l()),
      count: () => listeners.size,
    };
  };
  // looked up at call time, so that they are the fake timers installed by beforeEach
  const timers = {
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as number),
    now: () => Date.now(),
  };

  it('calls at once, then coalesces a burst into one trailing call', () => {
    const s = source();
    const listener = vi.fn();
    throttleSubscribe(s.subscribe, 100, timers)(listener);
    s.emit();
    expect(listener).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 50; i++) s.emit();
    expect(listener).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100);
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('unsubscribing cancels the trailing call and the source subscription', () => {
    const s = source();
    const listener = vi.fn();
    const off = throttleSubscribe(s.subscribe, 100, timers)(listener);
    s.emit();
    s.emit();
    off();
    vi.advanceTimersByTime(500);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(s.count()).toBe(0);
  });
});
