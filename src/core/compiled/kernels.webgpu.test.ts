/**
 * Each kernel of the compiled step against tfjs's own op on WebGPU in Node (Dawn; SwiftShader without a GPU), on
 * representative WRN layer shapes: the stem from 3 channels, 3x3 at stride 1 and 2, 1x1 projections at stride 1
 * and 2, an unaligned width (48); batch norm in training with and without dropout (masks bit for bit) and in
 * evaluation; the head; the input pipeline; the optimizer. Relative error: max |ours - tfjs| / max |tfjs| < 1e-4.
 * Exhaustive shapes and batches: scripts/check-compiled.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCifarFromPath } from '../../node/localData';
import { augmentBatch, drawAugmentation, toNormalisedImages } from '../augment';
import { batchNormTrain } from '../batchNorm';
import { DATA_DIR } from '../../../test/fixtures/data';
import { needNodeWebGpu } from '../../../test/fixtures/requirements';
import { activeGpuDevice } from '../deviceWatch';
import { applyDropout } from '../dropout';
import { dropoutKeys, keepElement } from '../dropoutHash';
import { installWebGpuKernels } from '../kernels/webgpu/install';
import { bnApply, bnBackwardFinish, bnBackwardInput, bnBackwardStats, bnFinish, bnInfer, bnStats, partialFloats } from './batchNorm';
import { type ConvGeometry, filterGradShape } from './conv';
import { headBackward, headForward } from './head';
import { batchLayout, inputKernel } from './input';
import { sgdKernel } from './optimizer';
import { compareConv, relativeError, TinyExecutor } from '../../../test/fixtures/compiled';
import { stepUniformBytes } from './wgsl';

const TOLERANCE = 1e-4;
let gpu = false;
let exec: TinyExecutor;

beforeAll(async () => {
  gpu = await needNodeWebGpu(); // under CI=true a missing adapter fails here
  if (gpu) {
    exec = new TinyExecutor(activeGpuDevice()!);
    installWebGpuKernels('tfjs'); // the references are tfjs-webgpu's own kernels
  }
}, 300_000);

afterAll(() => {
  exec?.dispose();
  if (gpu) installWebGpuKernels('ours');
});

const data = async (t: tf.Tensor) => (await t.data()) as Float32Array;

/** The representative shapes (batch 2, or 1 for the largest). */
const CONVS: Record<string, ConvGeometry> = {
  'stem 3 -> 16, 3x3/1 at 32x32': { batch: 2, inSize: 32, outSize: 32, cin: 3, cout: 16, kernel: 3, stride: 1 },
  '3x3/2 16 -> 32 at 32x32': { batch: 2, inSize: 32, outSize: 16, cin: 16, cout: 32, kernel: 3, stride: 2 },
  '1x1/2 projection 32 -> 64 at 16x16': { batch: 2, inSize: 16, outSize: 8, cin: 32, cout: 64, kernel: 1, stride: 2 },
  '1x1/1 projection 16 -> 64 at 32x32': { batch: 1, inSize: 32, outSize: 32, cin: 16, cout: 64, kernel: 1, stride: 1 },
  '3x3/1 width 48 at 8x8': { batch: 2, inSize: 8, outSize: 8, cin: 48, cout: 48, kernel: 3, stride: 1 },
};

describe('convolutions: one implicit GEMM, three index maps', () => {
  for (const [name, g] of Object.entries(CONVS)) {
    it(`${name}: forward (plain, + residual, added), input gradient and filter gradient within 1e-4 of tfjs`, async (ctx) => {
      if (!gpu) ctx.skip();
      const errors = await compareConv(exec, g);
      expect(Object.keys(errors)).toHaveLength(g.cin === 3 ? 4 : 5);
      for (const [what, e] of Object.entries(errors)) expect(e, what).toBeLessThan(TOLERANCE);
    }, 300_000);
  }

  it('splits K for the filter gradient where the grid would be small, and covers K once', () => {
    for (const g of Object.values(CONVS)) {
      const f = filterGradShape({ ...g, batch: 64 });
      expect(f.split.kPerSlice % f.tiles.TK).toBe(0);
      expect(f.split.slices * f.split.kPerSlice).toBeGreaterThanOrEqual(f.K);
      expect((f.split.slices - 1) * f.split.kPerSlice).toBeLessThan(f.K);
    }
    expect(filterGradShape(CONVS['stem 3 -> 16, 3x3/1 at 32x32']!).split.slices).toBeGreaterThan(1);
  });
});

