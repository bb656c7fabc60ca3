/**
 * The shape of WRN-d-k without tfjs: class count, image size, group widths, the depth rule and the architecture
 * layer by layer (`wrnArchitecture`). `model.ts` builds the net from it, `cost.ts` counts it, and whatever needs a
 * layer's shape (kernel tests, the compiled step, per-block views) reads it, so none of them can drift from the
 * builder, and the page can show costs without loading tfjs (about 800 kB).
 */
import { blocksPerGroup, DEPTH_RULE, LIMITS } from './config';

export const NUM_CLASSES = 10;
export const IMAGE_SIZE = 32;

/** Keras-style BN momentum 0.9 is PyTorch's 0.1 (the reference code); epsilon 1e-5 likewise (tfjs: 1e-3). */
export const BATCH_NORM = { momentum: 0.9, epsilon: 1e-5 } as const;

/** Channel widths of the three groups: 16k, 32k, 64k. */
export function groupWidths(width: number): [number, number, number] {
  return [16 * width, 32 * width, 64 * width];
}

/** Blocks per group, or a clear error for a depth the architecture does not have. */
export function checkDepth(depth: number): number {
  const n = blocksPerGroup(depth);
  if (n === null) {
    throw new RangeError(
      `WRN ${DEPTH_RULE}; got ${depth}: ` + `3 groups of N blocks with 2 convolutions each, plus conv1, the classifier and the 2 strided shortcuts.`,
    );
  }
  return n;
}

/** A clear error for a widening factor the builder cannot make (k is a whole number >= 1). */
export function checkWidth(width: number): void {
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`WRN width k must be a whole number >= 1; got ${width}`);
}

/**
 * Blocks per group of a net the builder can make, or a RangeError naming the depth or width it cannot: a depth that
 * is no WRN's, a width that is no whole number >= 1, or either past the playground's limits (LIMITS: depth 100,
 * width 16). Checked in constant time, before anything walks the layers: a name such as "WRN-6000000000004-1" in a
 * file would otherwise mean a billion blocks.
 */
export function checkNet(m: { depth: number; width: number }): number {
  if (m.depth > LIMITS.depth.max) throw new RangeError(`WRN depth must be at most ${LIMITS.depth.max} here; got ${shortNumber(m.depth)}`);
  if (m.width > LIMITS.width.max) throw new RangeError(`WRN width k must be at most ${LIMITS.width.max} here; got ${shortNumber(m.width)}`);
  const n = checkDepth(m.depth);
  checkWidth(m.width);
  return n;
}

/** A number for a message: as it is, or in e-notation when long. */
function shortNumber(n: number): string {
  const text = String(n);
  return text.length > 12 ? n.toExponential(3) : text;
}

/**
 * A 'same'-padded, bias-free convolution of a WRN, NHWC: input [inSize, inSize, cin] -> [outSize, outSize, cout].
 * `name` is the builder's layer name (the key of its weight in saved models).
 */
export interface ConvLayer {
  name: string;
  inSize: number;
  outSize: number;
  cin: number;
  cout: number;
  kernel: 1 | 3;
  stride: 1 | 2;
}

/** A batch norm over [size, size, channels]; in a WRN a ReLU always follows it. */
export interface BatchNormLayer {
  name: string;
  size: number;
  channels: number;
}

/**
 * A pre-activation block B(3,3), named `g<group>b<index>` (both 1-based, as the builder names its layers):
 * bn1 -> ReLU -> conv1 (stride) -> bn2 -> ReLU -> [dropout] -> conv2, plus the shortcut: the identity, or a 1x1
 * projection (stride) of the pre-activated input where the shape changes.
 */
export interface ResidualBlock {
  id: string;
  /** 1, 2 or 3 */
  group: number;
  bn1: BatchNormLayer;
  conv1: ConvLayer;
  bn2: BatchNormLayer;
  /** dropout rate between the convolutions, 0 for none */
  dropout: number;
  conv2: ConvLayer;
  /** null: the identity */
  shortcut: ConvLayer | null;
}

/** WRN-d-k layer by layer, in the order the builder makes (and seeds) its layers. */
export interface WrnArchitecture {
  depth: number;
  width: number;
  blocksPerGroup: number;
  stem: ConvLayer;
  blocks: ResidualBlock[];
  finalBn: BatchNormLayer;
  /** the classifier: global average pool, then dense [channels] -> [classes] with a bias */
  logits: { name: string; inputs: number; outputs: number };
}

/**
 * Visits the convolutions and batch norms of `arch` in the builder's weight order (the stem; per block bn1, conv1,
 * bn2, conv2, the projection; the final batch norm): what counts, lays out or names the weights walks it this way.
 */
export function forEachLayer(arch: WrnArchitecture, visit: { conv: (c: ConvLayer) => void; batchNorm?: (b: BatchNormLayer) => void }): void {
  const bn = visit.batchNorm ?? (() => {});
  visit.conv(arch.stem);
  for (const b of arch.blocks) {
    bn(b.bn1);
    visit.conv(b.conv1);
    bn(b.bn2);
    visit.conv(b.conv2);
    if (b.shortcut) visit.conv(b.shortcut);
  }
  bn(arch.finalBn);
}

/** The architecture of WRN-d-k (Table 1 of the paper); a RangeError for a depth or width the builder cannot make. */
export function wrnArchitecture(m: { depth: number; width: number; dropout: number }): WrnArchitecture {
  const n = checkNet(m);
  const conv = (name: string, inSize: number, cin: number, cout: number, kernel: 1 | 3, stride: 1 | 2): ConvLayer => ({
    name,
    inSize,
    outSize: inSize / stride,
    cin,
    cout,
    kernel,
    stride,
  });
  const stem = conv('conv1', IMAGE_SIZE, 3, 16, 3, 1);
  const blocks: ResidualBlock[] = [];
  let channels = 16;
  let size = IMAGE_SIZE;
  groupWidths(m.width).forEach((out, g) => {
    for (let b = 0; b < n; b++) {
      const stride = g > 0 && b === 0 ? 2 : 1;
      const id = `g${g + 1}b${b + 1}`;
      const conv1 = conv(`${id}_conv1`, size, channels, out, 3, stride);
      blocks.push({
        id,
        group: g + 1,
        bn1: { name: `${id}_bn1`, size, channels },
        conv1,
        bn2: { name: `${id}_bn2`, size: conv1.outSize, channels: out },
        dropout: m.dropout,
        conv2: conv(`${id}_conv2`, conv1.outSize, out, out, 3, 1),
        shortcut: channels === out && stride === 1 ? null : conv(`${id}_shortcut`, size, channels, out, 1, stride),
      });
      channels = out;
      size = conv1.outSize;
    }
  });
  return {
    depth: m.depth,
    width: m.width,
    blocksPerGroup: n,
    stem,
    blocks,
    finalBn: { name: 'final_bn', size, channels },
    logits: { name: 'logits', inputs: channels, outputs: NUM_CLASSES },
  };
}
