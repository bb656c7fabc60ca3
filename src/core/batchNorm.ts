/**
 * Batch normalisation over channels-last tensors with a hand-written backward pass, and the layer WRN uses.
 *
 * tfjs's `BatchNormalization` layer trains through `tf.moments` and `FusedBatchNorm`, whose gradient in tfjs-core is
 * a chain of some 25 kernels per layer (tiles, broadcasting products, reductions). Here the gradient is the closed
 * form, with xhat = (x - mean) * rstd over every axis but the last (M values per channel):
 *   dbeta = sum(dy), dgamma = sum(dy * xhat), dx = gamma * rstd * (dy - dbeta / M - xhat * dgamma / M).
 * On cpu and wasm the forward and the backward pass are one kernel each (kernels/batchNormKernels.ts); on WebGPU they
 * are WGSL kernels of our own, 4 dispatches each way (kernels/webgpu/batchNorm.ts, unless the run's config says
 * kernels=tfjs); on WebGL (and WebGPU with tfjs's kernels) a handful of tfjs ops (forward: mean, subtract,
 * square, mean, FusedBatchNorm; backward: two sums and four elementwise kernels over the activation).
 *
 * `WrnBatchNorm` keeps everything else of tfjs's layer as it is: the weights (gamma, beta, moving_mean,
 * moving_variance, in that order), the running statistics' update (moving = moving - (moving - batch) * (1 -
 * momentum), with the biased batch variance, as tfjs), inference through `tf.batchNorm` with the running statistics,
 * and the saved config and class name: a saved model is the same JSON as with `tf.layers.batchNormalization`, so
 * `tf.loadLayersModel` loads it anywhere as tfjs's own layer.
 */
import * as tf from '@tensorflow/tfjs';
import { BN_TRAIN_GRAD_KERNEL, BN_TRAIN_KERNEL, type BatchNormAttrs } from './kernels/batchNormKernels';
import { MOVING_AVERAGE_KERNEL } from './kernels/webgpu/batchNorm';

// The fused kernels are installed with the backend (kernels/index.ts's installKernels, from backend.ts).

/** 'kernels': the fused kernels (cpu, wasm, webgpu); 'ops': tfjs ops (any backend); 'auto': kernels where registered. */
export type BatchNormPath = 'auto' | 'kernels' | 'ops';

export interface BatchNormTraining<T extends tf.Tensor> {
  /** the normalised, scaled and shifted x; differentiable with respect to x, gamma and beta */
  y: T;
  /** the batch's per-channel mean, [C] (not differentiable) */
  mean: tf.Tensor1D;
  /** the batch's per-channel biased variance, [C] (not differentiable) */
  variance: tf.Tensor1D;
}

function reductionAxes(rank: number): number[] {
  return Array.from({ length: rank - 1 }, (_, i) => i);
}

/**
 * Batch norm in training mode: x normalised with its own batch statistics over every axis but the last, then
 * y = xhat * gamma + beta. Returns y and the statistics (for the running averages).
 */
export function batchNormTrain<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  path: BatchNormPath = 'auto',
): BatchNormTraining<T> {
  if (x.rank < 2) throw new Error(`batchNormTrain needs a rank >= 2 input; got shape [${x.shape.join(', ')}]`);
  const useKernels = path === 'kernels' || (path === 'auto' && tf.getKernel(BN_TRAIN_KERNEL, tf.getBackend()) !== undefined);
  const attrs: BatchNormAttrs = { epsilon };
  // The statistics come out of the custom-gradient function through here: kept there (its forward pass runs in a
  // tidy of the engine's), handed to the caller's scope below.
  let stats: [tf.Tensor1D, tf.Tensor1D] | undefined;

  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, b] = args as [T, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    if (useKernels) {
      const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN_KERNEL, { x: xi, gamma: g, beta: b }, attrs) as [T, tf.Tensor1D, tf.Tensor1D];
      save([xi, g, mean, variance]);
      stats = [tf.keep(mean), tf.keep(variance)];
      return {
        value: y,
        gradFunc: (dy: T, saved: tf.Tensor[]) => {
          const [sx, sg, sm, sv] = saved as [T, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
          return tf.engine().runKernel(BN_TRAIN_GRAD_KERNEL, { dy, x: sx, gamma: sg, mean: sm, variance: sv }, attrs) as tf.Tensor[];
        },
      };
    }
    // tf.moments written out, to keep x - mean for the backward pass.
    const axes = reductionAxes(xi.rank);
    const mean = tf.mean(xi, axes) as tf.Tensor1D;
    const xmu = tf.sub(xi, mean);
    const variance = tf.mean(tf.square(xmu), axes) as tf.Tensor1D;
    const y = tf.batchNorm(xi, mean, variance, b, g, epsilon) as T;
    save([xmu, g, variance]);
    stats = [tf.keep(mean), tf.keep(variance)];
    return {
      value: y,
      gradFunc: (dy: T, saved: tf.Tensor[]) => {
        const [sxmu, sg, sv] = saved as [T, tf.Tensor1D, tf.Tensor1D];
        const m = sxmu.size / sg.size;
        const rstd = tf.rsqrt(tf.add(sv, epsilon));
        const dbeta = tf.sum(dy, axes);
        const sumDyXmu = tf.sum(tf.mul(dy, sxmu), axes);
        const dgamma = tf.mul(sumDyXmu, rstd);
        const k = tf.mul(sg, rstd);
        const a = tf.div(dbeta, m);
        const bb = tf.div(tf.mul(dgamma, rstd), m);
        const dx = tf.mul(tf.sub(tf.sub(dy, a), tf.mul(sxmu, bb)), k);
        return [dx, dgamma, dbeta];
      },
    };
  });

  const y = op(x, gamma, beta);
  if (!stats) throw new Error('batchNormTrain: the forward pass produced no statistics');
  // clone() shares the data and belongs to the caller's scope; the kept originals go.
  const [keptMean, keptVariance] = stats;
  const mean = keptMean.clone();
  const variance = keptVariance.clone();
  tf.dispose([keptMean, keptVariance]);
  return { y, mean, variance };
}

