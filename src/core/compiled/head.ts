/**
 * The head of the compiled step: global average pool, the linear layer, softmax cross-entropy and accuracy, forward
 * and backward, in two dispatches.
 *
 * `headForward`, one workgroup per image: pooled = the mean of the final activation over its pixels; logits =
 * pooled W + b; loss = logsumexp(logits) - logits[label] (tfjs's softmaxCrossEntropy per image); right = argmax
 * (the first maximum, as tfjs's argMax) == label; dlogits = (softmax - onehot) / batch; dpool = dlogits W^T, the
 * gradient the final batch norm's backward pass broadcasts over the pixels (batchNorm.ts, GradSource 'dpool').
 * `headBackward`: dW = pooled^T dlogits, db = sum dlogits, and the batch's mean loss and count of right answers
 * into the metrics ring at the step's slot. For evaluation `headEval` writes each image's loss and prediction.
 */
import type { Binding, Kernel, Slice } from './gpu';
import { grid1d } from './gpu';
import { f32, FLAT_MAIN, flatIndex, stepUniformStruct } from './wgsl';

export interface HeadGeometry {
  batch: number;
  /** pixels per image of the final activation (8 x 8) */
  pool: number;
  channels: number;
  classes: number;
  /** floats from the linear layer's kernel to its bias in the flat buffers (the kernel's size, aligned) */
  biasOffset: number;
}

const bind = (slice: Slice, access: Binding['access']): Binding => ({ slice, access });
const WG = 64;

/** WGSL shared by headForward and headEval: pool one image into `pooled` and compute `logits`; `b` is the image. */
function poolAndLogits(g: HeadGeometry): string {
  const { pool: HW, channels: C, classes: K } = g;
  return `
  let b = i32(wg.x);
  let t = i32(lc.x);
  for (var c = t; c < ${C}; c += ${WG}) {
    var s = 0.0;
    for (var p = 0; p < ${HW}; p++) { s += act[(b * ${HW} + p) * ${C} + c]; }
    pooled[c] = s / ${f32(HW)};
  }
  workgroupBarrier();
  if (t < ${K}) {
    var z = params[${g.biasOffset} + t];
    for (var c = 0; c < ${C}; c++) { z = fma(pooled[c], params[c * ${K} + t], z); }
    logits[t] = z;
  }
  workgroupBarrier();`;
}

/** WGSL: logsumexp and argmax of `logits` (run by one invocation). */
function lossOf(K: number): string {
  return `
    var mx = logits[0];
    var arg = 0;
    for (var k = 1; k < ${K}; k++) { if (logits[k] > mx) { mx = logits[k]; arg = k; } }
    var se = 0.0;
    for (var k = 0; k < ${K}; k++) { se += exp(logits[k] - mx); }
    let lse = mx + log(se);`;
}

export interface HeadForwardIo {
  /** the final activation [batch, pool, C] */
  act: Slice;
  /** the linear layer: kernel [C, classes], then bias [classes] at `biasOffset` */
  params: Slice;
  /** labels: u32 per image */
  labels: Slice;
  /** out: pooled [batch, C] */
  pooled: Slice;
  /** out: dlogits [batch, classes] */
  dlogits: Slice;
  /** out: dpool [batch, C] */
  dpool: Slice;
  /** out: per image (loss, right) */
  perImage: Slice;
}

export function headForward(label: string, g: HeadGeometry, io: HeadForwardIo): Kernel {
  const { batch: B, channels: C, classes: K } = g;
  const code = /* wgsl */ `// head forward: ${B} images, ${g.pool} pixels x ${C} channels -> ${K} classes
@group(0) @binding(0) var<storage, read> act : array<f32>;
@group(0) @binding(1) var<storage, read> params : array<f32>;
@group(0) @binding(2) var<storage, read> labels : array<u32>;
@group(0) @binding(3) var<storage, read_write> pooledOut : array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits : array<f32>;
@group(0) @binding(5) var<storage, read_write> dpool : array<f32>;
@group(0) @binding(6) var<storage, read_write> perImage : array<f32>;
var<workgroup> pooled : array<f32, ${C}>;
var<workgroup> logits : array<f32, ${K}>;
var<workgroup> dl : array<f32, ${K}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg : vec3<u32>, @builtin(local_invocation_id) lc : vec3<u32>) {
  ${poolAndLogits(g)}
  if (t == 0) {
    ${lossOf(K)}
    let y = i32(labels[b]);
    perImage[2 * b] = lse - logits[y];
    perImage[2 * b + 1] = select(0.0, 1.0, arg == y);
    for (var k = 0; k < ${K}; k++) {
      dl[k] = (exp(logits[k] - mx) / se - select(0.0, 1.0, k == y)) / ${f32(B)};
      dlogits[b * ${K} + k] = dl[k];
    }
  }
  workgroupBarrier();
  for (var c = t; c < ${C}; c += ${WG}) {
    pooledOut[b * ${C} + c] = pooled[c];
    var s = 0.0;
    for (var k = 0; k < ${K}; k++) { s = fma(dl[k], params[c * ${K} + k], s); }
    dpool[b * ${C} + c] = s;
  }
}
`;
  return {
    kind: 'head forward',
    label,
    code,
    bindings: [
      bind(io.act, 'read'),
      bind(io.params, 'read'),
      bind(io.labels, 'read'),
      bind(io.pooled, 'read_write'),
      bind(io.dlogits, 'read_write'),
      bind(io.dpool, 'read_write'),
      bind(io.perImage, 'read_write'),
    ],
    workgroups: [B, 1, 1],
  };
}

