/**
 * The fused momentum update in place: one dispatch updates the weights and accumulations of up to two parameter
 * tensors, writing both buffers where they are (no new tensors, no allocation). tfjs's program API cannot express
 * this (one output per program, inputs read-only), so the pipeline, bind group and dispatch are recorded here into
 * the backend's own command encoder and compute pass, the way its `recordAndSubmit` does (backend_webgpu.ts):
 * uniforms through its `makeUniforms`, the bound tensors marked as owned by the pending commands (so a disposal
 * waits for the submit), and a submit every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches.
 *
 * Writing a variable's buffer in place is safe only when nothing else holds that buffer: `inPlaceBackend` and
 * the caller check the backend's reference count (1: the variable alone). Dispatch order within the queue makes the
 * update see every earlier read of the old weight (the forward and backward passes of the step) finished.
 *
 * Why two per dispatch: each tensor takes three storage bindings (weight and accumulation read-write, gradient
 * read-only) and a stage may bind at most 8 storage buffers unless the device was asked for more.
 */
import * as tf from '@tensorflow/tfjs';
import { WORKGROUP, type Uniform } from './program';

export const PER_DISPATCH = 2;

/** The parts of tfjs-backend-webgpu's `WebGPUBackend` that recording our own dispatch needs. */
interface WebGpuInternals {
  device: GPUDevice;
  tensorMap: { get(dataId: object): { resource?: unknown; values?: unknown } | undefined };
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  activeTimers?: unknown;
  uploadToGPU(dataId: object): void;
  makeUniforms(uniforms: Uniform[]): GPUBufferBinding;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  refCount(dataId: object): number;
}

/** The backend's internals when they are all there (tfjs-backend-webgpu 4.x) and no profiler is timing programs. */
export function inPlaceBackend(): WebGpuInternals | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const b = tf.backend() as unknown as Partial<WebGpuInternals>;
  const ok =
    b.device !== undefined &&
    b.tensorMap !== undefined &&
    typeof b.uploadToGPU === 'function' &&
    typeof b.makeUniforms === 'function' &&
    typeof b.ensureCommandEncoderReady === 'function' &&
    typeof b.endComputePassEncoder === 'function' &&
    typeof b.submitQueue === 'function' &&
    typeof b.refCount === 'function' &&
    b.commandQueueOwnedIds instanceof WeakSet &&
    // tf.profile / tf.time with timestamp queries: tfjs ends a pass per program; keep out of its way
    (b.activeTimers === undefined || b.activeTimers === null);
  return ok ? (b as WebGpuInternals) : null;
}

export interface MomentumHyper {
  lr: number;
  momentum: number;
  wd: number;
  nesterov: boolean;
}

/** WGSL for k (1 or 2) tensors: bindings 3j, 3j+1, 3j+2 = weight j, accumulation j, gradient j; then the uniforms. */
function shader(k: number): string {
  const decl: string[] = [];
  const body: string[] = [];
  for (let j = 0; j < k; j++) {
    decl.push(
      `@group(0) @binding(${3 * j}) var<storage, read_write> w${j} : array<f32>;`,
      `@group(0) @binding(${3 * j + 1}) var<storage, read_write> a${j} : array<f32>;`,
      `@group(0) @binding(${3 * j + 2}) var<storage, read> g${j} : array<f32>;`,
    );
    // tfjs's MomentumOptimizer fed g + wd * w, op for op (see momentum.ts)
    body.push(`
    if (i < u.n${j}) {
      let w = w${j}[i];
      let g = g${j}[i] + w * u.wd;
      let a = a${j}[i] * u.momentum + g;
      a${j}[i] = a;
      let update = select(a, g + a * u.momentum, u.nesterov > 0.5);
      w${j}[i] = w + -u.lr * update;
    }`);
  }
  return /* wgsl */ `
  struct Uniforms { lr : f32, momentum : f32, wd : f32, nesterov : f32, ${Array.from({ length: k }, (_, j) => `n${j} : u32`).join(', ')} };
  ${decl.join('\n  ')}
  @group(0) @binding(${3 * k}) var<uniform> u : Uniforms;
  @compute @workgroup_size(${WORKGROUP})
  fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
    let i = gid.y * groups.x * ${WORKGROUP}u + gid.x;
    ${body.join('\n')}
  }`;
}

/** The pipeline's label is what dispatchCount.ts reports for it. */
const LABEL = 'WrnMomentumInPlace';
const pipelines = new WeakMap<GPUDevice, Map<number, GPUComputePipeline>>();

function pipelineFor(device: GPUDevice, k: number): GPUComputePipeline {
  let byK = pipelines.get(device);
  if (!byK) {
    byK = new Map();
    pipelines.set(device, byK);
  }
  let p = byK.get(k);
  if (!p) {
    const module = device.createShaderModule({ code: shader(k), label: LABEL });
    p = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: LABEL });
    byK.set(k, p);
  }
  return p;
}

/** One update of each parameter in `group` (1 or 2 of them), recorded as one dispatch. */
export function recordMomentumInPlace(
  b: WebGpuInternals,
  group: { weight: tf.Tensor; accumulation: tf.Tensor; gradient: tf.Tensor }[],
  h: MomentumHyper,
): void {
  const k = group.length;
  if (k < 1 || k > PER_DISPATCH) throw new Error(`recordMomentumInPlace takes 1 to ${PER_DISPATCH} tensors, got ${k}`);
  const tensors = group.flatMap((p) => [p.weight, p.accumulation, p.gradient]);
  const entries: GPUBindGroupEntry[] = tensors.map((t, i) => {
    b.uploadToGPU(t.dataId);
    const resource = b.tensorMap.get(t.dataId)?.resource;
    if (!(resource instanceof GPUBuffer)) throw new Error('recordMomentumInPlace: a tensor is not in a GPU buffer');
    return { binding: i, resource: { buffer: resource } };
  });
  // A read-back leaves a copy of the values on the host that later reads return as they are (tfjs's
  // convertAndCacheOnCPU): drop it for the two buffers written here, or a read after this update sees the old values.
  for (const p of group) {
    for (const t of [p.weight, p.accumulation]) {
      const data = b.tensorMap.get(t.dataId);
      if (data) data.values = null;
    }
  }
  const sizes = group.map((p) => p.weight.size);
  entries.push({
    binding: 3 * k,
    resource: b.makeUniforms([
      ...[h.lr, h.momentum, h.wd, h.nesterov ? 1 : 0].map((v): Uniform => ({ type: 'float32', data: [v] })),
      ...sizes.map((n): Uniform => ({ type: 'uint32', data: [n] })),
    ]),
  });
  const pipeline = pipelineFor(b.device, k);
  const bindGroup = b.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  for (const t of tensors) b.commandQueueOwnedIds.add(t.dataId);
  // Workgroups in x up to the per-dimension limit, the rest in y (the shader folds y back into the index).
  const groups = Math.max(1, Math.ceil(Math.max(...sizes) / WORKGROUP));
  const maxX = b.device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.min(groups, maxX);
  const y = Math.ceil(groups / x);
  b.ensureCommandEncoderReady();
  b.computePassEncoder ??= b.commandEncoder!.beginComputePass({});
  b.computePassEncoder.setPipeline(pipeline);
  b.computePassEncoder.setBindGroup(0, bindGroup);
  b.computePassEncoder.dispatchWorkgroups(x, y, 1);
  b.dispatchCountInPass++;
  if (tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') <= b.dispatchCountInPass) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
}