describe('batch norm + ReLU (+ dropout)', () => {
  const shape = [2, 8, 8, 48];
  const rows = 2 * 8 * 8;
  const C = 48;
  const eps = 1e-5;

  /** gamma then beta at 64 floats (the layout's alignment), and the running mean then variance likewise */
  const paramsOf = (gamma: Float32Array, beta: Float32Array) => {
    const p = new Float32Array(128);
    p.set(gamma, 0);
    p.set(beta, 64);
    return p;
  };

  for (const rate of [0, 0.3]) {
    it(`training forward and backward${rate ? ` with dropout ${rate} (the mask bit for bit)` : ''}, running statistics as tfjs updates them`, async (ctx) => {
      if (!gpu) ctx.skip();
      const x = tf.randomNormal(shape, 0.5, 2, 'float32', 11);
      const gamma = tf.randomNormal([C], 1, 0.3, 'float32', 12) as tf.Tensor1D;
      const beta = tf.randomNormal([C], 0, 0.3, 'float32', 13) as tf.Tensor1D;
      const dy = tf.randomNormal(shape, 0, 1, 'float32', 14);
      const keys = rate ? dropoutKeys(987654321, rate) : null;
      const forward = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const z = tf.relu(batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D, eps, 'ops').y);
        return rate ? applyDropout(z, rate, 987654321) : z;
      };
      const {
        y: ref,
        mean,
        variance,
      } = tf.tidy(() => {
        const o = batchNormTrain(x, gamma, beta, eps, 'ops');
        const z = tf.relu(o.y);
        return { y: rate ? applyDropout(z, rate, 987654321) : z, mean: o.mean, variance: o.variance };
      });
      const [dx, dgamma, dbeta] = tf.grads(forward)([x, gamma, beta], dy);
      const xs = exec.upload(await data(x));
      const params = exec.upload(paramsOf(await data(gamma), await data(beta)));
      const running = exec.upload(Float32Array.from({ length: 128 }, (_, i) => (i < 64 ? 0.1 : 1)));
      const stats = exec.upload(2 * C);
      const partials = exec.upload(partialFloats({ rows, channels: C }));
      const out = exec.upload(x.size);
      const uniform = new Uint32Array(stepUniformBytes(1) / 4);
      if (keys) uniform.set([keys.key0, keys.key1], 4);
      const u = exec.uniform(uniform.buffer);
      const g = { rows, channels: C };
      const dropout = keys ? { threshold: keys.threshold, scale: keys.scale, keyIndex: 0, keyCount: 1, uniform: u } : undefined;
      const grads = exec.upload(128);
      const d = exec.upload(await data(dy));
      const P = { slice: params, betaOffset: 64 };
      await exec.run(
        bnStats('stats', g, xs, partials),
        bnFinish('finish', g, partials, stats, { slice: running, varianceOffset: 64 }, 0.1),
        bnApply('apply', g, { x: xs, out, params: P, batchStats: stats, ...(dropout ? { dropout } : {}) }, eps),
        bnBackwardStats('backward stats', g, { src: { dy: d }, a: out, x: xs, batchStats: stats, partials }, keys?.scale ?? 1),
        bnBackwardFinish('backward finish', g, { partials, batchStats: stats, grads: { slice: grads, betaOffset: 64 } }, eps),
        bnBackwardInput(
          'backward input',
          g,
          { src: { dy: d }, out: 'in-place', a: out, x: xs, params: P, batchStats: stats, grads: { slice: grads, betaOffset: 64 } },
          eps,
          keys?.scale ?? 1,
        ),
      );
      const ours = await exec.read(out, x.size);
      const refY = await data(ref);
      expect(relativeError(ours, refY), 'y').toBeLessThan(TOLERANCE);
      const s = await exec.read(stats, 2 * C);
      expect(relativeError(s.subarray(0, C), await data(mean)), 'mean').toBeLessThan(TOLERANCE);
      expect(relativeError(s.subarray(C), await data(variance)), 'variance').toBeLessThan(TOLERANCE);
      const r = await exec.read(running, 128);
      const m = await data(mean);
      const v = await data(variance);
      expect(
        relativeError(
          r.subarray(0, C),
          Array.from(m, (b) => 0.1 - (0.1 - b) * 0.1),
        ),
        'running mean',
      ).toBeLessThan(TOLERANCE);
      expect(
        relativeError(
          r.subarray(64, 64 + C),
          Array.from(v, (b) => 1 - (1 - b) * 0.1),
        ),
        'running variance',
      ).toBeLessThan(TOLERANCE);
      const gr = await exec.read(grads, 128);
      expect(relativeError(gr.subarray(0, C), await data(dgamma!)), 'dgamma').toBeLessThan(TOLERANCE);
      expect(relativeError(gr.subarray(64, 64 + C), await data(dbeta!)), 'dbeta').toBeLessThan(TOLERANCE);
      expect(relativeError(await exec.read(d, x.size), await data(dx!)), 'dx').toBeLessThan(TOLERANCE);
      if (keys) {
        // Where the ReLU passed a value, the kept elements are exactly the hash's, bit for bit as on every backend.
        const plain = await data(tf.relu(batchNormTrain(x, gamma, beta, eps, 'ops').y));
        let checked = 0;
        for (let i = 0; i < ours.length; i++) {
          if (!(plain[i]! > 0)) continue;
          checked++;
          if ((ours[i] !== 0) !== keepElement(i, keys)) throw new Error(`element ${i}: kept ${ours[i] !== 0}, the hash says ${keepElement(i, keys)}`);
          if ((refY[i] !== 0) !== keepElement(i, keys)) throw new Error(`element ${i}: tfjs kept ${refY[i] !== 0}, the hash says ${keepElement(i, keys)}`);
        }
        expect(checked).toBeGreaterThan(ours.length / 3);
      }
      tf.dispose([x, gamma, beta, dy, ref, mean, variance, dx!, dgamma!, dbeta!]);
    }, 300_000);
  }

  it('evaluation with the running statistics', async (ctx) => {
    if (!gpu) ctx.skip();
    const x = tf.randomNormal(shape, 0.5, 2, 'float32', 21);
    const gamma = tf.randomNormal([C], 1, 0.3, 'float32', 22);
    const beta = tf.randomNormal([C], 0, 0.3, 'float32', 23);
    const rm = tf.randomNormal([C], 0.3, 0.3, 'float32', 24);
    const rv = tf.randomUniform([C], 0.5, 3, 'float32', 25);
    const ref = tf.tidy(() => tf.relu(tf.batchNorm(x, rm, rv, beta, gamma, eps)));
    const running = new Float32Array(128);
    running.set(await data(rm), 0);
    running.set(await data(rv), 64);
    const out = exec.upload(x.size);
    await exec.run(
      bnInfer(
        'infer',
        { rows, channels: C },
        {
          x: exec.upload(await data(x)),
          out,
          params: { slice: exec.upload(paramsOf(await data(gamma), await data(beta))), betaOffset: 64 },
          running: { slice: exec.upload(running), varianceOffset: 64 },
        },
        eps,
      ),
    );
    expect(relativeError(await exec.read(out, x.size), await data(ref))).toBeLessThan(TOLERANCE);
    tf.dispose([x, gamma, beta, rm, rv, ref]);
  }, 300_000);
});

