/**
 * Our WebGPU kernels (kernels/webgpu) against tfjs's own on real WebGPU in Node (Dawn; SwiftShader on a machine
 * without a GPU): batch norm in training, the filter gradient and tfjs's implicit-GEMM input gradient on the
 * representative shapes of test/fixtures/kernelCases.ts at batch 1 and 3 (which take every branch of each kernel:
 * kernelPlans.test.ts checks that); the running statistics; the fused momentum update; the dispatches each makes
 * (webgpuTraining.webgpu.test.ts has a whole WRN). Relative error is max |ours - theirs| / max |theirs| per output.
 * `npm run test:kernels-full` (WRN_KERNEL_SWEEP=full) runs every layer shape of four nets at batch 1, 3 and 8 instead.
 * Needs WebGPU in Node: without it these tests skip and say so, except under CI=true, where they fail.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  compareCase,
  countingRunner,
  FULL_SWEEP_ENV,
  inputGradTile,
  type KernelCase,
  type KernelKind,
  kernelCases,
  kernelSweep,
  liveCounts,
  onlyIn,
  relError,
  withKernels,
} from '../../../../test/fixtures/kernelCases';
import { needNodeWebGpu } from '../../../../test/fixtures/requirements';
import { WrnBatchNorm } from '../../batchNorm';
import { MOVING_AVERAGE_KERNEL } from './batchNorm';
import { NAIVE_TRANSPOSE_FLAG, setConvInputProgram } from './convInputGrad';
import { countDispatches, type DispatchCounts } from './dispatchCount';
import { FusedMomentum } from './momentum';

const EPS = 1e-5;

const gpu = await needNodeWebGpu();
const sweep = kernelSweep(process.env[FULL_SWEEP_ENV] === 'full');

/**
 * Every case of one kernel in the sweep against tfjs's kernel: within 1e-4, nothing leaked, and our passes ran
 * programs that tfjs's did not (and the other way round: two different kernels compared). Returns the worst error.
 */
async function checkAll(kind: KernelKind): Promise<number> {
  const before = liveCounts();
  let worst = 0;
  const counter = countDispatches();
  const { runWith, programs } = countingRunner(counter);
  try {
    for (const c of kernelCases(kind, sweep.shapes, sweep.batches)) {
      const { errors } = await compareCase({ ...c, run: (choice) => runWith(choice, () => c.run(choice)) });
      c.dispose();
      for (const [name, e] of Object.entries(errors)) {
        worst = Math.max(worst, e);
        expect(e, `${name} of ${c.label}`).toBeLessThan(1e-4);
      }
    }
  } finally {
    counter.stop();
  }
  expect(onlyIn(programs, 'ours', 'tfjs'), "programs only our kernels' passes ran").not.toEqual([]);
  expect(onlyIn(programs, 'tfjs', 'ours'), "programs only tfjs's passes ran").not.toEqual([]);
  expect(liveCounts()).toEqual(before);
  return worst;
}

const cases = (kind: KernelKind) => (kind === 'batchNorm' ? sweep.shapes.batchNorm.length : sweep.shapes.conv.length) * sweep.batches.length;

describe.skipIf(!gpu)(`our WebGPU kernels against tfjs-webgpu on ${sweep.name}`, () => {
  it('batch norm forward and backward: every case within 1e-4, no leaked tensors or buffers', async () => {
    const worst = await checkAll('batchNorm');
    console.log(`batch norm: worst relative error ${worst.toExponential(2)} over ${cases('batchNorm')} cases`);
  }, 900_000);

  it("the filter gradient: every case within 1e-4 of tfjs-webgpu's, no leaked tensors or buffers", async () => {
    const worst = await checkAll('convFilterGrad');
    console.log(`filter gradient: worst relative error ${worst.toExponential(2)} over ${cases('convFilterGrad')} cases`);
  }, 1_800_000);

  it("the input gradient: tfjs's implicit GEMM within 1e-4 of tfjs's default program on every case, no leaks", async () => {
    // the rule picks the direct program on SwiftShader: force the implicit GEMM, which a GPU runs at stride 1
    setConvInputProgram('mm');
    try {
      const worst = await checkAll('convInputGrad');
      console.log(`input gradient: worst relative error ${worst.toExponential(2)} over ${cases('convInputGrad')} cases`);
    } finally {
      setConvInputProgram(null);
    }
  }, 1_800_000);

  it("the input gradient's tile, as the shape set's branches count it, is tfjs's own (webgpu_util)", async () => {
    const { webgpu_util } = await import('@tensorflow/tfjs-backend-webgpu');
    const layout = { x: [3], y: [1, 2], z: [0] };
    for (const batch of sweep.batches) {
      for (const s of sweep.shapes.conv) {
        const tile = inputGradTile(s);
        const inShape = [batch, s.h, s.w, s.cin];
        const workgroup = webgpu_util.computeWorkgroupSizeForConv2d(layout, inShape, tile.vec4);
        const perThread = webgpu_util.computeWorkPerThreadForConv2d(layout, inShape, tile.vec4);
        expect([tile.m, tile.n], JSON.stringify(s)).toEqual([workgroup[1] * perThread[1], workgroup[0] * perThread[0]]);
      }
    }
  });

  it("the input gradient's program: the implicit GEMM at stride 1 on a hardware adapter, else tfjs's direct one; the flag left as it was", async () => {
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

  it('batch norm costs 4 dispatches forward, 4 backward and 1 per running statistic; tfjs takes far more', async () => {
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

  it('the running statistics kernel equals tfjs ops', async () => {
    const moving = tf.randomNormal([160], 0, 1, 'float32', 11);
    const value = tf.randomNormal([160], 0, 1, 'float32', 12);
    const ours = tf.engine().runKernel(MOVING_AVERAGE_KERNEL, { moving, value }, { rate: 0.1 }) as tf.Tensor;
    const theirs = tf.sub(moving, tf.mul(tf.sub(moving, value), 0.1));
    expect(await relError(ours, theirs)).toBeLessThan(1e-6);
    tf.dispose([moving, value, ours, theirs]);
  });

  it('fused momentum: 5 steps of Nesterov + weight decay equal tfjs MomentumOptimizer fed g + wd w, two weights per dispatch in place', async () => {
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

  it("ReLU's gradient is one dispatch and equals tfjs's step-and-multiply", async () => {
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
