import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MetricPoint } from '../core/metrics';
import { MetricsBatcher } from './metricsBatcher';

const point = (step: number) => ({ kind: 'step', step }) as MetricPoint;

describe('MetricsBatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the first points at once and coalesces the rest into one send per interval', () => {
    const sent: number[][] = [];
    const b = new MetricsBatcher(
      (points) => sent.push(points.map((p) => p.step)),
      100,
      () => Date.now(),
    );
    b.push([point(1)]);
    b.push([point(2)]);
    b.push([point(3), point(4)]);
    expect(sent).toEqual([[1]]);
    vi.advanceTimersByTime(99);
    expect(sent).toEqual([[1]]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([[1], [2, 3, 4]]);
  });

  it('flushes on demand and discards without sending', () => {
    const sent: number[][] = [];
    const b = new MetricsBatcher(
      (points) => sent.push(points.map((p) => p.step)),
      100,
      () => Date.now(),
    );
    b.push([point(1)]);
    b.push([point(2)]);
    b.flush();
    expect(sent).toEqual([[1], [2]]);
    b.push([point(3)]);
    b.discard();
    vi.advanceTimersByTime(1000);
    b.flush();
    expect(sent).toEqual([[1], [2]]);
  });
});
