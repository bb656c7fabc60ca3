/**
 * What a WRN costs, computed from its shape alone (no tfjs): trainable parameters, forward multiply-accumulates
 * per 32x32 image, and a rough training-memory estimate. `params` equals the built model's trainable count.
 */
import type { ModelConfig } from './config';
import { checkDepth, groupWidths, IMAGE_SIZE, NUM_CLASSES } from './shape';

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
  const n = checkDepth(m.depth);
  let params = 0;
  let macs = 0;
  let acts = 0;
  let size = IMAGE_SIZE;
  const conv = (cin: number, cout: number, k: number, outSize: number) => {
    params += k * k * cin * cout;
    macs += outSize * outSize * cout * k * k * cin;
    acts += outSize * outSize * cout;
  };
  const bn = (c: number, s: number) => {
    params += 2 * c;
    acts += 2 * s * s * c; // normalised output and its ReLU
  };

  conv(3, 16, 3, size);
  let channels = 16;
  groupWidths(m.width).forEach((out, g) => {
    for (let b = 0; b < n; b++) {
      const stride = g > 0 && b === 0 ? 2 : 1;
      const outSize = size / stride;
      bn(channels, size);
      conv(channels, out, 3, outSize);
      bn(out, outSize);
      conv(out, out, 3, outSize);
      if (channels !== out || stride !== 1) conv(channels, out, 1, outSize);
      channels = out;
      size = outSize;
    }
  });
  bn(channels, size);
  params += channels * NUM_CLASSES + NUM_CLASSES;
  macs += channels * NUM_CLASSES;
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
 * train.py's model names); null for any other name, or a depth that is no WRN's. For files that carry a model's
 * name but not its size: imported metrics, weights trained elsewhere.
 */
export function costOfName(name: string): WrnCost | null {
  const m = /^WRN-(\d+)-(\d+)/.exec(name);
  if (!m) return null;
  try {
    return wrnCost({ depth: Number(m[1]), width: Number(m[2]), dropout: 0 });
  } catch {
    return null;
  }
}
