/**
 * The trainer on real CIFAR-10 images, in Node, on the WASM backend with our conv-gradient kernels (fast on a CPU);
 * trainer.webgpu.test.ts runs it on real WebGPU (Dawn + SwiftShader here) as the browser does.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setUpBackend } from '../node/backend';
import { loadCifarFromPath } from '../node/localData';
import { DATA_DIR } from '../../test/fixtures/data';
import { DEFAULT_CONFIG, type Config } from './config';
import type { GrowingDataset, ImageSource } from './data/dataset';
import { RECORD_PIXELS } from './data/dataset';
import type { EvalPoint, MetricPoint, StepPoint } from './metrics';
import { toNormalisedImages } from './augment';
import { Trainer } from './trainer';

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

async function runCollect(config: Config, data: { train: GrowingDataset; test: GrowingDataset }, extra: { maxSteps?: number; readEvery?: number } = {}) {
  const points: MetricPoint[] = [];
  const trainer = new Trainer({ config, ...data, trainImages: data.train.available(), ...extra, onMetrics: (p) => points.push(...p) });
  const summary = await trainer.run();
  return {
    trainer,
    summary,
    steps: points.filter((p): p is StepPoint => p.kind === 'step'),
    evals: points.filter((p): p is EvalPoint => p.kind === 'eval'),
  };
}

describe('trainer on WASM, real images', () => {
  beforeAll(async () => {
    const choice = await setUpBackend('wasm');
    expect(choice.backend).toBe('wasm');
  });

  it('WRN-10-1 on a fixed batch of real images: the loss after 20 steps is clearly below the first', async () => {
    const data = await realData(16, 40);
    // one batch of 16 images per epoch, 20 epochs: the same batch 20 times
    const { trainer, steps } = await runCollect(tiny({ epochs: 20, schedule: 'constant' }), data);
    expect(steps).toHaveLength(20);
    const first = steps[0]!.loss;
    const last = steps[19]!.loss;
    expect(first).toBeGreaterThan(1.8); // about ln(10) = 2.3 for an untrained net
    expect(last).toBeLessThan(0.6 * first);
    expect(steps[19]!.trainAccuracy).toBeGreaterThan(steps[0]!.trainAccuracy);
    trainer.dispose();
  });

  it('reports a test accuracy equal to an independent count over the model predictions', async () => {
    const data = await realData(64, 120);
    const { trainer, summary } = await runCollect(tiny({ batch: 16, train: 64, test: 120, epochs: 2 }), data);
    const final = summary.finalEval!;
    expect(final.testImages).toBe(120);
    // independent: predict the 120 test images in one go and count
    const pixels = new Uint8Array(120 * RECORD_PIXELS);
    const labels = new Int32Array(120);
    data.test.gather(
      Int32Array.from({ length: 120 }, (_, i) => i),
      pixels,
      labels,
    );
    const preds = tf.tidy(() => tf.argMax(trainer.model.predict(toNormalisedImages(pixels, 120)) as tf.Tensor, 1));
    const predicted = await preds.data();
    preds.dispose();
    const right = labels.reduce((n, y, i) => n + (predicted[i] === y ? 1 : 0), 0);
    expect(final.testAccuracy).toBe(right / 120);
    expect(final.confusion.reduce((a, b) => a + b, 0)).toBe(120);
    expect(final.confusion.filter((_, i) => i % 11 === 0).reduce((a, b) => a + b, 0)).toBe(right);
    expect(Array.from(summary.predictions!)).toEqual(Array.from(predicted));
    trainer.dispose();
  });

  it('leaks no tensors: numTensors is the same after step 5 and step 50, and back to the start after dispose', async () => {
    const data = await realData(64, 20);
    const before = tf.memory().numTensors;
    const { trainer, steps } = await runCollect(tiny({ batch: 8, train: 64, test: 20, epochs: 7, augment: true, dropout: 0.3 }), data, { maxSteps: 50 });
    expect(steps).toHaveLength(50);
    expect(steps[49]!.numTensors).toBe(steps[4]!.numTensors);
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the same seed gives the same first losses; another seed does not', async () => {
    const data = await realData(48, 20);
    const config = tiny({ batch: 8, train: 48, test: 20, augment: true, dropout: 0.3, seed: 7 });
    const losses = async (c: Config) => {
      const r = await runCollect(c, data, { maxSteps: 4, readEvery: 4 });
      r.trainer.dispose();
      return r.steps.map((s) => s.loss);
    };
    const a = await losses(config);
    const b = await losses(config);
    const c = await losses({ ...config, seed: 8 });
    expect(a).toHaveLength(4);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('the same seed trains on the same batches whether the data is all there or still trickling in (the page streams it)', async () => {
    // 1,100 real images, batch 64: 17 steps per epoch; the first epoch spans two blocks of the order (dataOrder.ts).
    const data = await realData(1100, 20);
    const config = tiny({ batch: 64, train: 1100, test: 20, epochs: 2, augment: true, seed: 3 });
    const train = async (chunk: number | null) => {
      const source = chunk === null ? null : new TrickleSource(data.train, chunk);
      const seen: number[][] = [];
      const arrived: number[] = [];
      const inner = source ?? data.train;
      const recording: ImageSource = {
        available: () => inner.available(),
        isComplete: () => inner.isComplete(),
        waitFor: (n) => inner.waitFor(n),
        gather: (idx, pixels, labels) => {
          seen.push(Array.from(idx));
          arrived.push(inner.available());
          inner.gather(idx, pixels, labels);
          source?.arrive(); // more data comes in while the step trains
        },
      };
      const points: MetricPoint[] = [];
      const trainer = new Trainer({
        config,
        train: recording,
        test: data.test,
        trainImages: 1100,
        maxSteps: 19,
        readEvery: 19,
        onMetrics: (p) => points.push(...p),
      });
      await trainer.run();
      trainer.dispose();
      return { seen, arrived, losses: points.filter((p): p is StepPoint => p.kind === 'step').map((p) => p.loss) };
    };
    const atOnce = await train(null);
    const trickled = await train(40);
    expect(trickled.arrived[0]).toBeLessThan(1100); // it did start before the data was all in
    expect(trickled.seen).toHaveLength(19);
    expect(trickled.seen).toEqual(atOnce.seen);
    expect(trickled.losses).toEqual(atOnce.losses);
  }, 300_000);

  it('pauses, resumes from the same step, and stops early with a final evaluation', async () => {
    const data = await realData(64, 20);
    const steps: StepPoint[] = [];
    const trainer = new Trainer({
      config: tiny({ batch: 8, train: 64, test: 20, epochs: 4 }),
      ...data,
      readEvery: 1,
      onMetrics: (p) => steps.push(...p.filter((x): x is StepPoint => x.kind === 'step')),
    });
    const done = trainer.run();
    while (trainer.step < 3) await new Promise((r) => setTimeout(r, 5));
    trainer.pause();
    await new Promise((r) => setTimeout(r, 300));
    const pausedAt = trainer.step;
    await new Promise((r) => setTimeout(r, 500));
    expect(trainer.step).toBe(pausedAt); // nothing moved while paused
    trainer.resume();
    while (trainer.step < pausedAt + 2) await new Promise((r) => setTimeout(r, 5));
    trainer.stop();
    const summary = await done;
    expect(summary.status).toBe('stopped');
    expect(summary.steps).toBeLessThan(32);
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: summary.steps }, (_, i) => i + 1));
    expect(summary.finalEval?.step).toBe(summary.steps);
    trainer.dispose();
  });

  describe('timing on an injected clock: the time the loop waits paused is never step time', () => {
    const STEP_MS = 100;
    /**
     * 8 steps of 8 images and one evaluation, where each training batch takes STEP_MS on the clock (it moves as the
     * batch is gathered) and nothing else moves it but the test's hooks: `onGather(step)` before step `step` is
     * gathered, `onFlush(points)` when step points are reported.
     */
    async function timedRun(hooks: {
      /** the least the clock must have moved beyond the steps' own time (what the hooks let pass while paused) */
      idleMs?: number;
      readEvery: number;
      onGather?: (step: number, trainer: Trainer, clock: { t: number }) => void;
      onFlush?: (points: StepPoint[], trainer: Trainer, clock: { t: number }) => void;
    }) {
      const data = await realData(64, 20);
      const clock = { t: 0 };
      let gathered = 0;
      const train = {
        available: () => data.train.available(),
        isComplete: () => data.train.isComplete(),
        waitFor: (n: number) => data.train.waitFor(n),
        gather: (idx: ArrayLike<number>, pixels: Uint8Array, labels: Int32Array) => {
          hooks.onGather?.(++gathered, trainer, clock);
          clock.t += STEP_MS;
          data.train.gather(idx, pixels, labels);
        },
      };
      const steps: StepPoint[] = [];
      const trainer: Trainer = new Trainer({
        config: tiny({ batch: 8, train: 64, test: 20, epochs: 1 }),
        train,
        test: data.test,
        readEvery: hooks.readEvery,
        now: () => clock.t,
        onMetrics: (p) => {
          const points = p.filter((x): x is StepPoint => x.kind === 'step');
          steps.push(...points);
          if (points.length) hooks.onFlush?.(points, trainer, clock);
        },
      });
      const summary = await trainer.run();
      trainer.dispose();
      expect(clock.t).toBeGreaterThanOrEqual(8 * STEP_MS + (hooks.idleMs ?? 0)); // the hooks did let that time pass
      return { summary, steps };
    }

    function expectStepTimes({ summary, steps }: Awaited<ReturnType<typeof timedRun>>, stepMs: number[]) {
      expect(summary.status).toBe('finished');
      expect(steps.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(steps.map((p) => p.stepMs)).toEqual(stepMs);
      const total = stepMs.reduce((a, b) => a + b, 0);
      expect(steps.at(-1)!.seconds).toBeCloseTo(total / 1000, 9);
      expect(summary.firstStepMs).toBe(stepMs[0]);
      expect(summary.seconds).toBeCloseTo(total / 1000, 9); // the evaluation took no time on this clock
    }
    const EVERY_STEP = Array.from({ length: 8 }, () => STEP_MS);

    it('a pause resumed before the loop reached its pause point neither adds nor removes time: the step was working all along', async () => {
      const run = await timedRun({
        readEvery: 1,
        onGather: (step, trainer, clock) => {
          if (step !== 4) return;
          trainer.pause();
          clock.t += 500; // step 4 goes on working meanwhile
          trainer.resume();
        },
      });
      expectStepTimes(run, [100, 100, 100, 600, 100, 100, 100, 100]);
    });

    it('a resume that arrives while the loop reads back on its way to the pause point: no hang, no paused time', async () => {
      // Before the fix the loop then waited for a resume that had already come, for ever (stop() could not end it).
      let resumed = false;
      const run = await timedRun({
        idleMs: 1e6,
        readEvery: 4,
        onGather: (step, trainer) => {
          if (step === 3) trainer.pause(); // steps 2 and 3 are still to be read back
        },
        onFlush: (_points, trainer, clock) => {
          if (trainer.state !== 'paused') return;
          // the read-back before pausing is under way: the resume lands before the loop waits for it
          clock.t += 1e6;
          trainer.resume();
          resumed = true;
        },
      });
      expect(resumed).toBe(true);
      expectStepTimes(run, EVERY_STEP);
    });

    it('the time the loop waits at its pause point is not step time, and the steps after it are timed from the resume', async () => {
      let resumed = false;
      const run = await timedRun({
        idleMs: 1e6,
        readEvery: 4,
        onGather: (step, trainer) => {
          if (step === 6) trainer.pause(); // steps 2-5 were read back; step 6 is read back at the pause point
        },
        onFlush: (_points, trainer, clock) => {
          if (trainer.state !== 'paused') return;
          // The loop waits as soon as this read-back returns; a timer runs after that.
          setTimeout(() => {
            clock.t += 1e6;
            trainer.resume();
            resumed = true;
          }, 0);
        },
      });
      expect(resumed).toBe(true);
      expectStepTimes(run, EVERY_STEP);
    });
  });

  it('uses the scheduled learning rate, and a manual rate between steps', async () => {
    const data = await realData(32, 20);
    const trainer = new Trainer({ config: tiny({ batch: 8, train: 32, test: 20, epochs: 5, lr: 0.1 }), ...data, readEvery: 1 });
    // 4 steps/epoch, 20 steps: x0.2 at steps 6, 12, 16
    expect(trainer.currentLearningRate()).toBeCloseTo(0.1, 12);
    trainer.setLearningRate(0.01);
    expect(trainer.currentLearningRate()).toBe(0.01);
    trainer.setLearningRate(null);
    expect(trainer.currentLearningRate()).toBeCloseTo(0.1, 12);
    trainer.dispose();
  });
});

/**
 * A split that is all loaded, shown to the trainer as if it streamed in: `chunk` records arrive per event-loop turn
 * while the trainer waits, and one more chunk per `arrive()` (a step's worth of download).
 */
class TrickleSource implements ImageSource {
  private arrived = 0;
  constructor(
    private readonly full: GrowingDataset,
    private readonly chunk: number,
  ) {}
  available(): number {
    return this.arrived;
  }
  isComplete(): boolean {
    return this.arrived >= this.full.available();
  }
  arrive(): void {
    this.arrived = Math.min(this.full.available(), this.arrived + this.chunk);
  }
  async waitFor(n: number): Promise<void> {
    while (this.arrived < n && !this.isComplete()) {
      this.arrive();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  gather(indices: ArrayLike<number>, pixels: Uint8Array, labels: Int32Array): void {
    for (let i = 0; i < indices.length; i++) if (indices[i]! >= this.arrived) throw new RangeError(`record ${indices[i]} has not arrived`);
    this.full.gather(indices, pixels, labels);
  }
}