export interface HeadBackwardIo {
  pooled: Slice;
  dlogits: Slice;
  perImage: Slice;
  /** the linear layer's gradients: kernel then bias, as in HeadForwardIo.params */
  grads: Slice;
  /** the metrics ring: (loss, right answers) per slot */
  metrics: Slice;
  uniform: Slice;
  /** dropout blocks of the net (the uniform block's key count) */
  keyCount: number;
}

export function headBackward(label: string, g: HeadGeometry, io: HeadBackwardIo): Kernel {
  const { batch: B, channels: C, classes: K } = g;
  const n = C * K + K + 1;
  const code = /* wgsl */ `// head backward
${stepUniformStruct(io.keyCount)}
@group(0) @binding(0) var<storage, read> pooled : array<f32>;
@group(0) @binding(1) var<storage, read> dlogits : array<f32>;
@group(0) @binding(2) var<storage, read> perImage : array<f32>;
@group(0) @binding(3) var<storage, read_write> grads : array<f32>;
@group(0) @binding(4) var<storage, read_write> metrics : array<f32>;
@group(0) @binding(5) var<uniform> step : Step;
@compute @workgroup_size(${WG})
fn main(${FLAT_MAIN}) {
  ${flatIndex(WG)}
  if (index < ${C * K}) {
    let c = index / ${K};
    let k = index % ${K};
    var s = 0.0;
    for (var b = 0; b < ${B}; b++) { s = fma(pooled[b * ${C} + c], dlogits[b * ${K} + k], s); }
    grads[index] = s;
  } else if (index < ${C * K + K}) {
    let k = index - ${C * K};
    var s = 0.0;
    for (var b = 0; b < ${B}; b++) { s += dlogits[b * ${K} + k]; }
    grads[${g.biasOffset} + k] = s;
  } else if (index == ${C * K + K}) {
    var loss = 0.0;
    var right = 0.0;
    for (var b = 0; b < ${B}; b++) { loss += perImage[2 * b]; right += perImage[2 * b + 1]; }
    metrics[2u * step.slot] = loss / ${f32(B)};
    metrics[2u * step.slot + 1u] = right;
  }
}
`;
  return {
    kind: 'head backward',
    label,
    code,
    bindings: [
      bind(io.pooled, 'read'),
      bind(io.dlogits, 'read'),
      bind(io.perImage, 'read'),
      bind(io.grads, 'read_write'),
      bind(io.metrics, 'read_write'),
      bind(io.uniform, 'uniform'),
    ],
    workgroups: grid1d(n, WG),
  };
}

/** Evaluation: per image its loss and predicted class, into `results` as (loss, class) pairs. */
export function headEval(label: string, g: HeadGeometry, io: { act: Slice; params: Slice; labels: Slice; results: Slice }): Kernel {
  const { channels: C, classes: K } = g;
  const code = /* wgsl */ `// head eval
@group(0) @binding(0) var<storage, read> act : array<f32>;
@group(0) @binding(1) var<storage, read> params : array<f32>;
@group(0) @binding(2) var<storage, read> labels : array<u32>;
@group(0) @binding(3) var<storage, read_write> results : array<f32>;
var<workgroup> pooled : array<f32, ${C}>;
var<workgroup> logits : array<f32, ${K}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg : vec3<u32>, @builtin(local_invocation_id) lc : vec3<u32>) {
  ${poolAndLogits(g)}
  if (t == 0) {
    ${lossOf(K)}
    results[2 * b] = lse - logits[i32(labels[b])];
    results[2 * b + 1] = f32(arg);
  }
}
`;
  return {
    kind: 'head eval',
    label,
    code,
    bindings: [bind(io.act, 'read'), bind(io.params, 'read'), bind(io.labels, 'read'), bind(io.results, 'read_write')],
    workgroups: [g.batch, 1, 1],
  };
}
