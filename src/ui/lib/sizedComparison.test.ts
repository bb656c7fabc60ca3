import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../../core/config';
import { decodeConfig, encodeConfig } from '../../core/url';
import type { NetSpeed } from '../../core/speedProbe';
import type { BackendInfo } from '../../worker/protocol';
import { estimateSeconds, probedSpeed, referenceSpeed, type Speed } from './estimate';
import { describeComparison, FIRST_RUN_SECONDS, probeConfig, sizeComparison, sizedComparisons, testImagesFor, THIN_WIDE_PAIRS } from './sizedComparison';

const wasm: BackendInfo = { backend: 'wasm', reason: '', threads: 1, tried: [] };
const gpu: BackendInfo = { backend: 'webgpu', reason: '', adapter: 'nvidia', softwareAdapter: false, tried: [] };
const SAMPLE = { train: 2000, test: 1000 };
const FULL = { train: 50000, test: 10000 };

/** What the probe measured in headless Chromium on this project's 2-core machine (WASM, one thread, batch 32). */
const probedHere: NetSpeed[] = [
  { model: { depth: 22, width: 1, dropout: 0 }, batch: 32, imagesPerSec: 34, evalImagesPerSec: 110, setupSeconds: 1.1 },
  { model: { depth: 10, width: 2, dropout: 0 }, batch: 32, imagesPerSec: 41, evalImagesPerSec: 130, setupSeconds: 0.8 },
];

const estimator = (speed: Speed, limit: { train: number; test: number }) => (c: Config) =>
  estimateSeconds(c, Math.min(c.train, limit.train), Math.min(c.test, limit.test), speed);

describe('the comparison sized for this device', () => {
  it('at the default target on WASM here: the smallest thin/wide pair on the sample, about 3 minutes by the estimate', () => {
    expect(FIRST_RUN_SECONDS).toBe(180);
    const speed = probedSpeed(probedHere, referenceSpeed(wasm))!;
    const plan = sizeComparison(DEFAULT_CONFIG, wasm, FIRST_RUN_SECONDS, estimator(speed, SAMPLE), SAMPLE);
    expect(plan.config).toMatchObject({ depth: 22, width: 1, compare: [{ depth: 10, width: 2, dropout: 0 }], batch: 32, lr: 0.05, seeds: 1 });
    expect(plan.config.train).toBeLessThanOrEqual(2000);
    expect(plan.config.test).toBeLessThanOrEqual(1000);
    // it fills the target: within its last step of images or epochs
    expect(plan.seconds).toBeLessThanOrEqual(180);
    expect(plan.seconds).toBeGreaterThan(150);
    expect(plan.seconds).toBeCloseTo(estimateSeconds(plan.config, plan.config.train, plan.config.test, speed), 9);
    expect(describeComparison(plan.config)).toMatch(/^WRN-22-1 vs WRN-10-2, \d epochs? over [\d,]+ images$/);
    // a link that reproduces it exactly
    expect(decodeConfig(encodeConfig(plan.config))).toEqual({ config: plan.config, corrections: [] });
  });

  it('with no probe yet, the reference WASM speed gives the same pair, inside the target', () => {
    const speed = referenceSpeed(wasm)!;
    const plan = sizeComparison(DEFAULT_CONFIG, wasm, FIRST_RUN_SECONDS, estimator(speed, SAMPLE), SAMPLE);
    expect([plan.config.depth, plan.config.width]).toEqual([22, 1]);
    expect(plan.seconds).toBeLessThanOrEqual(FIRST_RUN_SECONDS);
  });

  it('longer runs: each sized for its own target, longer and larger, the same plan never offered twice', () => {
    const speed = probedSpeed(probedHere, referenceSpeed(wasm))!;
    const plans = sizedComparisons(DEFAULT_CONFIG, wasm, estimator(speed, SAMPLE), SAMPLE);
    expect(plans.map((p) => p.target)).toEqual([180, 600, 1800]);
    for (const p of plans) expect(p.seconds).toBeLessThanOrEqual(p.target);
    expect(plans[1]!.seconds).toBeGreaterThan(plans[0]!.seconds);
    expect(plans[2]!.seconds).toBeGreaterThan(plans[1]!.seconds);
    expect(plans[1]!.config.epochs).toBeGreaterThanOrEqual(3); // 10 minutes: 3 or more epochs over the whole sample
    expect(plans[1]!.config.train).toBe(2000);
    // a tiny source: every target gives its whole data for 20 epochs of the largest pair, offered once
    const fast = { macsPerSec: 1e15, basis: 'x', measured: false };
    expect(sizedComparisons(DEFAULT_CONFIG, gpu, estimator(fast, { train: 500, test: 100 }), { train: 500, test: 100 })).toHaveLength(1);
  });

  it('a fast GPU with the full data set gets a larger pair, more images and at least 3 epochs, at batch 128', () => {
    const speed = referenceSpeed(gpu)!; // an H200
    const plan = sizeComparison(DEFAULT_CONFIG, gpu, FIRST_RUN_SECONDS, estimator(speed, FULL), FULL);
    const index = THIN_WIDE_PAIRS.findIndex(([thin]) => thin.depth === plan.config.depth && thin.width === plan.config.width);
    expect(index).toBeGreaterThan(0);
    expect(plan.config).toMatchObject({ batch: 128, lr: 0.1 });
    expect(plan.config.epochs).toBeGreaterThanOrEqual(3);
    expect(plan.config.epochs).toBeLessThanOrEqual(20);
    expect(plan.config.train).toBeGreaterThanOrEqual(2000);
    expect(plan.seconds).toBeLessThanOrEqual(FIRST_RUN_SECONDS);
  });

  it('a very slow device still gets a run: one epoch over the fewest images, with the estimate saying how long', () => {
    const slow = { macsPerSec: 1e6, basis: 'x', measured: false };
    const plan = sizeComparison(DEFAULT_CONFIG, wasm, FIRST_RUN_SECONDS, estimator(slow, SAMPLE), SAMPLE);
    expect(plan.config).toMatchObject({ depth: 22, width: 1, epochs: 1, train: 256, test: 200 });
    expect(plan.seconds).toBeGreaterThan(FIRST_RUN_SECONDS);
  });

  it('the probe times the smallest pair at the comparison’s batch; test images follow the training images', () => {
    expect(probeConfig(DEFAULT_CONFIG, wasm)).toMatchObject({ depth: 22, width: 1, compare: [{ depth: 10, width: 2 }], batch: 32 });
    expect(probeConfig(DEFAULT_CONFIG, gpu)).toMatchObject({ batch: 128 });
    expect([
      testImagesFor(2000, 1000),
      testImagesFor(600, 1000),
      testImagesFor(256, 1000),
      testImagesFor(50000, 10000),
      testImagesFor(10000, 1000),
    ]).toEqual([1000, 300, 200, 5000, 1000]);
  });
});
