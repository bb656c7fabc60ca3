/**
 * Batch norm of the compiled step, always followed by the block's ReLU (and dropout where the block has it), over
 * channels-last activations read as `rows` x `channels` (channels a multiple of 4: vec4 along channels).
 *
 * Training, forward (3 dispatches): per (chunk of rows, 4 channels) the chunk's mean and sum of squared deviations
 * from it (`bnStats`); per channel the batch mean and biased variance combined from the chunks with Chan et al.'s
 * pairwise formula (no E[x^2] - E[x]^2 cancellation), and in the same pass the running statistics updated as tfjs
 * does, moving - (moving - batch) * (1 - momentum) (`bnFinish`); then y = relu((x - mean) * gamma / sqrt(var + eps)
 * + beta), times the dropout mask where there is one (`bnApply`). The mask is dropoutHash.ts's, computed from the
 * element's index and the step's keys: bit for bit the mask of every other backend.
 *
 * Training, backward (3 dispatches): g = dy where the forward output was positive (ReLU and dropout both pass
 * gradients exactly where they passed values; dropout's scale multiplies), then per chunk sum g and g (x - mean)
 * (`bnBackwardStats`); per channel dbeta = sum g, dgamma = rstd sum g (x - mean), written into the gradient buffer
 * (`bnBackwardFinish`); then dx = gamma rstd (g - dbeta / M - xhat dgamma / M), plus the identity shortcut's
 * gradient where the block has one (`bnBackwardInput`), in place over dy where the plan allows.
 *
 * Evaluation: y = relu((x - running mean) * gamma / sqrt(running var + eps) + beta) (`bnInfer`).
 */
import type { Binding, Kernel, Slice } from './gpu';
import { grid1d } from './gpu';
import { f32, FLAT_MAIN, flatIndex, stepUniformStruct } from './wgsl';

export interface BnGeometry {
  rows: number;
  channels: number;
}

/** How rows are split for the reductions: `chunks` chunks of `chunk` rows (the last may be shorter). */
export interface RowSplit {
  chunk: number;
  chunks: number;
}

/** About 16k invocations of 4 channels, chunks of at least 32 rows, never more chunks than rows. */
export function splitRows(rows: number, channels: number): RowSplit {
  const maxChunks = Math.max(1, Math.floor(65536 / channels));
  const chunk = Math.max(32, Math.ceil(rows / maxChunks));
  return { chunk, chunks: Math.max(1, Math.ceil(rows / chunk)) };
}

/** Floats of a layer's partials scratch: [2, chunks, channels]. */
export const partialFloats = (g: BnGeometry) => 2 * splitRows(g.rows, g.channels).chunks * g.channels;

const WG = 64;
const v4 = (i: number, name: string, access: 'read' | 'read_write') => `@group(0) @binding(${i}) var<storage, ${access}> ${name} : array<vec4<f32>>;`;
const bind = (slice: Slice, access: Binding['access']): Binding => ({ slice, access });

function check(g: BnGeometry): number {
  if (g.channels % 4 !== 0) throw new Error(`the compiled batch norm needs channels divisible by 4, got ${g.channels}`);
  return g.channels / 4;
}

/** WGSL: invocation (chunk g, channel group c4) and its rows [r0, r1); returns past the last. */
function chunkPrelude(g: BnGeometry, s: RowSplit, C4: number): string {
  return `${flatIndex(WG)}
  if (index >= ${s.chunks * C4}) { return; }
  let g = index / ${C4};
  let c4 = index % ${C4};
  let r0 = g * ${s.chunk};
  let r1 = min(r0 + ${s.chunk}, ${g.rows});`;
}

/** Per (chunk, 4 channels): the chunk's mean and sum of squared deviations. partials: [2, chunks, C]. */
export function bnStats(label: string, g: BnGeometry, x: Slice, partials: Slice): Kernel {
  const C4 = check(g);
  const s = splitRows(g.rows, g.channels);
  const code = /* wgsl */ `// bn stats: ${g.rows} rows x ${g.channels} channels, ${s.chunks} chunks of ${s.chunk}
${v4(0, 'x', 'read')}
${v4(1, 'partials', 'read_write')}
@compute @workgroup_size(${WG})
fn main(${FLAT_MAIN}) {
  ${chunkPrelude(g, s, C4)}
  var sum = vec4<f32>(0.0);
  for (var r = r0; r < r1; r++) { sum += x[r * ${C4} + c4]; }
  let mean = sum / f32(r1 - r0);
  var q = vec4<f32>(0.0);
  for (var r = r0; r < r1; r++) { let d = x[r * ${C4} + c4] - mean; q = fma(d, d, q); }
  partials[index] = mean;
  partials[${s.chunks * C4} + index] = q;
}
`;
  return { kind: 'bn stats', label, code, bindings: [bind(x, 'read'), bind(partials, 'read_write')], workgroups: grid1d(s.chunks * C4, WG) };
}

