/**
 * SGD with (Nesterov) momentum and the paper's weight decay, fused: one dispatch per two parameter tensors, in place
 * (./momentumInPlace.ts), where tfjs's MomentumOptimizer plus the trainer's decay (g + wd * w) take eight
 * elementwise dispatches per tensor, one with a scalar tensor made on the host (the decay factor) and the rest
 * broadcasting scalars. Where a weight's buffer is shared (in-place would change another tensor) the update falls
 * back to two tfjs programs below: new accumulation, then new weight.
 *
 * Same update as tfjs's MomentumOptimizer fed g' = g + wd * w (src/core/trainer.ts):
 *   accumulation' = accumulation * momentum + g'
 *   w' = w - lr * (g' + accumulation' * momentum)    (Nesterov)
 *   w' = w - lr * accumulation'                       (plain momentum)
 * lr, momentum and wd travel as uniforms, so a learning-rate change recompiles nothing.
 *
 * Why the fallback takes two dispatches: a tfjs WebGPU program writes one output buffer, and a storage buffer
 * cannot be bound read-only and writable in one dispatch; the accumulation and the weight are both new buffers.
 */
import * as tf from '@tensorflow/tfjs';
import { inPlaceBackend, PER_DISPATCH, recordMomentumInPlace } from './momentumInPlace';
import { asWebGpu, ElementwiseProgram, need, numberAttr, scalars, type Uniform } from './program';

/** inputs accumulation, gradient, weight; attrs momentum, wd; output the new accumulation. */
export const MOMENTUM_ACCUMULATE_KERNEL = 'WrnMomentumAccumulate';
/** inputs weight, gradient, accumulation (the new one); attrs lr, momentum, wd, nesterov (0/1); output the new weight. */
export const MOMENTUM_STEP_KERNEL = 'WrnMomentumStep';

const UNIFORMS = 'lr : f32, momentum : f32, wd : f32, nesterov : f32,';

class WrnMomentumAccumulate extends ElementwiseProgram {
  variableNames = ['accumulation', 'gradient', 'weight'];
  shaderKey = 'wrnMomentumAccumulate';
  uniforms = UNIFORMS;
  getUserCode(): string {
    return /* wgsl */ `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let g = gradient[index] + weight[index] * uniforms.wd;
        setOutputAtIndex(index, accumulation[index] * uniforms.momentum + g);
      }`;
  }
}

class WrnMomentumStep extends ElementwiseProgram {
  variableNames = ['weight', 'gradient', 'accumulation'];
  shaderKey = 'wrnMomentumStep';
  uniforms = UNIFORMS;
  getUserCode(): string {
    return /* wgsl */ `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let w = weight[index];
        let a = accumulation[index];
        let g = gradient[index] + w * uniforms.wd;
        let update = select(a, g + a * uniforms.momentum, uniforms.nesterov > 0.5);
        setOutputAtIndex(index, w + -uniforms.lr * update);
      }`;
  }
}

function hyper(attrs: tf.NamedAttrMap | undefined, kernel: string): Uniform[] {
  const lr = kernel === MOMENTUM_STEP_KERNEL ? numberAttr(attrs, 'lr', kernel) : 0;
  const nesterov = kernel === MOMENTUM_STEP_KERNEL ? numberAttr(attrs, 'nesterov', kernel) : 0;
  return scalars('float32', [lr, numberAttr(attrs, 'momentum', kernel), numberAttr(attrs, 'wd', kernel), nesterov]);
}

const accumulate: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const ts = need(inputs, ['accumulation', 'gradient', 'weight'], MOMENTUM_ACCUMULATE_KERNEL);
  return asWebGpu(backend).runWebGPUProgram(new WrnMomentumAccumulate(ts[0]!.shape), ts, 'float32', hyper(attrs, MOMENTUM_ACCUMULATE_KERNEL));
};

const step: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const ts = need(inputs, ['weight', 'gradient', 'accumulation'], MOMENTUM_STEP_KERNEL);
  return asWebGpu(backend).runWebGPUProgram(new WrnMomentumStep(ts[0]!.shape), ts, 'float32', hyper(attrs, MOMENTUM_STEP_KERNEL));
};

