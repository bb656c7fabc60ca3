/**
 * The executor under the compiled step: buffers it owns (counted, so that a plan can prove it frees them all),
 * compute pipelines made once from generated WGSL, bind groups fixed at plan time, and dispatches recorded into one
 * compute pass. A dispatch here is `setPipeline` + `setBindGroup` + `dispatchWorkgroups`; nothing is created while
 * a step is encoded.
 *
 * No tfjs here: the device is the one tfjs-webgpu holds (or any GPUDevice, in tests).
 */

/** A range of a buffer, as a binding sees it (offsets in bytes, a multiple of the device's storage alignment). */
export interface Slice {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

/** A binding of a kernel: a storage range read-only or read-write, or a uniform range. */
export type Binding = { slice: Slice; access: 'read' | 'read_write' | 'uniform' };

/** One planned dispatch: everything `dispatchWorkgroups` needs, made before the first step. */
export interface Dispatch {
  /** the program (its pipeline's label; dispatchCount.ts counts by it) */
  kind: string;
  /** the layer's use of it, e.g. "g1b1_conv1 forward" */
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

/**
 * A kernel as generated: its WGSL, the bindings its `@binding(i)` declarations stand for, and its grid. `kind` names
 * the program (the pipeline's label: layers of one shape share a pipeline), `label` the layer's use of it.
 */
export interface Kernel {
  kind: string;
  label: string;
  code: string;
  bindings: Binding[];
  workgroups: [number, number, number];
}

/** Thrown when a plan cannot be made on this device (a limit, a missing feature): the caller falls back and says why. */
export class PlanError extends Error {
  override name = 'PlanError';
}

/** Buffers a plan owns: made through here so that their count and bytes are known and `destroyAll` frees them. */
export class BufferPool {
  private readonly live = new Set<GPUBuffer>();
  private bytesValue = 0;
  private created = 0;

  constructor(readonly device: GPUDevice) {}

  /** A new buffer of `bytes` (rounded up to 16); `usage` defaults to storage that can be copied both ways. */
  create(label: string, bytes: number, usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    if (size > this.device.limits.maxBufferSize)
      throw new PlanError(`${label} needs ${megabytes(size)} in one buffer; this device allows ${megabytes(this.device.limits.maxBufferSize)}`);
    const buffer = this.device.createBuffer({ label, size, usage });
    this.live.add(buffer);
    this.bytesValue += size;
    this.created++;
    return buffer;
  }

  /** The whole of a buffer as a slice. */
  whole(buffer: GPUBuffer): Slice {
    return { buffer, offset: 0, size: buffer.size };
  }

  /** Buffers alive now, their bytes, and how many were ever made (equal counts before and after a step: no growth). */
  get stats(): { buffers: number; bytes: number; created: number } {
    return { buffers: this.live.size, bytes: this.bytesValue, created: this.created };
  }

  destroy(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return;
    this.bytesValue -= buffer.size;
    buffer.destroy();
  }

  destroyAll(): void {
    for (const b of [...this.live]) this.destroy(b);
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Pipelines by WGSL text: layers of the same shape share one. */
export class PipelineCache {
  private readonly byCode = new Map<string, GPUComputePipeline>();

  constructor(readonly device: GPUDevice) {}

  get size(): number {
    return this.byCode.size;
  }

  /** The pipeline of a kernel; compile errors surface as a PlanError with the kernel's name and the message. */
  async pipeline(label: string, code: string): Promise<GPUComputePipeline> {
    const known = this.byCode.get(code);
    if (known) return known;
    const module = this.device.createShaderModule({ label, code });
    this.device.pushErrorScope('validation');
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await this.device.createComputePipelineAsync({ label, layout: 'auto', compute: { module, entryPoint: 'main' } });
    } catch (err) {
      await this.device.popErrorScope();
      const info = await module.getCompilationInfo();
      const messages = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
      throw new PlanError(`the ${label} kernel does not compile here: ${messages.join('; ') || (err as Error).message}`);
    }
    const error = await this.device.popErrorScope();
    if (error) throw new PlanError(`the ${label} kernel does not compile here: ${error.message}`);
    this.byCode.set(code, pipeline);
    return pipeline;
  }
}

/** Makes a kernel's pipeline and bind group: a dispatch ready to encode. */
export async function planDispatch(device: GPUDevice, pipelines: PipelineCache, k: Kernel): Promise<Dispatch> {
  const pipeline = await pipelines.pipeline(k.kind, k.code);
  const limit = device.limits.maxComputeWorkgroupsPerDimension;
  if (k.workgroups.some((n) => n > limit))
    throw new PlanError(`${k.label} needs a grid of ${k.workgroups.join('x')} workgroups; this device allows ${limit} per dimension`);
  device.pushErrorScope('validation');
  const bindGroup = device.createBindGroup({
    label: k.label,
    layout: pipeline.getBindGroupLayout(0),
    entries: k.bindings.map((b, i) => ({ binding: i, resource: { buffer: b.slice.buffer, offset: b.slice.offset, size: b.slice.size } })),
  });
  const error = await device.popErrorScope();
  if (error) throw new PlanError(`the ${k.label} kernel's bindings are not valid here: ${error.message}`);
  return { kind: k.kind, label: k.label, pipeline, bindGroup, workgroups: k.workgroups.map((n) => Math.max(1, n)) as [number, number, number] };
}

/**
 * No dynamic offsets, as the typed-array overload of setBindGroup takes them: in Node's Dawn bindings that overload
 * cost 3.5 us a bind + dispatch against 18-25 us for `setBindGroup(0, group)` (whose optional sequence argument is
 * converted on every call).
 */
const NO_OFFSETS = new Uint32Array(0);

/** Records planned dispatches into a compute pass (the pipeline is set only when it changes). */
export function encodeDispatches(pass: GPUComputePassEncoder, dispatches: readonly Dispatch[]): void {
  let current: GPUComputePipeline | null = null;
  for (const d of dispatches) {
    if (d.pipeline !== current) {
      pass.setPipeline(d.pipeline);
      current = d.pipeline;
    }
    pass.setBindGroup(0, d.bindGroup, NO_OFFSETS, 0, 0);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
}

/** Runs dispatches once in their own submit (tests, and the plan's one-off work). */
export function submitDispatches(device: GPUDevice, dispatches: readonly Dispatch[]): void {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  encodeDispatches(pass, dispatches);
  pass.end();
  device.queue.submit([encoder.finish()]);
}

/** Reads a range of a buffer back to the host (a staging copy, mapped; for set-up, tests and checkpoints). */
export async function readBuffer(device: GPUDevice, source: GPUBuffer, offset = 0, size = source.size - offset): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ label: 'read-back', size: Math.ceil(size / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(source, offset, staging, 0, Math.ceil(size / 4) * 4);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange().slice(0, size);
  } finally {
    staging.destroy();
  }
}

/** Workgroups for `n` invocations of `size` each, spread over x and y when x alone would pass the limit. */
export function grid1d(n: number, size: number, maxPerDim = 65535): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / size));
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}
