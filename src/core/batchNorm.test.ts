/**
 * The hand-written batch norm against tfjs's own formulation (tf.moments + tf.batchNorm, differentiated by tfjs):
 * values and gradients on WRN's shapes for both paths (fused kernels, tfjs ops), the fused kernels on WASM too, the
 * layer's running statistics and saved form against tf.layers.batchNormalization, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchNormTrain, WrnBatchNorm, type BatchNormPath } from './batchNorm';
import { installKernels } from './kernels';
import { buildWrn } from './model';

const EPS = 1e-5;

beforeAll(async () => {
  installKernels('cpu');
  installKernels('wasm');
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Deterministic pseudo-random values (xorshift), so every element and channel differs. */
function values(n: number, seed: number, offset = 0, scale = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = offset + scale * ((s / 2 ** 32) * 2 - 1);
  }
  return out;
}

interface Case {
  x: tf.Tensor4D;
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  /** non-uniform upstream weights: the loss is sum(w * y) */
  w: tf.Tensor4D;
}

function makeCase(shape: [number, number, number, number], seed: number): Case {
  const n = shape.reduce((a, b) => a * b, 1);
  const C = shape[3];
  return {
    // a non-zero mean and a spread per channel, as a conv output has
    x: tf.tensor4d(values(n, seed, 0.7, 2.5), shape),
    gamma: tf.tensor1d(values(C, seed + 1, 1, 0.5)),
    beta: tf.tensor1d(values(C, seed + 2, 0, 0.3)),
    w: tf.tensor4d(values(n, seed + 3, 0, 1), shape),
  };
}

interface Result {
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
}

/** tfjs's BatchNormalization layer in training, as tfjs-layers composes it, differentiated by tfjs. */
async function reference(c: Case): Promise<Result> {
  const { mean, variance } = tf.moments(c.x, [0, 1, 2]);
  const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const m = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, m.mean, m.variance, b, g, EPS);
  };
  const y = f(c.x, c.gamma, c.beta);
  const grads = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(x, g, b), c.w)))([c.x, c.gamma, c.beta]);
  const out = await read(y, mean, variance, grads);
  tf.dispose([y, mean, variance, ...grads]);
  return out;
}

async function ours(c: Case, path: BatchNormPath): Promise<Result> {
  const fwd = batchNormTrain(c.x, c.gamma, c.beta, EPS, path);
  const grads = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const r = batchNormTrain(x, g as tf.Tensor1D, b as tf.Tensor1D, EPS, path);
    return tf.sum(tf.mul(r.y, c.w));
  })([c.x, c.gamma, c.beta]);
  const out = await read(fwd.y, fwd.mean, fwd.variance, grads);
  tf.dispose([fwd.y, fwd.mean, fwd.variance, ...grads]);
  return out;
}

async function read(y: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, grads: tf.Tensor[]): Promise<Result> {
  const [dx, dgamma, dbeta] = grads as [tf.Tensor, tf.Tensor, tf.Tensor];
  const f = async (t: tf.Tensor) => (await t.data()) as Float32Array;
  return { y: await f(y), mean: await f(mean), variance: await f(variance), dx: await f(dx), dgamma: await f(dgamma), dbeta: await f(dbeta) };
}

/** ||a - b|| / ||b|| */
function relErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

function expectClose(got: Result, want: Result, tol = 1e-5): void {
  for (const k of ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'] as const) {
    expect(relErr(got[k], want[k]), k).toBeLessThan(tol);
  }
}

// WRN's batch-norm shapes (NHWC): group 1 (32x32x16k), 2 (16x16x32k), 3 (8x8x64k), at several batch sizes.
const SHAPES: [number, number, number, number][] = [
  [1, 32, 32, 16],
  [4, 32, 32, 16],
  [8, 16, 16, 32],
  [32, 8, 8, 64],
  [2, 8, 8, 256],
];

describe('batchNormTrain on cpu', () => {
  for (const path of ['kernels', 'ops'] as const) {
    it.each(SHAPES)(`${path}: values and gradients equal tfjs's for [%i, %i, %i, %i]`, async (...shape) => {
      const c = makeCase(shape, shape[0] * 7 + shape[3]);
      expectClose(await ours(c, path), await reference(c));
      tf.dispose(Object.values(c));
    });
  }

  it('auto takes the fused kernels on cpu: one kernel forward, one backward', async () => {
    const c = makeCase([2, 8, 8, 16], 5);
    const kernelsOf = async (path: BatchNormPath) => {
      const info = await tf.profile(() => {
        const grads = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(batchNormTrain(x, g as tf.Tensor1D, b as tf.Tensor1D, EPS, path).y, c.w)),
        )([c.x, c.gamma, c.beta]);
        tf.dispose(grads);
      });
      return info.kernels.map((k) => k.name);
    };
    const auto = await kernelsOf('auto');
    expect(auto.filter((n) => n === 'WrnBatchNormTrain')).toHaveLength(1);
    expect(auto.filter((n) => n === 'WrnBatchNormTrainGrad')).toHaveLength(1);
    expect(auto).not.toContain('FusedBatchNorm');
    // the ops path: no fused kernel, and no Tile of its own (tfjs's gradient tiles rstd to the activation's shape;
    // the one Tile in both lists is the loss's Sum gradient)
    const ops = await kernelsOf('ops');
    expect(ops).not.toContain('WrnBatchNormTrain');
    expect(ops.filter((n) => n === 'Tile')).toHaveLength(auto.filter((n) => n === 'Tile').length);
    tf.dispose(Object.values(c));
  });

  it('leaks no tensors, in and out of a gradient tape, on both paths', () => {
    const c = makeCase([2, 8, 8, 16], 9);
    for (const path of ['kernels', 'ops'] as const) {
      const step = () => {
        const grads = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(batchNormTrain(x, g as tf.Tensor1D, b as tf.Tensor1D, EPS, path).y))([
          c.x,
          c.gamma,
          c.beta,
        ]);
        tf.dispose(grads);
        tf.tidy(() => {
          batchNormTrain(c.x, c.gamma, c.beta, EPS, path);
        });
      };
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      expect(tf.memory().numTensors, path).toBe(before);
    }
    tf.dispose(Object.values(c));
  });
});

