/**
 * The block-wise views' computations on small WRNs with fixed weights (seeded, with batch-norm statistics set away
 * from their initial values), on real CIFAR-10 test images: the forward pass block by block against the model's
 * own, the residual ratio against a second computation written with plain tf ops, lesions against nets built
 * without the removed branches, and the feature maps.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setUpBackend } from '../../node/backend';
import { loadCifarFromPath } from '../../node/localData';
import { toNormalisedImages } from '../augment';
import { RECORD_PIXELS, type ImageSource } from '../data/dataset';
import { DATA_DIR } from '../../../test/fixtures/data';
import { buildWrn } from '../model';
import { mulberry32 } from '../rng';
import { IMAGE_SIZE, wrnArchitecture, type WrnArchitecture } from '../shape';
import { featureMaps, FEATURE_CHANNELS } from './features';
import { architectureOf, forwardWithRatios, wrnForward } from './forward';
import { convLayerNames } from './layerStats';
import { lesionSets, lesionStudy, lesionedAccuracy } from './lesion';

beforeAll(async () => {
  expect((await setUpBackend('wasm')).backend).toBe('wasm');
});

/** A seeded WRN whose batch norms have non-trivial running statistics and affine weights. */
function fixedWrn(depth: number, width: number, seed = 1): tf.LayersModel {
  const model = buildWrn({ depth, width, dropout: 0 }, { seed });
  const rand = mulberry32(seed + 99);
  for (const layer of model.layers) {
    if (!/_bn\d$|^final_bn$/.test(layer.name)) continue;
    const c = layer.getWeights()[0]!.shape[0]!;
    const vec = (lo: number, hi: number) => tf.tensor1d(Array.from({ length: c }, () => lo + (hi - lo) * rand()));
    // gamma, beta, moving mean, moving variance
    layer.setWeights([vec(0.5, 1.5), vec(-0.2, 0.2), vec(-0.3, 0.3), vec(0.5, 2)]);
  }
  return model;
}

let test: ImageSource;
const IMAGES = 24;
function images(n = IMAGES): tf.Tensor4D {
  const pixels = new Uint8Array(n * RECORD_PIXELS);
  test.gather(
    Int32Array.from({ length: n }, (_, i) => i),
    pixels,
    new Int32Array(n),
  );
  return toNormalisedImages(pixels, n);
}

beforeAll(async () => {
  const load = loadCifarFromPath(DATA_DIR, { train: 1, test: 60, subset: 'first' });
  await load.done;
  test = load.test;
});

/** The per-image ratio of every block computed again with plain tf ops from the layers' weights. */
function plainRatios(model: tf.LayersModel, arch: WrnArchitecture, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const w = (name: string) => model.getLayer(name).getWeights();
    const bn = (name: string, t: tf.Tensor4D) => {
      const [gamma, beta, mean, variance] = w(name) as tf.Tensor1D[];
      return tf.relu(tf.batchNorm(t, mean!, variance!, beta!, gamma!, 1e-5)) as tf.Tensor4D;
    };
    const conv = (name: string, t: tf.Tensor4D, stride: number) => tf.conv2d(t, w(name)[0] as tf.Tensor4D, stride, 'same');
    const norm = (t: tf.Tensor) => tf.sqrt(tf.sum(tf.square(t), [1, 2, 3]));
    let h = conv('conv1', x, 1);
    const rows: tf.Tensor[] = [];
    for (const b of arch.blocks) {
      const pre = bn(b.bn1.name, h);
      const f = conv(b.conv2.name, bn(b.bn2.name, conv(b.conv1.name, pre, b.conv1.stride)), 1);
      const s = b.shortcut ? conv(b.shortcut.name, pre, b.shortcut.stride) : h;
      rows.push(tf.div(norm(f), norm(s)));
      h = tf.add(f, s);
    }
    return tf.stack(rows) as tf.Tensor2D;
  });
}

