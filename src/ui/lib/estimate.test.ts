import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../core/config';
import type { BackendInfo } from '../../worker/protocol';
import { basisFor, estimateSeconds, LONG_RUN_SECONDS, measuredSpeed, probedSpeed, referenceSpeed, roughDuration, speedKey, timedHere } from './estimate';
import { applyPreset, PRESETS } from './presets';

const wasm: BackendInfo = { backend: 'wasm', reason: '', threads: 1, tried: [] };

describe('run estimate', () => {
  it('puts WRN-16-4 on 10,000 images for 5 epochs (a version 1 link without sizes) over an hour on WASM', () => {
    const speed = referenceSpeed(wasm)!;
    const seconds = estimateSeconds(DEFAULT_CONFIG, 10_000, 2000, speed);
    expect(seconds).toBeGreaterThan(3600);
    // 5 epochs x (10,000 + 2,000/3) images x 392.6M MACs over WRN-10-1's 112 images/s x 12.5M MACs
    expect(seconds).toBeCloseTo((5 * (10_000 + 2000 / 3) * 392_612_352) / (112 * 12_501_632), 6);
  });

  it('is linear in images and epochs, and counts every net of a comparison', () => {
    const speed = referenceSpeed(wasm)!;
    const one = estimateSeconds({ ...DEFAULT_CONFIG, depth: 10, width: 1, epochs: 1 }, 2000, 0, speed);
    expect(one).toBeCloseTo(2000 / 112, 6); // WRN-10-1 at its measured speed
    expect(estimateSeconds({ ...DEFAULT_CONFIG, depth: 10, width: 1, epochs: 3 }, 2000, 0, speed)).toBeCloseTo(3 * one, 6);
    const pair = { ...DEFAULT_CONFIG, depth: 10, width: 1, epochs: 1, compare: [{ depth: 10, width: 1, dropout: 0 }] };
    expect(estimateSeconds(pair, 2000, 0, speed)).toBeCloseTo(2 * one, 6);
  });

  it('the quick presets on the sample are short where the defaults are long', () => {
    const speed = referenceSpeed(wasm)!;
    const defaults = estimateSeconds(DEFAULT_CONFIG, 2000, 1000, speed);
    expect(defaults).toBeGreaterThan(LONG_RUN_SECONDS);
    const quick = PRESETS.filter((x) => x.id.startsWith('quick')).map((p) => {
      const c = applyPreset(DEFAULT_CONFIG, p);
      return estimateSeconds(c, Math.min(c.train, 2000), Math.min(c.test, 1000), speed);
    });
    expect(quick[0]).toBeLessThan(LONG_RUN_SECONDS / 2); // WRN-22-1 vs WRN-10-2: about 7 minutes
    for (const q of quick) expect(q).toBeLessThan(defaults / 3);
  });

  it('has a reference speed per backend except WebGL on a hardware GPU, and keys measured speeds by device', () => {
    expect(referenceSpeed({ ...wasm, backend: 'webgl', webglRenderer: 'NVIDIA RTX', softwareWebgl: false })).toBeNull();
    const soft = referenceSpeed({ ...wasm, backend: 'webgpu', adapter: 'swiftshader', softwareAdapter: true })!;
    const hard = referenceSpeed({ ...wasm, backend: 'webgpu', adapter: 'nvidia', softwareAdapter: false })!;
    expect(hard.macsPerSec).toBeGreaterThan(1000 * soft.macsPerSec);
    expect(speedKey({ ...wasm, backend: 'webgpu', adapter: 'nvidia' })).toBe('wrn-playground:speed:webgpu:nvidia');
    const m = measuredSpeed('WRN-10-1', 12_501_632, 95.4);
    expect(m).toEqual({ macsPerSec: 95.4 * 12_501_632, basis: 'measured here: WRN-10-1 at 95 images/s', measured: true });
  });

  it('says durations without false precision', () => {
    expect([roughDuration(21), roughDuration(426), roughDuration(3271), roughDuration(15_120), roughDuration(Number.NaN)]).toEqual([
      'under a minute',
      'about 7 min',
      'about 55 min',
      'about 4.2 h',
      'unknown',
    ]);
  });

  it('nets timed here are estimated from their own speed and setup; the others by MACs; seeds repeat the nets', () => {
    const probed = probedSpeed(
      [{ model: { depth: 22, width: 1, dropout: 0 }, batch: 32, imagesPerSec: 40, evalImagesPerSec: 100, setupSeconds: 2 }],
      referenceSpeed(wasm),
    )!;
    const pair = { ...DEFAULT_CONFIG, depth: 22, width: 1, batch: 32, epochs: 2, compare: [{ depth: 10, width: 1, dropout: 0 }] };
    const macsOf101 = 12_501_632;
    const other = (2 * (2000 + 1000 / 3) * macsOf101) / probed.macsPerSec;
    expect(estimateSeconds(pair, 2000, 1000, probed)).toBeCloseTo(2 + 2 * (2000 / 40 + 1000 / 100) + other, 6);
    // the probe's average MACs/s stands for the nets it did not time
    expect(probed.macsPerSec).toBe(40 * 40_813_184);
    expect(timedHere(pair, probed)).toBe(false);
    expect(timedHere({ ...pair, compare: [] }, probed)).toBe(true);
    expect(timedHere({ ...pair, compare: [], batch: 64 }, probed)).toBe(false); // timed at another batch
    expect(basisFor({ ...pair, compare: [] }, probed)).toBe('measured here: WRN-22-1 at 40 images/s');
    expect(estimateSeconds({ ...pair, seeds: 3 }, 2000, 1000, probed)).toBeCloseTo(3 * estimateSeconds(pair, 2000, 1000, probed), 6);
  });
});
