/**
 * The WRN's forward pass in inference mode, block by block, over the layers of a built (or loaded) tfjs model: the
 * same layers and ops, in the same order, as `model.apply(x, { training: false })`, so its logits are the model's
 * own. Walking the blocks by hand is what the views of *why* need: each block's residual branch F_b(x) and shortcut
 * s_b(x) as they are added, the activations after each group, and the net with chosen blocks' residual branches
 * removed (a lesion: the block passes only its shortcut, Veit et al. 2016).
 *
 * Engine-neutral: it takes a LayersModel whose layers carry the builder's names (model.ts, shape.ts), whatever
 * backend holds it; an engine with a forward of its own supplies F_b and s_b to `residualRatios` itself.
 */
import * as tf from '@tensorflow/tfjs';
import { blocksPerGroup } from '../config';
import { wrnArchitecture, type WrnArchitecture } from '../shape';

export interface ForwardHooks {
  /** blocks (by id) whose residual branch is removed: the block outputs its shortcut alone */
  lesion?: ReadonlySet<string>;
  /**
   * each block's residual branch F_b(x) and shortcut s_b(x), before they are added (also for a lesioned block);
   * valid during the call only (they are freed after it): compute what is needed from them there
   */
  onBlock?: (index: number, residual: tf.Tensor4D, shortcut: tf.Tensor4D) => void;
  /** the activations after group 1, 2, 3: the group's output after batch norm and ReLU; valid during the call only */
  onGroup?: (group: number, activation: tf.Tensor4D) => void;
}

/**
 * The architecture of a model built by `buildWrn` (or saved by it, train.py or the page, and loaded back): depth
 * and width from its layers, checked layer by layer against `wrnArchitecture`. Throws a RangeError naming what
 * does not fit.
 */
export function architectureOf(model: tf.LayersModel): WrnArchitecture {
  const names = new Set(model.layers.map((l) => l.name));
  let n = 0;
  while (names.has(`g1b${n + 1}_add`)) n++;
  const depth = 6 * n + 4;
  if (n === 0 || blocksPerGroup(depth) === null) throw new RangeError(`${model.name} has no blocks named as a WRN's (g1b1_add, ...)`);
  const conv = model.layers.find((l) => l.name === 'g1b1_conv1');
  const filters = (conv?.getConfig() as { filters?: number } | undefined)?.filters ?? 0;
  if (filters % 16 !== 0 || filters === 0) throw new RangeError(`${model.name}: g1b1_conv1 has ${filters} filters, not 16k`);
  const drop = model.layers.find((l) => l.name === 'g1b1_dropout');
  const dropout = drop ? Number((drop.getConfig() as { rate?: number }).rate ?? 0) : 0;
  const arch = wrnArchitecture({ depth, width: filters / 16, dropout });
  const expected = [arch.stem.name, arch.finalBn.name, 'final_relu', arch.logits.name];
  for (const b of arch.blocks) {
    expected.push(b.bn1.name, `${b.id}_relu1`, b.conv1.name, b.bn2.name, `${b.id}_relu2`, b.conv2.name, `${b.id}_add`);
    if (b.shortcut) expected.push(b.shortcut.name);
  }
  const missing = expected.find((e) => !names.has(e));
  if (missing) throw new RangeError(`${model.name} is not a WRN-${depth}-${filters / 16} as the builder makes it: it has no layer ${missing}`);
  // More blocks than N per group in a later group would be another net.
  if (names.has(`g2b${n + 1}_add`) || names.has(`g3b${n + 1}_add`) || names.has(`g4b1_add`)) {
    throw new RangeError(`${model.name}: its groups have different numbers of blocks, which no WRN has`);
  }
  return arch;
}

function layer(model: tf.LayersModel, name: string): tf.layers.Layer {
  return model.getLayer(name);
}

