/** The speed probe on the WASM backend in Node: real steps of the trainer, timed, and nothing left on the device. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setUpBackend } from '../node/backend';
import { DEFAULT_CONFIG } from './config';
import { RECORD_PIXELS } from './data/dataset';
import { measureNetSpeed, randomImages } from './speedProbe';

describe('speed probe', () => {
  beforeAll(async () => {
    expect((await setUpBackend('wasm')).backend).toBe('wasm');
  });

  it('times real steps of a net at the recipe’s batch, and frees what it built', async () => {
    const before = tf.memory().numTensors;
    let clock = 0;
    const ticks: number[] = [];
    // A clock that the probe reads; real time still passes for the steps themselves.
    const now = () => {
      clock = performance.now();
      ticks.push(clock);
      return clock;
    };
    const speed = await measureNetSpeed(
      { ...DEFAULT_CONFIG, batch: 8 },
      { depth: 10, width: 1, dropout: 0 },
      { minSeconds: 0, maxSteps: 2, evalImages: 20, now },
    );
    expect(speed.model).toEqual({ depth: 10, width: 1, dropout: 0 });
    expect(speed.batch).toBe(8);
    expect(speed.imagesPerSec).toBeGreaterThan(0);
    expect(Number.isFinite(speed.imagesPerSec)).toBe(true);
    expect(speed.evalImagesPerSec).toBeGreaterThan(0);
    expect(speed.setupSeconds).toBeGreaterThan(0);
    expect(ticks.length).toBeGreaterThanOrEqual(6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('random images are complete, labelled and repeatable', () => {
    const a = randomImages(12, 5);
    const b = randomImages(12, 5);
    expect(a.available()).toBe(12);
    expect(a.isComplete()).toBe(true);
    const pa = new Uint8Array(2 * RECORD_PIXELS);
    const pb = new Uint8Array(2 * RECORD_PIXELS);
    const la = new Int32Array(2);
    const lb = new Int32Array(2);
    a.gather([3, 11], pa, la);
    b.gather([3, 11], pb, lb);
    expect(pa).toEqual(pb);
    expect([...la]).toEqual([3, 1]);
    expect(new Set(pa).size).toBeGreaterThan(200);
  });
});