export const MOMENTUM_WEBGPU_KERNELS: Record<string, tf.KernelFunc> = {
  [MOMENTUM_ACCUMULATE_KERNEL]: accumulate,
  [MOMENTUM_STEP_KERNEL]: step,
};

/**
 * The fused update as an optimizer for the trainer: per variable, its accumulation (zeros at first) and the two
 * kernels above. Call `applyGradients` inside a tf.tidy (as the trainer does): the new weights are assigned to the
 * variables and the new accumulations kept, everything else is the tidy's.
 */
export class FusedMomentum {
  private readonly accumulations = new Map<string, tf.Tensor>();

  constructor(
    private lr: number,
    private readonly momentum: number,
    private readonly nesterov: boolean,
    private readonly wd: number,
  ) {}

  setLearningRate(lr: number): void {
    this.lr = lr;
  }

  /** One step for every variable, with its raw gradient (the decay is added inside the kernels). */
  applyGradients(variables: tf.Variable[], grads: tf.NamedTensorMap): void {
    const gradientOf = (v: tf.Variable) => {
      const g = grads[v.name];
      if (!g) throw new Error(`no gradient for ${v.name}`);
      return g;
    };
    const b = inPlaceBackend();
    let rest = variables;
    if (b) {
      // In place wherever the weight's and the accumulation's buffers are theirs alone.
      const own: { weight: tf.Tensor; accumulation: tf.Tensor; gradient: tf.Tensor }[] = [];
      rest = [];
      for (const v of variables) {
        let accumulation = this.accumulations.get(v.name);
        if (!accumulation) {
          accumulation = tf.keep(tf.zerosLike(v));
          this.accumulations.set(v.name, accumulation);
        }
        if (b.refCount(v.dataId) === 1 && b.refCount(accumulation.dataId) === 1) own.push({ weight: v, accumulation, gradient: gradientOf(v) });
        else rest.push(v);
      }
      const h = { lr: this.lr, momentum: this.momentum, wd: this.wd, nesterov: this.nesterov };
      for (let i = 0; i < own.length; i += PER_DISPATCH) recordMomentumInPlace(b, own.slice(i, i + PER_DISPATCH), h);
    }
    const attrs = { lr: this.lr, momentum: this.momentum, wd: this.wd, nesterov: this.nesterov ? 1 : 0 };
    for (const v of rest) {
      const g = gradientOf(v);
      const previous = this.accumulations.get(v.name) ?? tf.zerosLike(v);
      const accumulation = tf.engine().runKernel(MOMENTUM_ACCUMULATE_KERNEL, { accumulation: previous, gradient: g, weight: v }, attrs) as tf.Tensor;
      const weight = tf.engine().runKernel(MOMENTUM_STEP_KERNEL, { weight: v, gradient: g, accumulation }, attrs) as tf.Tensor;
      v.assign(weight);
      previous.dispose();
      this.accumulations.set(v.name, tf.keep(accumulation));
    }
  }

  /** The accumulations of `variables`, in their order, for a checkpoint: none before the first step (as tfjs's). */
  accumulationsOf(variables: tf.Variable[]): tf.Tensor[] {
    return variables.flatMap((v) => this.accumulations.get(v.name) ?? []);
  }

  /** Sets the accumulations from a checkpoint (copies: the caller keeps and disposes its tensors). */
  setAccumulations(variables: tf.Variable[], tensors: tf.Tensor[]): void {
    if (tensors.length !== variables.length) throw new RangeError(`${tensors.length} momentum buffers for ${variables.length} weights`);
    tf.dispose([...this.accumulations.values()]);
    this.accumulations.clear();
    // a real copy (not a clone, which shares the buffer): the in-place update needs the buffer to itself
    variables.forEach((v, i) => this.accumulations.set(v.name, tf.keep(tf.add(tensors[i]!, 0))));
  }

  dispose(): void {
    tf.dispose([...this.accumulations.values()]);
    this.accumulations.clear();
  }
}
