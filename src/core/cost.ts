/**
 * What a WRN costs, computed from its shape alone (no tfjs): trainable parameters, forward multiply-accumulates
 * per 32x32 image, and a rough training-memory estimate. `params` equals the built model's trainable count.
 */
import type { ModelConfig } from './config';
import { type BatchNormLayer, type ConvLayer, checkNet, forEachLayer, wrnArchitecture } from './shape';

export interface WrnCost {
  /** trainable parameters: conv weights, BN gamma and beta, dense weight and bias */
  params: number;
  /** forward multiply-accumulates per image (convolutions and the dense layer) */
  macs: number;
  /** activations kept for the backward pass, floats per image (conv and BN outputs) */
  activationsPerImage: number;
}

/** Parameters and MACs of WRN-d-k, layer by layer as `buildWrn` makes it. */
export function wrnCost(m: ModelConfig): WrnCost {
  const arch = wrnArchitecture(m);
  let params = 0;
  let macs = 0;
  let acts = 0;
  const conv = (c: ConvLayer) => {
    params += c.kernel * c.kernel * c.cin * c.cout;
    macs += c.outSize * c.outSize * c.cout * c.kernel * c.kernel * c.cin;
    acts += c.outSize * c.outSize * c.cout;
  };
  const bn = (b: BatchNormLayer) => {
    params += 2 * b.channels;
    acts += 2 * b.size * b.size * b.channels; // normalised output and its ReLU
  };

  forEachLayer(arch, { conv, batchNorm: bn });
  params += arch.logits.inputs * arch.logits.outputs + arch.logits.outputs;
  macs += arch.logits.inputs * arch.logits.outputs;
  return { params, macs, activationsPerImage: acts };
}

/** Training FLOPs per image: forward + backward is about 3 forward passes, 2 FLOPs per MAC. */
export function trainFlopsPerImage(m: ModelConfig): number {
  return 6 * wrnCost(m).macs;
}

/**
 * Bytes a training step needs on the device, roughly: weights, gradients and momentum (3 copies), plus the
 * activations of a batch kept for backprop and about as much again for their gradients and temporaries.
 */
export function estimateTrainingBytes(m: ModelConfig, batch: number): number {
  const c = wrnCost(m);
  return 4 * (3 * c.params + 2 * batch * c.activationsPerImage);
}

/**
 * The cost of the net a name such as "WRN-16-4" or "WRN-16-4 (dropout 0.3)" names (the page's, the CLI's and
 * train.py's model names); null for any other name, a depth that is no WRN's, or a net past the builder's limits
 * (decided in constant time: a file may name "WRN-6000000000004-1"). For files that carry a model's name but not its
 * size: imported metrics, weights trained elsewhere.
 */
export function costOfName(name: string): WrnCost | null {
  // At most 4 digits each: a longer number is past the limits anyway (depth <= 100, width <= 16).
  const m = /^WRN-(\d{1,4})-(\d{1,4})(?!\d)/.exec(name);
  if (!m) return null;
  const net = { depth: Number(m[1]), width: Number(m[2]), dropout: 0 };
  try {
    checkNet(net);
  } catch {
    return null;
  }
  return wrnCost(net);
}
