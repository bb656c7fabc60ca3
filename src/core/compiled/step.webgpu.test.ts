/**
 * The compiled step for a whole WRN on WebGPU in Node (Dawn; SwiftShader without a GPU): WRN-10-1's weight
 * gradients against tfjs autograd, with and without dropout; the trainer on the compiled engine against the tfjs
 * path (losses, evaluation, the blocks probe), no buffer made while it steps, every buffer freed by dispose; a checkpoint that goes
 * compiled -> tfjs -> compiled; the fallback when a plan cannot be made. Small on purpose (an emulated GPU runs a
 * WRN-10-1 step in seconds): 20 steps at batch 16, 100 and 200 steps and every layer shape are in
 * scripts/check-compiled.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCifarFromPath } from '../../node/localData';
import { DEFAULT_CONFIG, type Config, type EngineChoice } from '../config';
import { DATA_DIR } from '../../../test/fixtures/data';
import { needNodeWebGpu } from '../../../test/fixtures/requirements';
import type { ImageSource } from '../data/dataset';
import { activeGpuDevice } from '../deviceWatch';
import type { BlockPoint, EvalPoint, MetricPoint, StepPoint } from '../metrics';
import { Trainer, type TrainerSnapshot } from '../trainer';
import { compareWrnGradients } from '../../../test/fixtures/compiled';
import { PlanError } from './gpu';

let gpu = false;
let device: GPUDevice;
let train: ImageSource;
let test: ImageSource;

beforeAll(async () => {
  gpu = await needNodeWebGpu(); // under CI=true a missing adapter fails here
  if (gpu) device = activeGpuDevice()!;
  const load = loadCifarFromPath(DATA_DIR, { train: 16, test: 8, subset: 'first' });
  await load.done;
  train = load.train;
  test = load.test;
}, 300_000);

describe('WRN-10-1: the compiled step against tfjs autograd', () => {
  for (const dropout of [0, 0.3]) {
    it(`every weight gradient within 1e-4${dropout ? ` with dropout ${dropout}` : ''}, the loss and the running statistics too`, async (ctx) => {
      if (!gpu) ctx.skip();
      // batch 4, the trainer tests' batch: their plans reuse these pipelines
      const g = await compareWrnGradients(device, { depth: 10, width: 1, dropout }, 4, train);
      expect(g.loss.tfjs).toBeGreaterThan(1);
      expect(Math.abs(g.loss.ours - g.loss.tfjs) / g.loss.tfjs).toBeLessThan(1e-5);
      // 25 trainable weights, 14 running statistics
      expect(Object.keys(g.errors)).toHaveLength(25 + 14);
      for (const [name, e] of Object.entries(g.errors)) expect(e, name).toBeLessThan(1e-4);
    }, 600_000);
  }
});

describe('the compiled engine in the trainer', () => {
  const config: Config = {
    ...DEFAULT_CONFIG,
    depth: 10,
    width: 1,
    dropout: 0.3,
    batch: 4,
    epochs: 1,
    lr: 0.05,
    schedule: 'constant',
    train: 16,
    test: 8,
    seed: 5,
    probe: 4, // half the test images: the compiled run evaluates these on tfjs's model, the rest on its own
  };
  const make = (engine: EngineChoice, onMetrics: (p: MetricPoint[]) => void, extra: Partial<ConstructorParameters<typeof Trainer>[0]> = {}) =>
    new Trainer({ config: { ...config, engine }, train, test, trainImages: 16, readEvery: 2, evalChunk: 4, onMetrics, ...extra });
  const stepsOf = (points: MetricPoint[]) => points.filter((p): p is StepPoint => p.kind === 'step');
  let compiledLosses: number[] = [];

  it('trains as the tfjs path does (losses within 1e-3, the same evaluation and blocks probe), makes no buffer while it steps, frees all on dispose', async (ctx) => {
    if (!gpu) ctx.skip();
    const points: MetricPoint[] = [];
    const t = make('compiled', (p) => points.push(...p));
    expect(await t.prepare()).toMatchObject({ engine: 'compiled' });
    const engine = t.compiledEngine!;
    expect(engine.dispatchesPerStep).toBeLessThanOrEqual(90);
    let made = 0;
    const createBuffer = device.createBuffer.bind(device);
    device.createBuffer = (d: GPUBufferDescriptor) => {
      made++;
      return createBuffer(d);
    };
    try {
      t.begin();
      await t.advance(1);
      const before = { made, memory: engine.memory, tensors: tf.memory().numTensors };
      await t.advance(2);
      expect({ made, memory: engine.memory, tensors: tf.memory().numTensors }).toEqual(before);
    } finally {
      device.createBuffer = createBuffer;
    }
    await t.advance();
    const summary = await t.finish();
    expect(summary).toMatchObject({ status: 'finished', steps: 4 });
    t.dispose();
    expect(engine.memory.buffers).toBe(0);
    expect(engine.memory.bytes).toBe(0);

    const theirs: MetricPoint[] = [];
    const r = make('tfjs', (p) => theirs.push(...p));
    expect(await r.prepare()).toEqual({ engine: 'tfjs', reason: 'engine=tfjs was asked for' });
    await r.run();
    r.dispose();
    compiledLosses = stepsOf(points).map((p) => p.loss);
    const tfjsLosses = stepsOf(theirs).map((p) => p.loss);
    expect(stepsOf(points).map((p) => p.step)).toEqual([1, 2, 3, 4]);
    for (let i = 0; i < 4; i++) expect(Math.abs(compiledLosses[i]! - tfjsLosses[i]!) / tfjsLosses[i]!, `step ${i + 1}`).toBeLessThan(1e-3);
    expect(stepsOf(points).map((p) => p.trainAccuracy)).toEqual(stepsOf(theirs).map((p) => p.trainAccuracy));
    const [ours, tfjs] = [points, theirs].map((ps) => ps.find((p): p is EvalPoint => p.kind === 'eval')!);
    expect(ours).toMatchObject({ step: 4, testImages: 8, testAccuracy: tfjs!.testAccuracy, confusion: tfjs!.confusion });
    expect(Math.abs(ours!.testLoss - tfjs!.testLoss) / tfjs!.testLoss).toBeLessThan(1e-4);
    // the blocks probe after the evaluation: the compiled step's weights and last gradients, measured as tfjs's are
    const [bo, bt] = [points, theirs].map((ps) => ps.find((p): p is BlockPoint => p.kind === 'blocks')!);
    expect(bo).toMatchObject({ step: 4, probeImages: 4, blocks: bt!.blocks, layers: bt!.layers });
    const close = (a: readonly number[] | null, b: readonly number[] | null, what: string) => {
      expect(a, what).toHaveLength(b!.length);
      a!.forEach((v, i) => expect(Math.abs(v - b![i]!) / Math.abs(b![i]!), `${what} ${i}`).toBeLessThan(1e-3));
    };
    close(bo!.residualRatio, bt!.residualRatio, 'residual ratio');
    close(bo!.weightNorm, bt!.weightNorm, 'weight norm');
    close(bo!.gradNorm, bt!.gradNorm, 'gradient norm');
  }, 900_000);

  it('a checkpoint goes compiled -> tfjs -> compiled with the losses of a run never interrupted', async (ctx) => {
    if (!gpu || compiledLosses.length !== 4) ctx.skip();
    const losses: number[] = [];
    const onMetrics = (p: MetricPoint[]) => losses.push(...stepsOf(p).map((q) => q.loss));
    const leg = async (engine: EngineChoice, steps: number, from: TrainerSnapshot | null): Promise<TrainerSnapshot> => {
      const t = make(engine, onMetrics);
      if (from) await t.restore(from);
      expect((await t.prepare())?.engine).toBe(engine);
      t.begin();
      await t.advance(steps);
      const s = await t.snapshot();
      t.dispose();
      return s;
    };
    const a = await leg('compiled', 2, null);
    expect(a.optimizer).toHaveLength(25);
    expect(a.dropoutMasks).toEqual([2, 2, 2]);
    const b = await leg('tfjs', 1, a);
    await leg('compiled', 1, b);
    expect(losses).toHaveLength(4);
    for (let i = 0; i < 4; i++) expect(Math.abs(losses[i]! - compiledLosses[i]!) / compiledLosses[i]!, `step ${i + 1}`).toBeLessThan(1e-4);
  }, 900_000);

  it('a plan that cannot be made falls back to tfjs, saying why', async (ctx) => {
    if (!gpu) ctx.skip();
    const points: MetricPoint[] = [];
    const t = make('compiled', (p) => points.push(...p), {
      planCompiled: async () => {
        throw new PlanError('the weights need a binding of 9.9 GiB; this device allows 1.0 GiB');
      },
    });
    const info = await t.prepare();
    expect(info?.engine).toBe('tfjs');
    expect(info?.reason).toBe(
      'the compiled step could not be planned here (the weights need a binding of 9.9 GiB; this device allows 1.0 GiB); tfjs trains instead',
    );
    expect(t.compiledEngine).toBeNull();
    t.begin();
    await t.advance(1);
    expect(stepsOf(points)).toHaveLength(1);
    t.dispose();
  }, 600_000);
});