describe('head, input, optimizer', () => {
  it('pool, linear, softmax cross-entropy and accuracy, forward and backward', async (ctx) => {
    if (!gpu) ctx.skip();
    const [B, HW, C, K] = [3, 64, 64, 10];
    const act = tf.relu(tf.randomNormal([B, 8, 8, C], 0, 1, 'float32', 31));
    const W = tf.randomNormal([C, K], 0, 0.3, 'float32', 32);
    const b = tf.randomNormal([K], 0, 0.3, 'float32', 33);
    const labels = new Int32Array([3, 0, 9]);
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), K);
    const loss = (a: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) => tf.losses.softmaxCrossEntropy(oneHot, tf.add(tf.matMul(tf.mean(a, [1, 2]), w), bias));
    const value = loss(act, W, b);
    const [dAct, dW, db] = tf.grads(loss)([act, W, b]);
    const logits = tf.add(tf.matMul(tf.mean(act, [1, 2]), W), b);
    const predicted = await tf.argMax(logits, 1).data();
    const right = labels.filter((y, i) => predicted[i] === y).length;
    const params = new Float32Array(C * K + 64);
    params.set(await data(W), 0);
    params.set(await data(b), C * K);
    const g = { batch: B, pool: HW, channels: C, classes: K, biasOffset: C * K };
    const pooled = exec.upload(B * C);
    const dlogits = exec.upload(B * K);
    const dpool = exec.upload(B * C);
    const perImage = exec.upload(2 * B);
    const grads = exec.upload(C * K + 64);
    const metrics = exec.upload(8);
    const u = new Uint32Array(stepUniformBytes(0) / 4);
    u[1] = 2; // slot 2 of the metrics ring
    await exec.run(
      headForward('head forward', g, {
        act: exec.upload(await data(act)),
        params: exec.upload(params),
        labels: exec.upload(Uint32Array.from(labels)),
        pooled,
        dlogits,
        dpool,
        perImage,
      }),
      headBackward('head backward', g, { pooled, dlogits, perImage, grads, metrics, uniform: exec.uniform(u.buffer), keyCount: 0 }),
    );
    const m = await exec.read(metrics, 8);
    expect(Math.abs(m[4]! - (await data(value))[0]!) / (await data(value))[0]!).toBeLessThan(1e-5);
    expect(m[5]).toBe(right);
    const gr = await exec.read(grads, C * K + K);
    expect(relativeError(gr.subarray(0, C * K), await data(dW!)), 'dW').toBeLessThan(TOLERANCE);
    expect(relativeError(gr.subarray(C * K), await data(db!)), 'db').toBeLessThan(TOLERANCE);
    // the pooled gradient, broadcast over the pixels by the final batch norm's backward pass
    const dp = await exec.read(dpool, B * C);
    const broadcast = Array.from({ length: B * HW * C }, (_, i) => dp[Math.floor(i / (HW * C)) * C + (i % C)]! / HW);
    expect(relativeError(broadcast, await data(dAct!)), 'dpool').toBeLessThan(TOLERANCE);
    tf.dispose([act, W, b, oneHot, value, dAct!, dW!, db!, logits]);
  }, 300_000);

  for (const augment of [false, true]) {
    it(`the input from uint8 records${augment ? ', cropped and flipped with the seeded draws of the tfjs path' : ''}`, async (ctx) => {
      if (!gpu) ctx.skip();
      const B = 5;
      const load = loadCifarFromPath(DATA_DIR, { train: B, test: 1, subset: 'first' });
      await load.done;
      const L = batchLayout(B);
      const words = new Uint32Array(L.words);
      const pixels = new Uint8Array(words.buffer, L.pixels * 4, B * 3072);
      load.train.gather([0, 1, 2, 3, 4], pixels, new Int32Array(B));
      const draw = drawAugmentation(B, 77);
      words.set(draw.dy, L.dy);
      words.set(draw.dx, L.dx);
      words.set(draw.flip, L.flip);
      const out = exec.upload(B * 32 * 32 * 3);
      await exec.run(inputKernel('input', B, augment, { batch: exec.upload(words), out }));
      const ref = tf.tidy(() => {
        const x = toNormalisedImages(Uint8Array.from(pixels), B);
        return augment ? augmentBatch(x, draw) : x;
      });
      expect(relativeError(await exec.read(out, ref.size), await data(ref))).toBeLessThan(1e-6);
      ref.dispose();
    }, 300_000);
  }

  it('the optimizer: Nesterov momentum with weight decay, as tfjs updates each weight', async (ctx) => {
    if (!gpu) ctx.skip();
    const n = 1000;
    const rand = (s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 2);
    const [w, g, a] = [rand(1), rand(2), rand(3)];
    const h = { lr: 0.05, momentum: 0.9, wd: 5e-4 };
    const u = new Float32Array(stepUniformBytes(0) / 4);
    u[0] = h.lr;
    const ws = exec.upload(w);
    const as = exec.upload(a);
    await exec.run(
      sgdKernel(
        'sgd',
        n,
        { momentum: h.momentum, nesterov: true, wd: h.wd },
        { weights: ws, grads: exec.upload(g), momentum: as, uniform: exec.uniform(u.buffer) },
        0,
      ),
    );
    const f = Math.fround;
    const wRef = new Float32Array(n);
    const aRef = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const gi = f(g[i]! + f(w[i]! * f(h.wd)));
      aRef[i] = f(f(a[i]! * f(h.momentum)) + gi);
      wRef[i] = f(w[i]! + f(-f(h.lr) * f(gi + f(aRef[i]! * f(h.momentum)))));
    }
    expect(relativeError(await exec.read(as, n), aRef)).toBeLessThan(1e-6);
    expect(relativeError(await exec.read(ws, n), wRef)).toBeLessThan(1e-6);
  }, 300_000);
});
