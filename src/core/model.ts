/**
 * Wide Residual Network WRN-d-k for 32x32 CIFAR images, exactly as in Zagoruyko & Komodakis (2016), Table 1:
 *
 *   conv1   3x3, 3 -> 16, stride 1                          32x32
 *   group1  N blocks of width 16k, stride 1                 32x32
 *   group2  N blocks of width 32k, stride 2 in the first    16x16
 *   group3  N blocks of width 64k, stride 2 in the first     8x8
 *   head    BN -> ReLU -> global average pool -> dense(64k -> 10)
 *
 * with d = 6N + 4. A block is pre-activation "B(3,3)":
 *   BN -> ReLU -> conv3x3(stride s) -> BN -> ReLU -> [dropout p] -> conv3x3 (+ shortcut)
 * The shortcut is the identity when the shape is unchanged, else a 1x1 conv (stride s) of the *pre-activated*
 * input. Convolutions have no bias and He-normal weights; BN (channels-last, batchNorm.ts) uses PyTorch's momentum
 * 0.1 and epsilon 1e-5.
 *
 * Tensors are NHWC: the input is [batch, 32, 32, 3] (normalised), the output [batch, 10] logits.
 */
import * as tf from '@tensorflow/tfjs';
import { WrnBatchNorm } from './batchNorm';
import { netName, type ModelConfig } from './config';
import { BlockDropout } from './dropout';
import { type ConvLayer, IMAGE_SIZE, wrnArchitecture } from './shape';

// The shape helpers live in shape.ts (no tfjs) so that the page can compute costs without loading tfjs.
export { NUM_CLASSES, IMAGE_SIZE, groupWidths, checkDepth } from './shape';

/** Keras-style BN momentum 0.9 is PyTorch's 0.1 (the reference code); epsilon 1e-5 likewise (tfjs: 1e-3). */
const BN = { momentum: 0.9, epsilon: 1e-5 } as const;

export interface WrnOptions {
  /** seeds the initial weights (each layer draws from seed + its index) and the dropout masks */
  seed?: number;
}

/**
 * Makes a stride-1, 'same', bias-free, linear conv layer (the stem) compute with the plain `tf.conv2d`. tfjs-layers'
 * Conv2D runs `tf.fused.conv2d`, whose custom gradient computes the input's gradient along with the filter's; for
 * the stem the input is the image, so that gradient (about 5 ms of a ~290 ms WRN-10-1 step at batch 32 on WASM)
 * was thrown away. `tf.conv2d`'s gradients are lazy and the tape skips inputs no weight depends on. Same kernels,
 * values and saved form (the layer stays a Conv2D; only this instance's `call` changes).
 */
function withoutInputGradient(layer: tf.layers.Layer): tf.layers.Layer {
  layer.call = (inputs: tf.Tensor | tf.Tensor[]) =>
    tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const kernel = layer.weights[0]!.read() as tf.Tensor4D;
      return tf.conv2d(x as tf.Tensor4D, kernel, 1, 'same');
    });
  return layer;
}

/** Builds WRN-d-k as a tfjs LayersModel. Throws RangeError for an invalid depth or width. */
export function buildWrn(m: ModelConfig, opts: WrnOptions = {}): tf.LayersModel {
  const arch = wrnArchitecture(m);
  if (!(m.dropout >= 0 && m.dropout < 1)) throw new RangeError(`dropout must be in [0, 1); got ${m.dropout}`);
  const seed = opts.seed ?? 0;
  let layerIndex = 0;
  const nextSeed = () => seed * 1000 + ++layerIndex;

  const conv = (filters: number, kernel: number, stride: number, name: string, fanIn: number) =>
    tf.layers.conv2d({
      filters,
      kernelSize: kernel,
      strides: stride,
      padding: 'same',
      useBias: false,
      // He et al. 2015: N(0, 2 / fan_in), fan_in = kernel * kernel * C_in, as the reference code's MSR init.
      kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / fanIn), seed: nextSeed() }),
      name,
    });
  // tfjs's batchNormalization layer with a one-kernel backward pass on cpu/wasm (see batchNorm.ts); same weights,
  // statistics and saved form.
  const bn = (name: string) => new WrnBatchNorm({ ...BN, name });
  const relu = (name: string) => tf.layers.reLU({ name });

  const convOf = (c: ConvLayer) => conv(c.cout, c.kernel, c.stride, c.name, c.kernel * c.kernel * c.cin);
  const input = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 3], name: 'image' });
  let x = withoutInputGradient(convOf(arch.stem)).apply(input) as tf.SymbolicTensor;

  // Layers are made (and so seeded) in this order: conv1, dropout, conv2, shortcut, block by block.
  for (const b of arch.blocks) {
    // Pre-activation, shared by the residual branch and (when shapes change) the projection shortcut.
    const pre = relu(`${b.id}_relu1`).apply(bn(b.bn1.name).apply(x)) as tf.SymbolicTensor;
    let y = convOf(b.conv1).apply(pre) as tf.SymbolicTensor;
    y = relu(`${b.id}_relu2`).apply(bn(b.bn2.name).apply(y)) as tf.SymbolicTensor;
    if (b.dropout > 0) y = new BlockDropout({ rate: b.dropout, seed: nextSeed(), name: `${b.id}_dropout` }).apply(y) as tf.SymbolicTensor;
    y = convOf(b.conv2).apply(y) as tf.SymbolicTensor;
    const shortcut = b.shortcut ? (convOf(b.shortcut).apply(pre) as tf.SymbolicTensor) : x;
    x = tf.layers.add({ name: `${b.id}_add` }).apply([y, shortcut]) as tf.SymbolicTensor;
  }

  x = relu('final_relu').apply(bn(arch.finalBn.name).apply(x)) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({
      units: arch.logits.outputs,
      kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
      biasInitializer: 'zeros',
      name: arch.logits.name,
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: netName(m) });
}

/** Trainable parameters of a built model (BN running statistics are not trainable, so not counted). */
export function countTrainable(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}
