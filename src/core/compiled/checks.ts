/**
 * Checks of the compiled step against tfjs on the current WebGPU backend, shared by the Node tests (a few shapes)
 * and scripts/check-compiled.ts (every shape): a convolution's three kernels against tfjs's conv2d and its
 * gradients, and a whole WRN's weight gradients against tfjs autograd. Each returns relative errors by output name
 * (max |ours - tfjs| / max |tfjs|) and frees what it made.
 */
import * as tf from '@tensorflow/tfjs';
import { augmentBatch, drawAugmentation, toNormalisedImages } from '../augment';
import type { ModelConfig } from '../config';
import { RECORD_PIXELS, type ImageSource } from '../data/dataset';
import { BlockDropout } from '../dropout';
import { dropoutKeys } from '../dropoutHash';
import { buildWrn, NUM_CLASSES } from '../model';
import { wrnArchitecture } from '../shape';
import { convFilterGrad, convForward, convInputGrad, type ConvGeometry, filterGradShape, splitKReduce } from './conv';
import { CompiledEngine } from './engine';
import { relativeError, type TinyExecutor } from './testing';

const data = async (t: tf.Tensor) => (await t.data()) as Float32Array;

/**
 * A convolution's forward pass (plain, with a residual, added to what the output holds), filter gradient and, unless
 * the input has 3 channels (the stem, whose input gradient nobody needs), input gradient, against tfjs.
 */
export async function compareConv(exec: TinyExecutor, g: ConvGeometry): Promise<Record<string, number>> {
  const seed = g.cin * 7 + g.cout + g.batch;
  const x = tf.randomNormal([g.batch, g.inSize, g.inSize, g.cin], 0, 1, 'float32', seed);
  const w = tf.randomNormal([g.kernel, g.kernel, g.cin, g.cout], 0, 0.2, 'float32', seed + 1);
  const dy = tf.randomNormal([g.batch, g.outSize, g.outSize, g.cout], 0, 1, 'float32', seed + 2);
  const res = tf.randomNormal(dy.shape, 0, 1, 'float32', seed + 3);
  const conv = (a: tf.Tensor, f: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, g.stride, 'same');
  const y = conv(x, w);
  const withRes = tf.add(y, res);
  const dw = tf.tidy(() => tf.grad((f: tf.Tensor) => tf.sum(tf.mul(conv(x, f), dy)))(w));
  const dx = tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(conv(a, w), dy)))(x));
  try {
    const [xs, ws, dys, ress] = await Promise.all([x, w, dy, res].map(async (t) => exec.upload(await data(t))));
    const out = exec.upload(y.size);
    const outRes = exec.upload(y.size);
    const outAdd = exec.upload(await data(res));
    const f = filterGradShape(g);
    const partials = exec.upload(f.split.slices * f.M * f.N);
    const dws = exec.upload(w.size);
    const dxs = exec.upload(x.size);
    const withInput = g.cin % 4 === 0;
    await exec.run(
      convForward('forward', g, { a: xs!, b: ws!, out }),
      convForward('forward + residual', g, { a: xs!, b: ws!, out: outRes, residual: ress! }, 'residual'),
      convForward('forward, added', g, { a: xs!, b: ws!, out: outAdd }, 'add'),
      convFilterGrad('filter gradient', g, { a: xs!, b: dys!, out: f.split.slices > 1 ? partials : dws }),
      ...(f.split.slices > 1 ? [splitKReduce('filter gradient sum', f.M * f.N, f.split.slices, partials, dws)] : []),
      ...(withInput ? [convInputGrad('input gradient', g, { a: dys!, b: ws!, out: dxs })] : []),
    );
    const errors: Record<string, number> = {
      forward: relativeError(await exec.read(out, y.size), await data(y)),
      'forward + residual': relativeError(await exec.read(outRes, y.size), await data(withRes)),
      'forward, added': relativeError(await exec.read(outAdd, y.size), await data(withRes)),
      [`filter gradient (${f.split.slices} slices)`]: relativeError(await exec.read(dws, w.size), await data(dw)),
    };
    if (withInput) errors['input gradient'] = relativeError(await exec.read(dxs, x.size), await data(dx));
    return errors;
  } finally {
    tf.dispose([x, w, dy, res, y, withRes, dw, dx]);
  }
}

export interface GradientCheck {
  /** the batch's loss, ours and tfjs's */
  loss: { ours: number; tfjs: number };
  /** relative error of each trainable weight's gradient, then of each running statistic after the pass */
  errors: Record<string, number>;
}

/**
 * One training-mode forward and backward pass of WRN-d-k (seeded weights, dropout as the model says) on the first
 * `batch` records of `train`, cropped and flipped: the compiled step's weight gradients (its optimizer left out)
 * against tfjs autograd's, and the running statistics each leaves.
 */
export async function compareWrnGradients(device: GPUDevice, m: ModelConfig, batch: number, train: ImageSource, seed = 3): Promise<GradientCheck> {
  const model = buildWrn(m, { seed });
  const engine = await CompiledEngine.create(device, {
    arch: wrnArchitecture(m),
    batch,
    recipe: { momentum: 0.9, nesterov: true, wd: 5e-4 },
    augment: true,
    evalBatch: batch,
    metricSlots: 4,
  });
  const x: tf.Tensor[] = [];
  try {
    engine.setState(
      await Promise.all(
        model.weights.map(async (w) => ({ name: w.originalName, shape: w.shape as number[], dtype: 'float32' as const, data: await data(w.read()) })),
      ),
      null,
    );
    const views = engine.batchViews();
    train.gather(
      Array.from({ length: batch }, (_, i) => i % train.available()),
      views.pixels,
      views.labels,
    );
    const pixels = views.pixels.slice(0, batch * RECORD_PIXELS);
    const labels = Int32Array.from(views.labels);
    const draw = drawAugmentation(batch, 1234);
    const layers = model.layers.filter((l): l is BlockDropout => l instanceof BlockDropout);
    // each layer's next mask: the tfjs pass below draws the same ones (its counters are still where they were)
    engine.gradientsOnly(
      draw,
      layers.map((l) => dropoutKeys(l.seed * 1_000_003 + l.masksDrawn, l.rate)),
    );
    const ours = await engine.readGradients();
    const metrics = await engine.readMetrics()!;
    const state = await engine.readState();
    const input = augmentBatch(toNormalisedImages(pixels, batch), draw);
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), NUM_CLASSES);
    x.push(input, oneHot);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(oneHot, model.apply(input, { training: true }) as tf.Tensor) as tf.Scalar,
      vars,
    );
    x.push(value, ...Object.values(grads));
    const errors: Record<string, number> = {};
    for (const w of model.trainableWeights) {
      const mine = ours.get(w.originalName);
      if (!mine) throw new Error(`the compiled step has no gradient for ${w.originalName}`);
      errors[w.originalName] = relativeError(mine, await data(grads[(w.read() as tf.Variable).name]!));
    }
    for (const w of model.weights.filter((w) => !w.trainable)) {
      const a = state.weights.find((s) => s.name === w.originalName);
      if (!a) throw new Error(`the compiled step has no ${w.originalName}`);
      errors[w.originalName] = relativeError(a.data, await data(w.read()));
    }
    return { loss: { ours: metrics.losses[0]!, tfjs: (await data(value))[0]! }, errors };
  } finally {
    tf.dispose(x);
    engine.dispose();
    model.dispose();
  }
}
