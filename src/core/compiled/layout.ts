/**
 * Where every weight of a WRN lives in the compiled step's flat buffers, read off `wrnArchitecture` (the builder's
 * names, shapes and order): the trainable weights in one buffer (and their gradients and momentum at the same
 * offsets in two more), the batch norms' running statistics in a fourth. Each tensor starts on a 256-byte boundary,
 * the alignment a storage binding's offset needs, so any layer's slice can be bound on its own; the gaps are zeros
 * that the optimizer keeps at zero (a zero weight with a zero gradient stays zero under momentum and decay).
 *
 * The order is the model's: `trainable` is `model.trainableWeights`'s order (the order of a checkpoint's momentum
 * buffers), and trainable then running statistics is `model.weights`'s (the order of a checkpoint's weights).
 */
import { forEachLayer, type WrnArchitecture } from '../shape';

/** Floats per 256 bytes: tensors start at multiples of this. */
export const ALIGN_FLOATS = 64;

export interface TensorPlace {
  /** the tfjs weight's name, e.g. "g1b1_conv1/kernel" */
  name: string;
  shape: number[];
  size: number;
  /** in floats, from the start of its buffer */
  offset: number;
}

export interface ParamLayout {
  /** trainable weights, in the model's order; offsets into the weights (and gradients, momentum) buffer */
  trainable: TensorPlace[];
  /** running means and variances, in the model's order; offsets into the running-statistics buffer */
  running: TensorPlace[];
  /** floats in the weights buffer (a multiple of ALIGN_FLOATS) */
  trainableFloats: number;
  runningFloats: number;
  /** by name, both kinds */
  byName: Map<string, TensorPlace>;
}

const alignUp = (n: number, a = ALIGN_FLOATS) => Math.ceil(n / a) * a;

/** The layout of a net's weights (the builder's order; see the file comment). */
export function paramLayout(arch: WrnArchitecture): ParamLayout {
  const trainable: [string, number[]][] = [];
  const running: [string, number[]][] = [];
  const conv = (c: { name: string; kernel: number; cin: number; cout: number }) =>
    trainable.push([`${c.name}/kernel`, [c.kernel, c.kernel, c.cin, c.cout]]);
  const bn = (b: { name: string; channels: number }) => {
    trainable.push([`${b.name}/gamma`, [b.channels]], [`${b.name}/beta`, [b.channels]]);
    running.push([`${b.name}/moving_mean`, [b.channels]], [`${b.name}/moving_variance`, [b.channels]]);
  };
  forEachLayer(arch, { conv, batchNorm: bn });
  trainable.push([`${arch.logits.name}/kernel`, [arch.logits.inputs, arch.logits.outputs]], [`${arch.logits.name}/bias`, [arch.logits.outputs]]);
  const place = (list: [string, number[]][]): { places: TensorPlace[]; floats: number } => {
    let offset = 0;
    const places = list.map(([name, shape]) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const p = { name, shape, size, offset };
      offset = alignUp(offset + size);
      return p;
    });
    return { places, floats: Math.max(offset, ALIGN_FLOATS) };
  };
  const t = place(trainable);
  const r = place(running);
  const byName = new Map<string, TensorPlace>([...t.places, ...r.places].map((p) => [p.name, p]));
  return { trainable: t.places, running: r.places, trainableFloats: t.floats, runningFloats: r.floats, byName };
}

/** A place by name, or an error naming it (a layout and a plan that disagree are a bug). */
export function placeOf(layout: ParamLayout, name: string): TensorPlace {
  const p = layout.byName.get(name);
  if (!p) throw new Error(`no weight ${name} in the compiled layout`);
  return p;
}

/**
 * Checks a model's weights against the layout: the same names, shapes and order. Returns what differs, or null.
 * (The layout is read off the architecture the builder walks, so a difference means the two drifted apart.)
 */
export function layoutMismatch(layout: ParamLayout, weights: { name: string; shape: number[]; trainable: boolean }[]): string | null {
  const expected = [...layout.trainable, ...layout.running];
  if (weights.length !== expected.length) return `the model has ${weights.length} weights; the layout ${expected.length}`;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    const p = expected[i]!;
    if (w.name !== p.name || w.shape.join('x') !== p.shape.join('x') || w.trainable !== i < layout.trainable.length)
      return `weight ${i} is ${w.name} [${w.shape.join(', ')}] in the model and ${p.name} [${p.shape.join(', ')}] in the layout`;
  }
  return null;
}