describe('batchNormTrain on wasm (fused kernels on the heap)', () => {
  it.each(SHAPES)("values and gradients equal tfjs's (cpu) for [%i, %i, %i, %i]", async (...shape) => {
    const seed = shape[0] * 11 + shape[3];
    await tf.setBackend('cpu');
    const cc = makeCase(shape, seed);
    const want = await reference(cc);
    tf.dispose(Object.values(cc));
    await tf.setBackend('wasm');
    const cw = makeCase(shape, seed);
    const before = tf.memory().numTensors;
    expectClose(await ours(cw, 'auto'), want);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(cw));
    await tf.setBackend('cpu');
  });
});

/** Layer.dispose refuses layers never applied symbolically; their variables are what holds memory. */
function disposeLayers(...layers: tf.layers.Layer[]): void {
  for (const l of layers) for (const w of l.weights) w.dispose();
}

describe('WrnBatchNorm layer', () => {
  const shape: [number, number, number, number] = [4, 8, 8, 16];
  const args = { momentum: 0.9, epsilon: EPS };

  /** The same input through both layers, built with the same weights. */
  function pair(): { ours: tf.layers.Layer; theirs: tf.layers.Layer } {
    const ours = new WrnBatchNorm({ ...args, name: 'ours' });
    const theirs = tf.layers.batchNormalization({ axis: -1, ...args, name: 'theirs' });
    ours.build(shape);
    theirs.build(shape);
    const C = shape[3];
    const weights = [
      tf.tensor1d(values(C, 1, 1, 0.5)),
      tf.tensor1d(values(C, 2, 0, 0.3)),
      tf.tensor1d(values(C, 3, 0, 0.1)),
      tf.tensor1d(values(C, 4, 1, 0.2)),
    ];
    ours.setWeights(weights);
    theirs.setWeights(weights);
    tf.dispose(weights);
    return { ours, theirs };
  }

  for (const backend of ['cpu', 'wasm']) {
    it(`${backend}: running statistics and outputs equal tf.layers.batchNormalization's after training calls`, async () => {
      await tf.setBackend(backend);
      const { ours, theirs } = pair();
      for (let i = 0; i < 3; i++) {
        const x = tf.tensor4d(
          values(
            shape.reduce((a, b) => a * b, 1),
            20 + i,
            i,
            2,
          ),
          shape,
        );
        const a = ours.apply(x, { training: true }) as tf.Tensor;
        const b = theirs.apply(x, { training: true }) as tf.Tensor;
        expect(relErr((await a.data()) as Float32Array, (await b.data()) as Float32Array)).toBeLessThan(1e-5);
        tf.dispose([x, a, b]);
      }
      const ow = ours.getWeights();
      const tw = theirs.getWeights();
      expect(ow.map((w) => w.shape)).toEqual(tw.map((w) => w.shape));
      for (let i = 0; i < ow.length; i++) {
        expect(relErr((await ow[i]!.data()) as Float32Array, (await tw[i]!.data()) as Float32Array), ours.weights[i]!.name).toBeLessThan(1e-6);
      }
      // inference: the running statistics, as tfjs
      const x = tf.tensor4d(
        values(
          shape.reduce((a, b) => a * b, 1),
          30,
          0.5,
          1,
        ),
        shape,
      );
      const a = ours.apply(x) as tf.Tensor;
      const b = theirs.apply(x) as tf.Tensor;
      expect(relErr((await a.data()) as Float32Array, (await b.data()) as Float32Array)).toBeLessThan(1e-6);
      tf.dispose([x, a, b]);
      disposeLayers(ours, theirs);
      await tf.setBackend('cpu');
    });
  }

  it("has tfjs's weights and config, so a saved WRN loads back as tfjs's own layer with the same outputs", async () => {
    const { ours, theirs } = pair();
    expect(ours.weights.map((w) => w.originalName.replace('ours/', ''))).toEqual(theirs.weights.map((w) => w.originalName.replace('theirs/', '')));
    expect(ours.trainableWeights.length).toBe(2);
    const { name: _a, ...oc } = ours.getConfig();
    const { name: _b, ...tc } = theirs.getConfig();
    expect(oc).toEqual(tc);
    disposeLayers(ours, theirs);

    const model = buildWrn({ depth: 10, width: 1, dropout: 0 }, { seed: 4 });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
      }),
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const bn = loaded.getLayer('g1b1_bn2');
    expect(bn.getClassName()).toBe('BatchNormalization');
    expect(bn).not.toBeInstanceOf(WrnBatchNorm);
    const x = tf.tensor4d(values(2 * 32 * 32 * 3, 40), [2, 32, 32, 3]);
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });
});