/** The running statistics of one layer: a slice from its moving mean through its moving variance. */
export interface RunningSlice {
  slice: Slice;
  /** floats from the slice's start to the moving variance */
  varianceOffset: number;
}

/**
 * Per 4 channels: batch mean and biased variance from the partials into `batchStats` ([mean C, var C]); the running
 * statistics updated with `rate` = 1 - momentum (Keras convention), as tfjs's layer does.
 */
export function bnFinish(label: string, g: BnGeometry, partials: Slice, batchStats: Slice, running: RunningSlice, rate: number): Kernel {
  const C4 = check(g);
  const s = splitRows(g.rows, g.channels);
  const last = g.rows - (s.chunks - 1) * s.chunk;
  const code = /* wgsl */ `// bn finish
${v4(0, 'partials', 'read')}
${v4(1, 'stats', 'read_write')}
${v4(2, 'running', 'read_write')}
fn rowsOf(g : i32) -> f32 { return select(${f32(s.chunk)}, ${f32(last)}, g == ${s.chunks - 1}); }
@compute @workgroup_size(${WG})
fn main(${FLAT_MAIN}) {
  ${flatIndex(WG)}
  let c4 = index;
  if (c4 >= ${C4}) { return; }
  var sum = vec4<f32>(0.0);
  for (var g = 0; g < ${s.chunks}; g++) { sum += rowsOf(g) * partials[g * ${C4} + c4]; }
  let mean = sum / ${f32(g.rows)};
  var m2 = vec4<f32>(0.0);
  for (var g = 0; g < ${s.chunks}; g++) {
    let d = partials[g * ${C4} + c4] - mean;
    m2 += partials[${s.chunks * C4} + g * ${C4} + c4] + rowsOf(g) * d * d;
  }
  let variance = m2 / ${f32(g.rows)};
  stats[c4] = mean;
  stats[${C4} + c4] = variance;
  let vm = ${running.varianceOffset / 4} + c4;
  running[c4] = running[c4] - (running[c4] - mean) * ${f32(rate)};
  running[vm] = running[vm] - (running[vm] - variance) * ${f32(rate)};
}
`;
  return {
    kind: 'bn finish',
    label,
    code,
    bindings: [bind(partials, 'read'), bind(batchStats, 'read_write'), bind(running.slice, 'read_write')],
    workgroups: grid1d(C4, WG),
  };
}

/** The layer's gamma and beta: a slice from gamma through beta of the flat weights (or gradients). */
export interface ParamSlice {
  slice: Slice;
  /** floats from the slice's start to beta */
  betaOffset: number;
}

/** Dropout after the ReLU: the keep threshold and scale of its rate, and which of the step's keys it uses. */
export interface DropoutSpec {
  threshold: number;
  scale: number;
  keyIndex: number;
  /** the number of dropout blocks (the size of the step's key array) */
  keyCount: number;
}

/** WGSL: lowbias32 (dropoutHash.ts) and the keep test of 4 neighbouring elements 4i..4i+3 (two pair hashes). */
const HASH = /* wgsl */ `
fn lowbias32(v : u32) -> u32 {
  var x = v;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  x = x ^ (x >> 16u);
  return x;
}
fn keep4(i4 : u32, key0 : u32, key1 : u32, threshold : u32) -> vec4<bool> {
  let h0 = lowbias32(lowbias32(2u * i4 + key0) ^ key1);
  let h1 = lowbias32(lowbias32(2u * i4 + 1u + key0) ^ key1);
  return vec4<u32>(h0 & 0xffffu, h0 >> 16u, h1 & 0xffffu, h1 >> 16u) < vec4<u32>(threshold);
}`;

export interface ApplyIo {
  x: Slice;
  out: Slice;
  params: ParamSlice;
  /** [mean C, var C] of this batch (training) */
  batchStats: Slice;
  dropout?: DropoutSpec & { uniform: Slice };
}

