/**
 * The run estimate against numbers known without it: forward MACs summed by hand from the paper's architecture, and
 * training speeds measured on the team's machines (README "What to expect", BENCHMARKS.md sections 5 and 7). The
 * estimate scales one net's speed to another by MACs, which its comment says errs long for wider nets: the checks
 * against measured speeds hold it between the measured time and a bounded multiple of it.
 */
import { describe, expect, it } from 'vitest';
import { type Config, DEFAULT_CONFIG } from '../../core/config';
import type { BackendInfo } from '../../worker/protocol';
import { basisFor, estimateSeconds, LONG_RUN_SECONDS, measuredSpeed, probedSpeed, referenceSpeed, roughDuration, speedKey, timedHere } from './estimate';
import { applyPreset, PRESETS } from './presets';

const wasm: BackendInfo = { backend: 'wasm', reason: '', threads: 1, tried: [] };
const h200: BackendInfo = { ...wasm, backend: 'webgpu', adapter: 'nvidia', softwareAdapter: false };

/**
 * Forward multiply-accumulates per image, conv and dense layers ('same' 3x3 convs: out H x W x cout x 9 x cin):
 * WRN-10-1: stem 32*32*16*27 = 442,368; group 1 (32x32, 16 -> 16): 2 x 32*32*16*144 = 4,718,592; group 2 (16x16):
 * 16*16*32*144 + 16*16*32*288 + shortcut 16*16*32*16 = 3,670,016; group 3 (8x8): 8*8*64*288 + 8*8*64*576 + 8*8*64*32 =
 * 3,670,016; dense 64*10 = 640. Total 12,501,632.
 * WRN-16-4 (2 blocks per group): stem 442,368; group 1: 9,437,184 + 37,748,736 + shortcut 1,048,576 + 2 x 37,748,736
 * = 123,731,968; groups 2 and 3: 18,874,368 + 37,748,736 + 2,097,152 + 2 x 37,748,736 = 134,217,728 each; dense 2,560.
 * Total 392,612,352.
 */
const MACS = { '10-1': 12_501_632, '16-4': 392_612_352 };

const net = (depth: number, width: number, epochs = 1): Config => ({ ...DEFAULT_CONFIG, depth, width, epochs, compare: [], seeds: 1 });

describe('run estimate', () => {
  it('counts the forward MACs summed by hand: at one WRN-10-1 image per second, an image costs its MACs over 12,501,632', () => {
    const speed = measuredSpeed('WRN-10-1', MACS['10-1'], 1);
    expect(estimateSeconds(net(10, 1), 1000, 0, speed)).toBeCloseTo(1000, 6);
    // an evaluated image is a forward pass; a trained one a forward and a backward pass (twice the forward's MACs)
    expect(estimateSeconds(net(10, 1), 1000, 900, speed)).toBeCloseTo(1000 + 300, 6);
    expect(estimateSeconds(net(16, 4), 1000, 0, speed)).toBeCloseTo((1000 * MACS['16-4']) / MACS['10-1'], 6);
  });

  it('is linear in images and epochs, and counts every net of a comparison', () => {
    const speed = referenceSpeed(wasm)!;
    const one = estimateSeconds(net(10, 1), 2000, 0, speed);
    expect(estimateSeconds(net(10, 1, 3), 2000, 0, speed)).toBeCloseTo(3 * one, 6);
    expect(estimateSeconds(net(10, 1), 4000, 0, speed)).toBeCloseTo(2 * one, 6);
    const pair = { ...net(10, 1), compare: [{ depth: 16, width: 4, dropout: 0 }] };
    expect(estimateSeconds(pair, 2000, 0, speed)).toBeCloseTo(one + estimateSeconds(net(16, 4), 2000, 0, speed), 6);
  });

  it('on WASM: WRN-10-1 as measured (202-240 images/s on one thread), WRN-16-4 long but within 2x of its measured 9.7-10.3', () => {
    // README "What to expect": batch 32, one thread, idle machine; WRN-10-1 at 202 in Node and 240 in a Chromium
    // worker, WRN-16-4 at 9.7 and 10.3.
    const speed = referenceSpeed(wasm)!;
    const small = estimateSeconds(net(10, 1), 2000, 0, speed);
    expect(small).toBeGreaterThanOrEqual(2000 / 240 - 1e-9);
    expect(small).toBeLessThanOrEqual(2000 / 202);
    const wide = estimateSeconds(net(16, 4), 2000, 0, speed);
    expect(wide).toBeGreaterThan(2000 / 10.3);
    expect(wide).toBeLessThan((2 * 2000) / 9.7);
  });

  it('on an H200 (WebGPU): WRN-16-4 at its measured 307 images/s, WRN-28-10 long but within 4x of its measured 81', () => {
    // BENCHMARKS.md section 7: Node, WebGPU through Dawn and Vulkan, batch 128
    const speed = referenceSpeed(h200)!;
    expect(estimateSeconds(net(16, 4), 50_000, 0, speed)).toBeCloseTo(50_000 / 307, 6);
    const wide = estimateSeconds(net(28, 10), 50_000, 0, speed);
    expect(wide).toBeGreaterThan(50_000 / 81);
    expect(wide).toBeLessThan((4 * 50_000) / 81);
  });

  it('puts WRN-16-4 on 10,000 images for 5 epochs (a version 1 link without sizes) over an hour on WASM, as measured (about 1.5 h at 10 images/s)', () => {
    expect(estimateSeconds(net(16, 4, 5), 10_000, 2000, referenceSpeed(wasm)!)).toBeGreaterThan(3600);
  });

  it('the quick presets on the sample are short where the defaults are long', () => {
    const speed = referenceSpeed(wasm)!;
    const defaults = estimateSeconds(DEFAULT_CONFIG, 2000, 1000, speed);
    expect(defaults).toBeGreaterThan(LONG_RUN_SECONDS);
    const quick = PRESETS.filter((x) => x.id.startsWith('quick')).map((p) => {
      const c = applyPreset(DEFAULT_CONFIG, p);
      return estimateSeconds(c, Math.min(c.train, 2000), Math.min(c.test, 1000), speed);
    });
    expect(quick.length).toBeGreaterThan(0);
    expect(quick[0]).toBeLessThan(LONG_RUN_SECONDS / 2); // WRN-22-1 vs WRN-10-2: a few minutes
    for (const q of quick) expect(q).toBeLessThan(defaults / 3);
  });

  it('has a reference speed per backend except WebGL on a hardware GPU, and keys measured speeds by device', () => {
    expect(referenceSpeed({ ...wasm, backend: 'webgl', webglRenderer: 'NVIDIA RTX', softwareWebgl: false })).toBeNull();
    const soft = referenceSpeed({ ...wasm, backend: 'webgpu', adapter: 'swiftshader', softwareAdapter: true })!;
    const hard = referenceSpeed(h200)!;
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
