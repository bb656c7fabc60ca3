/**
 * Our WebGPU kernels (kernels/webgpu) against tfjs's own on real WebGPU in Node (Dawn; SwiftShader on a machine
 * without a GPU): batch norm in training on every batch-norm shape of WRN-10-1, 16-4, 22-3 and 28-10 (from the
 * builder) at batch 1, 3 and 8; the running statistics; the fused momentum update; the dispatches each makes; the
 * filter and input gradients on every convolution shape of the same nets (webgpuTraining.test.ts has a whole WRN).
 * Relative error is max |ours - theirs| / max |theirs| per output tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setUpBackend } from '../../../node/backend';
import { WrnBatchNorm } from '../../batchNorm';
import { MOVING_AVERAGE_KERNEL, splitRows } from './batchNorm';
import { planFilterGemm } from './convFilterGrad';
import { NAIVE_TRANSPOSE_FLAG, pickInputGradProgram, setConvInputProgram } from './convInputGrad';
import { countDispatches, type DispatchCounts } from './dispatchCount';
import {
  compareCase,
  KERNEL_TEST_NETS,
  type KernelCase,
  type KernelKind,
  kernelCases,
  type LayerShapes,
  layerShapes,
  liveCounts,
  relError,
  withKernels,
} from './kernelCases';
import { FusedMomentum } from './momentum';

const EPS = 1e-5;

let gpu = false;
let layers: LayerShapes = { batchNorm: [], conv: [] };

beforeAll(async () => {
  // the shapes come from models built on the CPU backend (WRN-28-10 has 36M weights: no need to put them on a GPU)
  await setUpBackend('cpu');
  layers = layerShapes(KERNEL_TEST_NETS);
  const choice = await setUpBackend('webgpu');
  gpu = choice.backend === 'webgpu';
}, 300_000);

/** Every case of one kernel at batch 1, 3 and 8 against tfjs's kernel: within 1e-4, nothing leaked; the worst error. */
async function checkAll(kind: KernelKind): Promise<number> {
  const before = liveCounts();
  let worst = 0;
  for (const c of kernelCases(kind, layers)) {
    const { errors } = await compareCase(c);
    c.dispose();
    for (const [name, e] of Object.entries(errors)) {
      worst = Math.max(worst, e);
      expect(e, `${name} of ${c.label}`).toBeLessThan(1e-4);
    }
  }
  expect(liveCounts()).toEqual(before);
  return worst;
}

describe('how the kernels split their work', () => {
  it('splits the filter GEMM along K into slices that cover K once, more of them for small filters', () => {
    for (const [M, N, K] of [
      [27, 16, 131072],
      [576, 64, 2048],
      [5760, 640, 512],
      [16, 32, 1],
      [864, 192, 128],
    ] as const) {
      const p = planFilterGemm(M, N, K);
      expect(p.kPerSlice % 16).toBe(0);
      expect(p.slices * p.kPerSlice).toBeGreaterThanOrEqual(K);
      expect((p.slices - 1) * p.kPerSlice).toBeLessThan(K);
    }
    expect(planFilterGemm(27, 16, 131072).slices).toBe(128); // the stem: one 32x32 tile, so K is split
    expect(planFilterGemm(5760, 640, 512).slices).toBe(1); // 3600 tiles already: no split, no finishing pass
  });

  it('splits rows into chunks that cover every row once', () => {
    for (const [rows, channels] of [
      [1, 16],
      [1024, 16],
      [131072, 16],
      [8192, 640],
      [33, 3],
    ] as const) {
      const s = splitRows(rows, channels);
      expect(s.chunks * s.chunk).toBeGreaterThanOrEqual(rows);
      expect((s.chunks - 1) * s.chunk).toBeLessThan(rows);
    }
  });
});