export interface WrnBatchNormArgs {
  /** Keras convention: the weight of the old value in the running averages (PyTorch's momentum is 1 - this) */
  momentum: number;
  epsilon: number;
  name?: string;
}

const ZEROS = { className: 'Zeros', config: {} };
const ONES = { className: 'Ones', config: {} };

/**
 * Channels-last batch normalisation (axis -1, centre and scale), a drop-in for
 * `tf.layers.batchNormalization({axis: -1, momentum, epsilon})` that trains through `batchNormTrain`.
 */
export class WrnBatchNorm extends tf.layers.Layer {
  /** tfjs's name: saved models stay loadable by plain tfjs (the config is the same too). Not registered. */
  static className = 'BatchNormalization';
  readonly axis = -1;
  readonly momentum: number;
  readonly epsilon: number;
  private gamma?: tf.LayerVariable;
  private beta?: tf.LayerVariable;
  private movingMean?: tf.LayerVariable;
  private movingVariance?: tf.LayerVariable;

  constructor(args: WrnBatchNormArgs) {
    super(args.name === undefined ? {} : { name: args.name });
    this.momentum = args.momentum;
    this.epsilon = args.epsilon;
    this.supportsMasking = true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const dim = shape[shape.length - 1];
    if (dim == null) throw new Error(`${this.name}: the channel axis needs a defined size; got shape ${JSON.stringify(shape)}`);
    this.inputSpec = [new tf.InputSpec({ ndim: shape.length, axes: { [shape.length - 1]: dim } })];
    this.gamma = this.addWeight('gamma', [dim], 'float32', tf.initializers.ones(), undefined, true);
    this.beta = this.addWeight('beta', [dim], 'float32', tf.initializers.zeros(), undefined, true);
    this.movingMean = this.addWeight('moving_mean', [dim], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [dim], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const { gamma, beta, movingMean, movingVariance } = this;
    if (!gamma || !beta || !movingMean || !movingVariance) throw new Error(`${this.name} was called before it was built`);
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (!kwargs.training) {
        return tf.batchNorm(x, movingMean.read(), movingVariance.read(), beta.read(), gamma.read(), this.epsilon);
      }
      const out = batchNormTrain(x, gamma.read() as tf.Tensor1D, beta.read() as tf.Tensor1D, this.epsilon);
      this.updateMovingAverage(movingMean, out.mean);
      this.updateMovingAverage(movingVariance, out.variance);
      return out.y;
    });
  }

  /** tfjs's update, op for op: moving - (moving - value) * (1 - momentum); one kernel where registered (WebGPU). */
  private updateMovingAverage(variable: tf.LayerVariable, value: tf.Tensor): void {
    tf.tidy(() => {
      const orig = variable.read();
      const rate = 1 - this.momentum;
      const fused = tf.getKernel(MOVING_AVERAGE_KERNEL, tf.getBackend()) !== undefined;
      variable.write(
        fused
          ? (tf.engine().runKernel(MOVING_AVERAGE_KERNEL, { moving: orig, value }, { rate }) as tf.Tensor)
          : tf.sub(orig, tf.mul(tf.sub(orig, value), rate)),
      );
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: true,
      scale: true,
      betaInitializer: ZEROS,
      gammaInitializer: ONES,
      movingMeanInitializer: ZEROS,
      movingVarianceInitializer: ONES,
      betaRegularizer: null,
      gammaRegularizer: null,
      betaConstraint: null,
      gammaConstraint: null,
      ...super.getConfig(),
    };
  }
}
