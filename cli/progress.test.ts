/** The terminal progress bar: where it stands and how long is left, also for a run resumed part-way. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StepPoint } from '../src/core/metrics';
import { ProgressBar } from './progress';

const point = (step: number): StepPoint => ({
  kind: 'step',
  step,
  epoch: step / 10,
  loss: 1.5,
  trainAccuracy: 0.4,
  lr: 0.1,
  imagesPerSec: 100,
  stepMs: 10,
  numTensors: 1,
  deviceBytes: 1,
  seconds: step,
  flops: step,
});

describe('progress bar', () => {
  let written: string[];
  beforeEach(() => {
    vi.useFakeTimers();
    written = [];
    const write = (s: string | Uint8Array) => {
      written.push(String(s));
      return true;
    };
    vi.spyOn(process.stderr, 'write').mockImplementation(write as typeof process.stderr.write);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('shows the step of the whole run and an ETA from the pace of the steps it trained', () => {
    const bar = new ProgressBar('WRN-10-1', 100);
    vi.advanceTimersByTime(30_000);
    bar.update(point(50), 0.1);
    expect(written.at(-1)).toMatch(/\] 50\/100 .* ETA 30s $/);
  });

  it('resumed at step 40, it counts the run from its start and the pace from the resume: 30 of 60 steps in 30 s leave 30 s', () => {
    const bar = new ProgressBar('WRN-10-1', 100, 40);
    vi.advanceTimersByTime(30_000);
    bar.update(point(70), 0.1);
    expect(written.at(-1)).toMatch(/\[#{17}-{7}\] 70\/100 .* ETA 30s $/);
  });
});