describe('our WebGPU kernels against tfjs-webgpu', () => {
  it('the builder gives 12 distinct batch norm shapes over WRN-10-1, 16-4, 22-3 and 28-10', () => {
    // per width k: [32,32,16], [32,32,16k], [16,16,32k], [8,8,64k]; k = 1 adds none beyond 16 at 32x32
    expect(layers.batchNorm).toHaveLength(12);
    expect(layers.batchNorm).toContainEqual([8, 8, 640]);
    expect(layers.batchNorm).toContainEqual([32, 32, 16]);
  });

  it('batch norm forward and backward: every shape at batch 1, 3 and 8 within 1e-4, no leaked tensors or buffers', async (ctx) => {
    if (!gpu) ctx.skip();
    const worst = await checkAll('batchNorm');
    console.log(`batch norm: worst relative error ${worst.toExponential(2)} over ${layers.batchNorm.length * 3} shapes`);
  }, 900_000);

  it("the filter gradient: every convolution shape at batch 1, 3 and 8 within 1e-4 of tfjs-webgpu's, no leaked tensors or buffers", async (ctx) => {
    if (!gpu) ctx.skip();
    // 3x3 stride 1 and 2, 1x1 shortcuts, the stem from 3 channels, widths 16k..64k
    const convs = layers.conv;
    expect(convs).toContainEqual({ h: 32, w: 32, cin: 3, k: 3, stride: 1, cout: 16 });
    expect(convs.some((c) => c.k === 1 && c.stride === 2)).toBe(true);
    expect(convs.some((c) => c.k === 3 && c.stride === 2)).toBe(true);
    expect(convs.some((c) => c.cout === 640)).toBe(true);
    const worst = await checkAll('convFilterGrad');
    console.log(`filter gradient: worst relative error ${worst.toExponential(2)} over ${convs.length * 3} shapes`);
  }, 1_800_000);

  it("the input gradient: tfjs's implicit GEMM on every convolution shape at batch 1, 3 and 8 within 1e-4 of tfjs's default program, no leaks", async (ctx) => {
    if (!gpu) ctx.skip();
    // the rule picks the direct program on SwiftShader: force the implicit GEMM, which a GPU runs at stride 1
    setConvInputProgram('mm');
    try {
      const worst = await checkAll('convInputGrad');
      console.log(`input gradient: worst relative error ${worst.toExponential(2)} over ${layers.conv.length * 3} shapes`);
    } finally {
      setConvInputProgram(null);
    }
  }, 1_800_000);

  it("the input gradient's program: the implicit GEMM at stride 1 on a hardware adapter, else tfjs's direct one; the flag left as it was", async (ctx) => {
    expect(pickInputGradProgram(false, [1, 1])).toBe('mm');
    expect(pickInputGradProgram(false, [2, 2])).toBe('direct');
    expect(pickInputGradProgram(true, [1, 1])).toBe('direct');
    if (!gpu) ctx.skip();
    const shape = (stride: number) => ({ h: 8, w: 8, cin: 16, k: 3, stride, cout: 32 });
    const [one, two] = kernelCases('convInputGrad', { batchNorm: [], conv: [shape(1), shape(2)] }, [2]);
    const programs = async (c: KernelCase, choice: 'ours' | 'tfjs') => {
      const counter = countDispatches();
      try {
        const [dx] = c.run(choice);
        await dx!.data();
        dx!.dispose();
        return counter.snapshot().byProgram;
      } finally {
        counter.stop();
      }
    };
    const flag = tf.env().getBool(NAIVE_TRANSPOSE_FLAG);
    // on SwiftShader (a software adapter, as here without a GPU) the rule keeps tfjs's direct program
    const info = (tf.backend() as unknown as { adapterInfo?: { architecture?: string } }).adapterInfo;
    const swiftShader = /swiftshader/i.test(info?.architecture ?? '');
    expect(await programs(one!, 'ours')).toEqual(swiftShader ? { Conv2DDerInputProgram: 1 } : { Conv2DDerInputMMProgram: 1 });
    expect(await programs(two!, 'ours')).toEqual({ Conv2DDerInputProgram: 1 });
    setConvInputProgram('mm');
    try {
      expect(await programs(one!, 'ours')).toEqual({ Conv2DDerInputMMProgram: 1 });
      expect(await programs(two!, 'ours')).toEqual({ Conv2DDerInputMMProgram: 1 });
      expect(await programs(one!, 'tfjs')).toEqual({ Conv2DDerInputProgram: 1 }); // tfjs's own kernel back: its default
    } finally {
      setConvInputProgram(null);
    }
    expect(tf.env().getBool(NAIVE_TRANSPOSE_FLAG)).toBe(flag);
    one!.dispose();
    two!.dispose();
  });

  it('batch norm costs 4 dispatches forward, 4 backward and 1 per running statistic; tfjs takes far more', async (ctx) => {
    if (!gpu) ctx.skip();
    const x = tf.randomNormal([2, 16, 16, 32], 0, 1, 'float32', 7);
    const layer = new WrnBatchNorm({ momentum: 0.9, epsilon: EPS });
    layer.apply(tf.zeros([1, 16, 16, 32])); // builds the weights
    const count = async (f: () => tf.Tensor): Promise<DispatchCounts> => {
      f().dispose(); // compile first
      const counter = countDispatches();
      try {
        const out = f();
        await out.data();
        out.dispose();
        return counter.snapshot();
      } finally {
        counter.stop();
      }
    };
    const dy = tf.onesLike(x);
    // forward in training: statistics, normalise, both running statistics
    const forward = () => layer.apply(x, { training: true }) as tf.Tensor;
    const both = () => tf.tidy(() => tf.grad((a: tf.Tensor) => layer.apply(a, { training: true }) as tf.Tensor)(x, dy));
    const oursForward = await count(forward);
    const oursBoth = await count(both);
    const theirsForward = await withKernels('tfjs', () => count(forward));
    // the data() read-back of the result is no dispatch; the 1-element count is a sanity floor
    expect(oursForward.dispatches).toBe(4 + 2);
    expect(oursBoth.dispatches).toBe(4 + 2 + 4);
    expect(theirsForward.dispatches).toBeGreaterThan(oursForward.dispatches);
    tf.dispose([x, dy]);
    layer.dispose();
  }, 300_000);

  it('the running statistics kernel equals tfjs ops', async (ctx) => {
    if (!gpu) ctx.skip();
    const moving = tf.randomNormal([160], 0, 1, 'float32', 11);
    const value = tf.randomNormal([160], 0, 1, 'float32', 12);
    const ours = tf.engine().runKernel(MOVING_AVERAGE_KERNEL, { moving, value }, { rate: 0.1 }) as tf.Tensor;
    const theirs = tf.sub(moving, tf.mul(tf.sub(moving, value), 0.1));
    expect(await relError(ours, theirs)).toBeLessThan(1e-6);
    tf.dispose([moving, value, ours, theirs]);
  });

  it('fused momentum: 5 steps of Nesterov + weight decay equal tfjs MomentumOptimizer fed g + wd w, two weights per dispatch in place', async (ctx) => {
    if (!gpu) ctx.skip();
    const shapes5 = [[3, 3, 16, 64], [64], [64, 10], [1, 1, 32, 64], [10]];
    // Each variable shares its buffer with its (undisposed) initial tensor: the first step must not write it in place.
    const make = (tag: string) => shapes5.map((s, i) => tf.variable(tf.randomNormal(s, 0, 0.1, 'float32', 20 + i), true, `w${i}_${tag}`));
    const oursVars = make('ours');
    const theirsVars = make('theirs');
    const initial = Array.from(await oursVars[1]!.data());
    const grads = (step: number) => shapes5.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 100 * step + i));
    const [lr, momentum, wd] = [0.1, 0.9, 5e-4];
    const fused = new FusedMomentum(lr, momentum, true, wd);
    const tfOpt = tf.train.momentum(lr, momentum, true);
    const perStep: Record<string, number>[] = [];
    let alias: tf.Tensor | null = null;
    let aliasValues: number[] = [];
    for (let step = 0; step < 5; step++) {
      if (step === 2) {
        // a second tensor on weight 4's buffer: that weight must take the two-program path, not change in place
        alias = tf.reshape(oursVars[4]!, [10]);
        aliasValues = Array.from(await alias.data());
      }
      const g = grads(step);
      const counter = countDispatches();
      tf.tidy(() => fused.applyGradients(oursVars, Object.fromEntries(oursVars.map((v, i) => [v.name, g[i]!]))));
      await oursVars[0]!.data();
      perStep.push(counter.snapshot().byProgram);
      counter.stop();
      tf.tidy(() => tfOpt.applyGradients(theirsVars.map((v, i) => ({ name: v.name, tensor: tf.add(g[i]!, tf.mul(v, wd)) }))));
      tf.dispose(g);
      if (step === 2) {
        fused.setLearningRate(0.02);
        tfOpt.setLearningRate(0.02);
      }
    }
    // step 0: every buffer shared (with the initial tensors): two programs per weight, each weight gets a new buffer
    expect(perStep[0]!['WrnMomentumInPlace']).toBeUndefined();
    expect(perStep[0]!['WrnMomentumStep']).toBe(5);
    // from then on in place, two weights per dispatch; at step 2 weight 4 is shared again and goes the long way
    expect(perStep[1]).toEqual({ WrnMomentumInPlace: 3 });
    expect(perStep[2]).toEqual({ WrnMomentumInPlace: 2, WrnMomentumAccumulate: 1, WrnMomentumStep: 1 });
    expect(perStep[3]).toEqual({ WrnMomentumInPlace: 3 });
    for (let i = 0; i < shapes5.length; i++) expect(await relError(oursVars[i]!, theirsVars[i]!), `weight ${i}`).toBeLessThan(1e-5);
    expect(Array.from(await alias!.data())).toEqual(aliasValues);
    expect(Array.from(await oursVars[1]!.data())).not.toEqual(initial);
    fused.dispose();
    tfOpt.dispose();
    tf.dispose([alias!, ...oursVars, ...theirsVars]);
  });

  it("ReLU's gradient is one dispatch and equals tfjs's step-and-multiply", async (ctx) => {
    if (!gpu) ctx.skip();
    const x = tf.randomNormal([2, 8, 8, 32], 0, 1, 'float32', 31);
    const dy = tf.randomNormal([2, 8, 8, 32], 0, 1, 'float32', 32);
    const grad = () => tf.grad((a: tf.Tensor) => tf.relu(a))(x, dy);
    grad().dispose(); // compile
    const counter = countDispatches();
    const ours = grad();
    await ours.data();
    const n = counter.snapshot().byProgram;
    counter.stop();
    expect(n['WrnReluGrad']).toBe(1);
    const theirs = withKernels('tfjs', grad);
    expect(await relError(ours, theirs)).toBe(0);
    tf.dispose([x, dy, ours, theirs]);
  });
});