describe('the forward pass block by block', () => {
  it('gives the model its own logits, also with projection shortcuts (WRN-16-2)', async () => {
    for (const [d, k] of [
      [10, 1],
      [16, 2],
    ] as const) {
      const model = fixedWrn(d, k);
      const arch = architectureOf(model);
      expect(arch.blocks.map((b) => b.id)).toEqual(wrnArchitecture({ depth: d, width: k, dropout: 0 }).blocks.map((b) => b.id));
      const x = images();
      const ours = tf.tidy(() => wrnForward(model, arch, x));
      const theirs = model.predict(x) as tf.Tensor;
      expect(Array.from(await ours.data())).toEqual(Array.from(await theirs.data()));
      tf.dispose([x, ours, theirs]);
      model.dispose();
    }
  });

  it('frees each activation once used: the live tensors stay few, and none leak', async () => {
    const model = fixedWrn(16, 2);
    const arch = architectureOf(model);
    const x = images();
    const before = tf.memory().numTensors;
    let most = 0;
    const logits = tf.tidy(() =>
      wrnForward(model, arch, x, {
        onBlock: () => (most = Math.max(most, tf.memory().numTensors - before)),
        lesion: new Set(['g2b2']),
      }),
    );
    // a block holds its input, its pre-activation's output and the branch: a handful, not the whole net's 40
    expect(most).toBeLessThanOrEqual(8);
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('r_b equals a plain second computation with tf ops within 1e-5', async () => {
    const model = fixedWrn(16, 2);
    const arch = architectureOf(model);
    const x = images();
    const { ratios, plain } = tf.tidy(() => ({ ratios: forwardWithRatios(model, arch, x).ratios, plain: plainRatios(model, arch, x) }));
    expect(ratios.shape).toEqual([6, IMAGES]);
    const [a, b] = [await ratios.data(), await plain.data()];
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
    // not a degenerate case: the ratios differ between blocks and are of order one
    expect(Math.max(...a)).toBeGreaterThan(0.05);
    tf.dispose([x, ratios, plain]);
    model.dispose();
  });

  it("a block whose residual branch's last convolution is zero has r_b = 0 exactly, and deleting it changes no logit", async () => {
    const model = fixedWrn(16, 1);
    const arch = architectureOf(model);
    const conv2 = model.getLayer('g2b2_conv2');
    conv2.setWeights([tf.zerosLike(conv2.getWeights()[0]!)]);
    const x = images();
    const { ratios, intact, lesioned, other } = tf.tidy(() => ({
      ratios: forwardWithRatios(model, arch, x).ratios,
      intact: wrnForward(model, arch, x),
      lesioned: wrnForward(model, arch, x, { lesion: new Set(['g2b2']) }),
      other: wrnForward(model, arch, x, { lesion: new Set(['g2b1']) }),
    }));
    const r = (await ratios.array()) as number[][];
    expect(r[arch.blocks.findIndex((b) => b.id === 'g2b2')]!.every((v) => v === 0)).toBe(true);
    expect(r[0]!.every((v) => v > 0)).toBe(true);
    expect(Array.from(await lesioned.data())).toEqual(Array.from(await intact.data()));
    // a block that does contribute changes them
    expect(Array.from(await other.data())).not.toEqual(Array.from(await intact.data()));
    tf.dispose([x, ratios, intact, lesioned, other]);
    model.dispose();
  });

  it('deleting every block equals a separately built shortcut-only net', async () => {
    const model = fixedWrn(16, 2);
    const arch = architectureOf(model);
    // The net without residual branches: conv1, then only each block's shortcut (identity, or the projection of
    // its pre-activated input), then the head; its weights are copied by layer name.
    const input = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 3] });
    const copy = (l: tf.layers.Layer): tf.layers.Layer => {
      const c = l.getConfig() as { filters?: number; kernelSize?: number[]; strides?: number[] };
      if (l.name === 'pool') return tf.layers.globalAveragePooling2d({});
      if (l.name === 'logits') return tf.layers.dense({ units: 10 });
      if (l.name.endsWith('relu1') || l.name === 'final_relu') return tf.layers.reLU();
      if (l.name.includes('bn')) return tf.layers.batchNormalization({ epsilon: 1e-5 });
      return tf.layers.conv2d({ filters: c.filters!, kernelSize: c.kernelSize!, strides: c.strides!, padding: 'same', useBias: false });
    };
    const pairs: [tf.layers.Layer, tf.layers.Layer][] = [];
    const via = (name: string, t: tf.SymbolicTensor) => {
      const l = model.getLayer(name);
      const made = copy(l);
      pairs.push([made, l]);
      return made.apply(t) as tf.SymbolicTensor;
    };
    let h = via('conv1', input);
    for (const b of arch.blocks) {
      if (b.shortcut) h = via(b.shortcut.name, via(`${b.id}_relu1`, via(b.bn1.name, h)));
    }
    const out = via('logits', via('pool', via('final_relu', via('final_bn', h))));
    const plain = tf.model({ inputs: input, outputs: out });
    for (const [made, l] of pairs) made.setWeights(l.getWeights());

    const all = new Set(arch.blocks.map((b) => b.id));
    const x = images();
    const [ours, theirs] = tf.tidy(() => [wrnForward(model, arch, x, { lesion: all }), plain.predict(x) as tf.Tensor]);
    const [a, b] = [await ours!.data(), await theirs!.data()];
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
    // and so the same accuracy on the test images
    const labels = new Int32Array(60);
    test.gather(
      Int32Array.from({ length: 60 }, (_, i) => i),
      new Uint8Array(60 * RECORD_PIXELS),
      labels,
    );
    const plainAcc = tf.tidy(() => {
      const pixels = new Uint8Array(60 * RECORD_PIXELS);
      test.gather(
        Int32Array.from({ length: 60 }, (_, i) => i),
        pixels,
        new Int32Array(60),
      );
      const logits = plain.predict(toNormalisedImages(pixels, 60)) as tf.Tensor2D;
      return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(labels, 'int32')), 'int32')).dataSync()[0]! / 60;
    });
    expect(await lesionedAccuracy(model, arch, test, all, { images: 60, chunk: 25 })).toBe(plainAcc);
    tf.dispose([x, ours!, theirs!]);
    plain.dispose();
    model.dispose();
  });

  it('architectureOf refuses a model that is not a WRN as the builder names it', () => {
    const input = tf.input({ shape: [32, 32, 3] });
    const other = tf.model({ inputs: input, outputs: tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'x' }).apply(input) as tf.SymbolicTensor });
    expect(() => architectureOf(other)).toThrow(RangeError);
    other.dispose();
  });
});