/** y = relu(batch-normalised x * gamma + beta) [* dropout mask], 4 channels per invocation. */
export function bnApply(label: string, g: BnGeometry, io: ApplyIo, eps: number): Kernel {
  const C4 = check(g);
  const n4 = g.rows * C4;
  const d = io.dropout;
  const code = /* wgsl */ `// bn apply
${d ? stepUniformStruct(d.keyCount) : ''}
${v4(0, 'x', 'read')}
${v4(1, 'out', 'read_write')}
${v4(2, 'params', 'read')}
${v4(3, 'stats', 'read')}
${d ? `@group(0) @binding(4) var<uniform> step : Step;\n${HASH}` : ''}
@compute @workgroup_size(${WG})
fn main(${FLAT_MAIN}) {
  ${flatIndex(WG)}
  if (index >= ${n4}) { return; }
  let c4 = index % ${C4};
  let scale = params[c4] * inverseSqrt(stats[${C4} + c4] + ${f32(eps)});
  let y = max((x[index] - stats[c4]) * scale + params[${io.params.betaOffset / 4} + c4], vec4<f32>(0.0));
  ${
    d
      ? `let k = step.keys[${d.keyIndex}];
  out[index] = select(vec4<f32>(0.0), y * ${f32(d.scale)}, keep4(u32(index), k.x, k.y, ${d.threshold}u));`
      : 'out[index] = y;'
  }
}
`;
  return {
    kind: 'bn apply',
    label,
    code,
    bindings: [
      bind(io.x, 'read'),
      bind(io.out, 'read_write'),
      bind(io.params.slice, 'read'),
      bind(io.batchStats, 'read'),
      ...(d ? [bind(d.uniform, 'uniform')] : []),
    ],
    workgroups: grid1d(n4, WG),
  };
}

/** Evaluation: y = relu((x - running mean) * gamma / sqrt(running var + eps) + beta). */
export function bnInfer(label: string, g: BnGeometry, io: { x: Slice; out: Slice; params: ParamSlice; running: RunningSlice }, eps: number): Kernel {
  const C4 = check(g);
  const n4 = g.rows * C4;
  const vo = io.running.varianceOffset / 4;
  const code = /* wgsl */ `// bn infer
${v4(0, 'x', 'read')}
${v4(1, 'out', 'read_write')}
${v4(2, 'params', 'read')}
${v4(3, 'running', 'read')}
@compute @workgroup_size(${WG})
fn main(${FLAT_MAIN}) {
  ${flatIndex(WG)}
  if (index >= ${n4}) { return; }
  let c4 = index % ${C4};
  let scale = params[c4] * inverseSqrt(running[${vo} + c4] + ${f32(eps)});
  out[index] = max((x[index] - running[c4]) * scale + params[${io.params.betaOffset / 4} + c4], vec4<f32>(0.0));
}
`;
  return {
    kind: 'bn infer',
    label,
    code,
    bindings: [bind(io.x, 'read'), bind(io.out, 'read_write'), bind(io.params.slice, 'read'), bind(io.running.slice, 'read')],
    workgroups: grid1d(n4, WG),
  };
}

/**
 * Where the gradient of the layer's output comes from: a full tensor (`dy`), or the pooled gradient [batch, C]
 * of the global average pool over `pool` pixels per image (the final batch norm: dy = dpool / pool, broadcast).
 */
export type GradSource = { dy: Slice } | { dpool: Slice; pool: number };

/** WGSL: `fn grad(index, c4) -> vec4<f32>`, dy at an element (before the ReLU/dropout mask). */
function gradFn(src: GradSource, C4: number, binding: number, name: string, access: 'read' | 'read_write'): string {
  if ('dy' in src) return `${v4(binding, name, access)}\nfn grad(index : i32, c4 : i32) -> vec4<f32> { return ${name}[index]; }`;
  return `${v4(binding, name, access)}\nfn grad(index : i32, c4 : i32) -> vec4<f32> { return ${name}[(index / ${C4 * src.pool}) * ${C4} + c4] / ${f32(src.pool)}; }`;
}

const sliceOf = (src: GradSource) => ('dy' in src ? src.dy : src.dpool);

/**
 * Per (chunk, 4 channels): sum of g and of g (x - mean), g = dy masked where the layer's output `a` is not positive
 * (times `dropScale`: the dropout's scale where the block has dropout, else 1). partials: [2, chunks, C].
 */
export function bnBackwardStats(
  label: string,
  g: BnGeometry,
  io: { src: GradSource; a: Slice; x: Slice; batchStats: Slice; partials: Slice },
  dropScale: number,
): Kernel {
  const C4 = check(g);
  const s = splitRows(g.rows, g.channels);
  const code = /* wgsl */ `// bn backward stats
${gradFn(io.src, C4, 0, 'dy', 'read')}
${v4(1, 'a', 'read')}
${v4(2, 'x', 'read')}
${v4(3, 'stats', 'read')}
${v4(4, 'partials', 'read_write')}
@compute @workgroup_size(${WG})
fn main(${FLAT_MAIN}) {
  ${chunkPrelude(g, s, C4)}
  let mean = stats[c4];
  var sg = vec4<f32>(0.0);
  var sp = vec4<f32>(0.0);
  for (var r = r0; r < r1; r++) {
    let i = r * ${C4} + c4;
    let gi = select(vec4<f32>(0.0), grad(i, c4)${dropScale === 1 ? '' : ` * ${f32(dropScale)}`}, a[i] > vec4<f32>(0.0));
    sg += gi;
    sp = fma(gi, x[i] - mean, sp);
  }
  partials[index] = sg;
  partials[${s.chunks * C4} + index] = sp;
}
`;
  return {
    kind: 'bn backward stats',
    label,
    code,
    bindings: [bind(sliceOf(io.src), 'read'), bind(io.a, 'read'), bind(io.x, 'read'), bind(io.batchStats, 'read'), bind(io.partials, 'read_write')],
    workgroups: grid1d(s.chunks * C4, WG),
  };
}

