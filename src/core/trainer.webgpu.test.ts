/**
 * The trainer on real WebGPU in Node (Dawn + SwiftShader here), as the browser runs it: WRN-10-1 learns, and the
 * chunked evaluation agrees with WASM's. Needs WebGPU in Node: without it this skips and says so, except under
 * CI=true, where it fails.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { setUpBackend } from '../node/backend';
import { loadCifarFromPath } from '../node/localData';
import { DATA_DIR } from '../../test/fixtures/data';
import { needNodeWebGpu } from '../../test/fixtures/requirements';
import { DEFAULT_CONFIG, type Config } from './config';
import type { GrowingDataset } from './data/dataset';
import type { MetricPoint, StepPoint } from './metrics';
import { Trainer } from './trainer';

const gpu = await needNodeWebGpu();

const tiny = (over: Partial<Config>): Config => ({
  ...DEFAULT_CONFIG,
  depth: 10,
  width: 1,
  dropout: 0,
  batch: 16,
  epochs: 1,
  lr: 0.05,
  augment: false,
  train: 16,
  test: 40,
  ...over,
});

async function realData(train: number, test: number): Promise<{ train: GrowingDataset; test: GrowingDataset }> {
  const load = loadCifarFromPath(DATA_DIR, { train, test, subset: 'first' });
  await load.done;
  return { train: load.train, test: load.test };
}

async function runCollect(config: Config, data: { train: GrowingDataset; test: GrowingDataset }, extra: { readEvery?: number } = {}) {
  const points: MetricPoint[] = [];
  const trainer = new Trainer({ config, ...data, trainImages: data.train.available(), ...extra, onMetrics: (p) => points.push(...p) });
  await trainer.run();
  return { trainer, steps: points.filter((p): p is StepPoint => p.kind === 'step') };
}

describe.skipIf(!gpu)('trainer on WebGPU in Node (Dawn)', () => {
  it('builds WRN-10-1 on the webgpu backend and a few SGD steps on real images lower the loss', async () => {
    const choice = await setUpBackend('webgpu');
    expect(choice.backend).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    // SwiftShader emulates the GPU on the CPU (a few images/s, ~10 s of shader compilation): keep it tiny.
    const data = await realData(4, 4);
    const { trainer, steps } = await runCollect(tiny({ batch: 4, train: 4, test: 4, epochs: 3, lr: 0.05, schedule: 'constant' }), data, { readEvery: 3 });
    expect(steps).toHaveLength(3);
    expect(steps[2]!.loss).toBeLessThan(steps[0]!.loss);
    trainer.dispose();
    await setUpBackend('wasm');
  }, 600_000);

  it('evaluates over many chunks (more inputs than a WebGPU shader may bind) to the same loss as WASM', async () => {
    // 36 test images in chunks of 4: 9 partial sums. One tf.addN over them needs 10 storage buffers in one shader,
    // past WebGPU's default limit of 8: the pipeline was invalid and the test loss read as 0 (found on an H200).
    const data = await realData(4, 36);
    const config = tiny({ batch: 4, train: 4, test: 36 });
    const evaluateOn = async (backend: 'webgpu' | 'wasm') => {
      expect((await setUpBackend(backend)).backend).toBe(backend);
      const trainer = new Trainer({ config, ...data, trainImages: 4, evalChunk: 4 });
      const { point } = await trainer.evaluate();
      trainer.dispose();
      return point;
    };
    const gpu = await evaluateOn('webgpu');
    const cpu = await evaluateOn('wasm');
    expect(gpu.testImages).toBe(36);
    expect(cpu.testLoss).toBeGreaterThan(0.5); // an untrained net: about ln 10
    expect(Math.abs(gpu.testLoss - cpu.testLoss) / cpu.testLoss).toBeLessThan(1e-3);
    expect(Math.abs(gpu.testAccuracy - cpu.testAccuracy)).toBeLessThanOrEqual(1 / 36);
  }, 600_000);
});