describe('the lesion study', () => {
  it('draws distinct, seeded sets of k blocks, and every set when there are few', () => {
    const plan = lesionSets(9, 5, 3, 0);
    expect(plan.map((p) => p.k)).toEqual([1, 2, 3, 4, 5]);
    for (const { k, sets } of plan) {
      expect(sets).toHaveLength(3);
      expect(new Set(sets.map((s) => s.join())).size).toBe(3);
      for (const s of sets) {
        expect(s).toHaveLength(k);
        expect(new Set(s).size).toBe(k);
        expect(s.every((i) => i >= 0 && i < 9)).toBe(true);
      }
    }
    expect(lesionSets(9, 5, 3, 0)).toEqual(plan);
    expect(lesionSets(9, 5, 3, 1)).not.toEqual(plan);
    // WRN-10-k: 3 blocks, so k <= 3, and every set of k is taken when there are at most 3
    expect(lesionSets(3, 5, 3, 0)).toEqual([
      { k: 1, sets: [[0], [1], [2]] },
      {
        k: 2,
        sets: [
          [0, 1],
          [0, 2],
          [1, 2],
        ],
      },
      { k: 3, sets: [[0, 1, 2]] },
    ]);
  });

  it('gives one entry per block and per k, each an accuracy, with progress, and can be cancelled', async () => {
    const model = fixedWrn(16, 1);
    const progress: [number, number][] = [];
    const r = await lesionStudy(model, test, { images: 40, chunk: 20, name: 'WRN-16-1', onProgress: (d, t) => progress.push([d, t]) });
    expect(r.model).toBe('WRN-16-1');
    expect(r.testImages).toBe(40);
    expect(r.blocks.map((b) => b.block)).toEqual(['g1b1', 'g1b2', 'g2b1', 'g2b2', 'g3b1', 'g3b2']);
    expect(r.random.map((x) => x.k)).toEqual([1, 2, 3, 4, 5]);
    for (const a of [r.intact.testAccuracy, ...r.blocks.map((b) => b.testAccuracy)]) expect(Number.isInteger(Math.round(a * 40 * 1e6) / 1e6)).toBe(true);
    for (const a of [r.intact.testAccuracy, ...r.blocks.map((b) => b.testAccuracy), ...r.random.map((x) => x.testAccuracy)]) {
      expect(a).toBeGreaterThanOrEqual(0);
      expect(a).toBeLessThanOrEqual(1);
    }
    // k = 1 draws single blocks, already evaluated: its mean is one of theirs
    const singles = r.blocks.map((b) => b.testAccuracy);
    expect(r.random[0]!.testAccuracy).toBeGreaterThanOrEqual(Math.min(...singles));
    expect(r.random[0]!.testAccuracy).toBeLessThanOrEqual(Math.max(...singles));
    // k = 1 is the mean of 3 single-block lesions, which were evaluated already
    const total = progress.at(-1)![1];
    expect(progress[0]).toEqual([0, total]);
    expect(progress.at(-1)).toEqual([total, total]);
    expect(total).toBeLessThanOrEqual(1 + 6 + 3 * 4);

    const abort = new AbortController();
    const cancelled = lesionStudy(model, test, {
      images: 40,
      chunk: 20,
      signal: abort.signal,
      onProgress: (done) => {
        if (done === 2) abort.abort(new Error('cancelled'));
      },
    });
    await expect(cancelled).rejects.toThrow('cancelled');
    model.dispose();
  });
});