/** Per 4 channels: dbeta = sum g and dgamma = rstd sum g (x - mean), into the gradients at gamma and beta. */
export function bnBackwardFinish(label: string, g: BnGeometry, io: { partials: Slice; batchStats: Slice; grads: ParamSlice }, eps: number): Kernel {
  const C4 = check(g);
  const s = splitRows(g.rows, g.channels);
  const code = /* wgsl */ `// bn backward finish
${v4(0, 'partials', 'read')}
${v4(1, 'stats', 'read')}
${v4(2, 'grads', 'read_write')}
@compute @workgroup_size(${WG})
fn main(${FLAT_MAIN}) {
  ${flatIndex(WG)}
  let c4 = index;
  if (c4 >= ${C4}) { return; }
  var sg = vec4<f32>(0.0);
  var sp = vec4<f32>(0.0);
  for (var g = 0; g < ${s.chunks}; g++) {
    sg += partials[g * ${C4} + c4];
    sp += partials[${s.chunks * C4} + g * ${C4} + c4];
  }
  grads[c4] = sp * inverseSqrt(stats[${C4} + c4] + ${f32(eps)});
  grads[${io.grads.betaOffset / 4} + c4] = sg;
}
`;
  return {
    kind: 'bn backward finish',
    label,
    code,
    bindings: [bind(io.partials, 'read'), bind(io.batchStats, 'read'), bind(io.grads.slice, 'read_write')],
    workgroups: grid1d(C4, WG),
  };
}

export interface BackwardInputIo {
  src: GradSource;
  /** where dx goes: the dy slice itself (in place, only for a full dy) or another */
  out: Slice | 'in-place';
  a: Slice;
  x: Slice;
  params: ParamSlice;
  batchStats: Slice;
  grads: ParamSlice;
  /** a gradient to add (the identity shortcut's: the block output's gradient) */
  residual?: Slice;
}

/** dx = gamma rstd (g - dbeta / M - xhat dgamma / M) (+ residual), g as in bnBackwardStats. */
export function bnBackwardInput(label: string, g: BnGeometry, io: BackwardInputIo, eps: number, dropScale: number): Kernel {
  const C4 = check(g);
  const n4 = g.rows * C4;
  const inPlace = io.out === 'in-place';
  if (inPlace && !('dy' in io.src)) throw new Error(`${label}: in place needs a full dy`);
  const bindings: Binding[] = [bind(sliceOf(io.src), inPlace ? 'read_write' : 'read')];
  const decl = [gradFn(io.src, C4, 0, 'dy', inPlace ? 'read_write' : 'read')];
  const add = (name: string, slice: Slice, access: 'read' | 'read_write') => {
    decl.push(v4(bindings.length, name, access));
    bindings.push(bind(slice, access));
  };
  if (!inPlace) add('out', io.out as Slice, 'read_write');
  add('a', io.a, 'read');
  add('x', io.x, 'read');
  add('params', io.params.slice, 'read');
  add('stats', io.batchStats, 'read');
  add('grads', io.grads.slice, 'read');
  if (io.residual) add('res', io.residual, 'read');
  const target = inPlace ? 'dy' : 'out';
  const code = /* wgsl */ `// bn backward input
${decl.join('\n')}
@compute @workgroup_size(${WG})
fn main(${FLAT_MAIN}) {
  ${flatIndex(WG)}
  if (index >= ${n4}) { return; }
  let c4 = index % ${C4};
  let rstd = inverseSqrt(stats[${C4} + c4] + ${f32(eps)});
  let gi = select(vec4<f32>(0.0), grad(index, c4)${dropScale === 1 ? '' : ` * ${f32(dropScale)}`}, a[index] > vec4<f32>(0.0));
  let xhat = (x[index] - stats[c4]) * rstd;
  let dbeta = grads[${io.grads.betaOffset / 4} + c4];
  let dgamma = grads[c4];
  let dx = params[c4] * rstd * (gi - dbeta / ${f32(g.rows)} - xhat * dgamma / ${f32(g.rows)});
  ${target}[index] = dx${io.residual ? ' + res[index]' : ''};
}
`;
  return { kind: 'bn backward input', label, code, bindings, workgroups: grid1d(n4, WG) };
}