function apply(model: tf.LayersModel, name: string, x: tf.Tensor | tf.Tensor[]): tf.Tensor4D {
  return layer(model, name).apply(x, { training: false }) as tf.Tensor4D;
}

/**
 * Logits [n, 10] of normalised images x [n, 32, 32, 3], with BN's running statistics and dropout off. Each
 * activation is freed as soon as the layers after it have used it, as the model's own forward pass does (a chunk of
 * a wide net's activations held at once would take gigabytes); `x` is the caller's and stays. Call it inside
 * `tf.tidy`, which then frees what the hooks made.
 */
export function wrnForward(model: tf.LayersModel, arch: WrnArchitecture, x: tf.Tensor4D, hooks: ForwardHooks = {}): tf.Tensor2D {
  /** applies a layer, then frees the inputs it no longer needs */
  const next = (name: string, input: tf.Tensor4D): tf.Tensor4D => {
    const out = apply(model, name, input);
    if (input !== x) input.dispose();
    return out;
  };
  let h = apply(model, arch.stem.name, x);
  let group = 1;
  arch.blocks.forEach((b, i) => {
    // Pre-activation, shared by the residual branch and (when shapes change) the projection shortcut.
    const pre = next(`${b.id}_relu1`, apply(model, b.bn1.name, h)); // h stays: it may be the shortcut
    // The first block of a group pre-activates the previous group's output: that is the group's BN + ReLU.
    if (b.group !== group) {
      hooks.onGroup?.(group, pre);
      group = b.group;
    }
    // dropout is the identity in inference
    const y = next(b.conv2.name, next(`${b.id}_relu2`, next(b.bn2.name, apply(model, b.conv1.name, pre))));
    const shortcut = b.shortcut ? apply(model, b.shortcut.name, pre) : h;
    pre.dispose();
    hooks.onBlock?.(i, y, shortcut);
    const out = hooks.lesion?.has(b.id) ? shortcut : apply(model, `${b.id}_add`, [y, shortcut]);
    y.dispose();
    if (shortcut !== out) shortcut.dispose();
    if (h !== out && h !== shortcut && h !== x) h.dispose();
    h = out;
  });
  const features = next('final_relu', next(arch.finalBn.name, h));
  hooks.onGroup?.(group, features);
  const pooled = next('pool', features);
  const logits = layer(model, arch.logits.name).apply(pooled, { training: false }) as tf.Tensor2D;
  pooled.dispose();
  return logits;
}

/** The L2 norm of each image's tensor: [n, ...] -> [n]. */
export function perImageNorm(t: tf.Tensor): tf.Tensor1D {
  return tf.sqrt(
    tf.sum(
      tf.square(t),
      Array.from({ length: t.rank - 1 }, (_, i) => i + 1),
    ),
  ) as tf.Tensor1D;
}

/**
 * ||F_b(x)|| / ||s_b(x)|| per image, [n]: the residual branch's output against the shortcut's (Jastrzebski et al.
 * 2018). A zero branch gives exactly 0; a zero shortcut counts as 1e-12 (no division by zero).
 */
export function residualRatio(residual: tf.Tensor, shortcut: tf.Tensor): tf.Tensor1D {
  return tf.div(perImageNorm(residual), tf.maximum(perImageNorm(shortcut), 1e-12)) as tf.Tensor1D;
}

/**
 * Logits and the per-image residual ratio of every block, [blocks, n], from one forward pass (call inside a tidy).
 */
export function forwardWithRatios(model: tf.LayersModel, arch: WrnArchitecture, x: tf.Tensor4D): { logits: tf.Tensor2D; ratios: tf.Tensor2D } {
  const rows: tf.Tensor1D[] = [];
  // each ratio in a tidy of its own: the squared activations go at once
  const logits = wrnForward(model, arch, x, { onBlock: (_i, f, s) => rows.push(tf.tidy(() => residualRatio(f, s))) });
  return { logits, ratios: tf.stack(rows) as tf.Tensor2D };
}
