/**
 * The trainer's `blocks` points: one right after every evaluation, measured on the probe images from the evaluation's
 * own forward pass, without changing what the evaluation reports or how training goes.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setUpBackend } from '../../node/backend';
import { loadCifarFromPath } from '../../node/localData';
import { toNormalisedImages } from '../augment';
import { DEFAULT_CONFIG, type Config } from '../config';
import { RECORD_PIXELS, type GrowingDataset } from '../data/dataset';
import { DATA_DIR } from '../../../test/fixtures/data';
import type { BlockPoint, EvalPoint, MetricPoint, StepPoint } from '../metrics';
import { Trainer } from '../trainer';
import { architectureOf, forwardWithRatios } from './forward';

const config = (over: Partial<Config>): Config => ({
  ...DEFAULT_CONFIG,
  depth: 10,
  width: 1,
  batch: 16,
  epochs: 1,
  lr: 0.05,
  train: 64,
  test: 40,
  evalEvery: 2,
  probe: 24,
  ...over,
});

let data: { train: GrowingDataset; test: GrowingDataset };

beforeAll(async () => {
  expect((await setUpBackend('wasm')).backend).toBe('wasm');
  const load = loadCifarFromPath(DATA_DIR, { train: 64, test: 40, subset: 'first' });
  await load.done;
  data = { train: load.train, test: load.test };
});

async function train(c: Config) {
  const points: MetricPoint[] = [];
  const trainer = new Trainer({ config: c, ...data, trainImages: 64, onMetrics: (p) => points.push(...p) });
  await trainer.run();
  return {
    trainer,
    points,
    steps: points.filter((p): p is StepPoint => p.kind === 'step'),
    evals: points.filter((p): p is EvalPoint => p.kind === 'eval'),
    blocks: points.filter((p): p is BlockPoint => p.kind === 'blocks'),
  };
}

describe('blocks points', () => {
  it('follow every evaluation with 3N ratios, every convolution, and change nothing else', async () => {
    const on = await train(config({}));
    expect(on.evals.map((e) => e.step)).toEqual([2, 4]);
    expect(on.blocks.map((b) => b.step)).toEqual([2, 4]);
    // each right after its evaluation
    for (const b of on.blocks) expect(on.points[on.points.indexOf(b) - 1]).toMatchObject({ kind: 'eval', step: b.step });
    for (const b of on.blocks) {
      expect(b.blocks).toEqual(['g1b1', 'g2b1', 'g3b1']);
      expect(b.residualRatio).toHaveLength(3);
      expect(b.residualRatio.every((r) => Number.isFinite(r) && r > 0)).toBe(true);
      expect(b.probeImages).toBe(24);
      expect(b.layers).toEqual([
        'conv1',
        'g1b1_conv1',
        'g1b1_conv2',
        'g2b1_conv1',
        'g2b1_conv2',
        'g2b1_shortcut',
        'g3b1_conv1',
        'g3b1_conv2',
        'g3b1_shortcut',
      ]);
      expect(b.weightNorm).toHaveLength(9);
      expect(b.gradNorm).toHaveLength(9);
      expect(b.gradNorm!.every((g) => g > 0)).toBe(true);
    }

    // The last point's numbers are the final weights', measured again here by hand.
    const model = on.trainer.model;
    const last = on.blocks.at(-1)!;
    const pixels = new Uint8Array(24 * RECORD_PIXELS);
    data.test.gather(
      Int32Array.from({ length: 24 }, (_, i) => i),
      pixels,
      new Int32Array(24),
    );
    const ratios = tf.tidy(() => tf.mean(forwardWithRatios(model, architectureOf(model), toNormalisedImages(pixels, 24)).ratios, 1));
    const expected = Array.from(await ratios.data());
    ratios.dispose();
    last.residualRatio.forEach((r, i) => expect(r).toBeCloseTo(expected[i]!, 5));
    const norms = await Promise.all(last.layers.map(async (n) => Math.sqrt((await tf.sum(tf.square(model.getLayer(n).getWeights()[0]!)).data())[0]!)));
    last.weightNorm.forEach((w, i) => expect(w).toBeCloseTo(norms[i]!, 4));

    // probe=0: no blocks points, and the same training and evaluations to the bit
    const off = await train(config({ probe: 0 }));
    expect(off.blocks).toEqual([]);
    expect(off.steps.map((s) => s.loss)).toEqual(on.steps.map((s) => s.loss));
    expect(off.evals.map((e) => [e.testLoss, e.testAccuracy, e.confusion])).toEqual(on.evals.map((e) => [e.testLoss, e.testAccuracy, e.confusion]));
    for (const t of [on.trainer, off.trainer]) t.dispose();
  });

  it('a probe larger than the test subset is measured on the whole subset; a stop evaluates without a gradient', async () => {
    const points: MetricPoint[] = [];
    const trainer = new Trainer({
      config: config({ probe: 500, evalEvery: 3 }),
      ...data,
      trainImages: 64,
      onMetrics: (p) => {
        points.push(...p);
        if (p.some((x) => x.kind === 'step' && x.step === 1)) trainer.stop();
      },
    });
    await trainer.run();
    const blocks = points.filter((p): p is BlockPoint => p.kind === 'blocks');
    expect(blocks.map((b) => [b.step, b.probeImages, b.gradNorm])).toEqual([[1, 40, null]]);
    trainer.dispose();
  });
});