describe('layers and feature maps', () => {
  it('lists every convolution in the builder order', () => {
    const arch = wrnArchitecture({ depth: 10, width: 2, dropout: 0 });
    expect(convLayerNames(arch)).toEqual([
      'conv1',
      'g1b1_conv1',
      'g1b1_conv2',
      'g1b1_shortcut',
      'g2b1_conv1',
      'g2b1_conv2',
      'g2b1_shortcut',
      'g3b1_conv1',
      'g3b1_conv2',
      'g3b1_shortcut',
    ]);
  });

  it('shows the 16 most active channels after each group, in order, as maps of 32, 16 and 8 pixels', async () => {
    const model = fixedWrn(10, 2);
    const pixels = new Uint8Array(RECORD_PIXELS);
    test.gather([3], pixels, new Int32Array(1));
    const groups = await featureMaps(model, pixels);
    expect(groups.map((g) => [g.group, g.size, g.channels, g.maps.length])).toEqual([
      [1, 32, 32, FEATURE_CHANNELS],
      [2, 16, 64, FEATURE_CHANNELS],
      [3, 8, 128, FEATURE_CHANNELS],
    ]);
    // group 1's activation is g2b1's pre-activation: check the picked channels against it
    const arch = architectureOf(model);
    const pre = tf.tidy(() => {
      let captured: tf.Tensor | null = null;
      wrnForward(model, arch, toNormalisedImages(pixels, 1), { onGroup: (g, a) => (g === 1 ? (captured = tf.keep(a.clone())) : undefined) });
      return captured!;
    });
    const means = Array.from(await tf.tidy(() => tf.mean(pre, [0, 1, 2])).data());
    const best = means
      .map((m, c) => [m, c] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, FEATURE_CHANNELS);
    const g1 = groups[0]!;
    expect(g1.maps.map((m) => m.channel)).toEqual(best.map(([, c]) => c));
    for (const m of g1.maps) {
      expect(m.values).toHaveLength(32 * 32);
      expect(Math.min(...m.values)).toBeGreaterThanOrEqual(0);
      expect(m.values.reduce((a, b) => a + b, 0) / m.values.length).toBeCloseTo(m.mean, 4);
    }
    expect(g1.max).toBe(Math.max(...g1.maps.flatMap((m) => Array.from(m.values))));
    pre.dispose();
    model.dispose();
  });
});
