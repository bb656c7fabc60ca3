/**
 * The slice of tfjs-backend-webgpu's program API our WGSL kernels use, as structural types (its `WebGPUProgram` and
 * `WebGPUBackend` are not exported at the package's top level, and importing the package registers the backend as
 * a side effect, which must stay the caller's choice).
 *
 * How a program runs (backend_webgpu.ts `runWebGPUProgram`): the backend makes the output tensor (or writes into
 * the one given), builds the shader from a prelude (uniforms struct with every input's shape and strides, `get<Name>`
 * helpers, `setOutputAtIndex`, `getGlobalIndex`) plus `getUserCode()`, caches the pipeline by `shaderKey` + shapes'
 * ranks and dtypes, and records one `dispatchWorkgroups(...dispatch)`. Bindings: 0 = output (read_write), 1..n =
 * inputs (read-only), then one uniform buffer. The pipeline's label is the program object's class name, which is
 * how `dispatchCount.ts` attributes dispatches: hence one class per program here.
 */
import type * as tf from '@tensorflow/tfjs';

export interface WebGpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** adds `uniforms.size` (the output's element count) */
  size?: boolean;
  /** extra uniform fields, WGSL struct member syntax ("eps : f32, rows : i32,") */
  uniforms?: string;
  getUserCode(): string;
}

export type Uniform = { type: 'int32' | 'uint32' | 'float32'; data: number[] };

/**
 * One uniform entry per scalar field: the backend lays an entry of n values out as a vecN (aligned to 8 or 16
 * bytes), which matches a struct of scalar fields only when n is 1.
 */
export function scalars(type: Uniform['type'], values: number[]): Uniform[] {
  return values.map((v) => ({ type, data: [v] }));
}

export interface WebGpuBackend {
  runWebGPUProgram(program: WebGpuProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms?: Uniform[], output?: tf.TensorInfo): tf.TensorInfo;
}

/** Threads per workgroup of the flat (one invocation per output element or per reduction lane) programs. */
export const WORKGROUP = 64;

export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * A flat dispatch over n invocations for an output of the given rank: `main(index)` gets the invocation's flat
 * index (it may run past n: guard it). All output axes go in the layout's x, as tfjs's own elementwise programs do.
 */
export function flatDispatch(n: number, rank = 1): Pick<WebGpuProgram, 'dispatchLayout' | 'dispatch' | 'workgroupSize'> {
  return {
    dispatchLayout: { x: Array.from({ length: rank }, (_, i) => i) },
    dispatch: [Math.max(1, Math.ceil(n / WORKGROUP)), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
  };
}

/**
 * The set-up our flat programs share: the output's shape and a flat dispatch of `invocations` threads (see
 * `flatDispatch`). A program extends it with its inputs (`variableNames`), `shaderKey`, uniforms and code. Each
 * program stays a class of its own: tfjs labels the pipeline with the class name, which `dispatchCount.ts` counts by.
 */
export abstract class FlatProgram implements WebGpuProgram {
  abstract variableNames: string[];
  abstract shaderKey: string;
  outputShape: number[];
  dispatchLayout: WebGpuProgram['dispatchLayout'];
  dispatch: WebGpuProgram['dispatch'];
  workgroupSize: WebGpuProgram['workgroupSize'];
  constructor(outputShape: number[], invocations: number, rank = 1) {
    this.outputShape = outputShape;
    ({ dispatchLayout: this.dispatchLayout, dispatch: this.dispatch, workgroupSize: this.workgroupSize } = flatDispatch(invocations, rank));
  }
  abstract getUserCode(): string;
}

/**
 * One invocation per element of the output (of `shape`), all its axes in the layout's x; `uniforms.size` is the
 * element count, for `main(index)` to guard the tail with.
 */
export abstract class ElementwiseProgram extends FlatProgram {
  size = true;
  constructor(shape: number[]) {
    super(shape, sizeOf(shape), shape.length);
  }
}

/** The registry hands a kernel `{}`; for backendName 'webgpu' it is a WebGPUBackend (the narrow cast, for all our WebGPU kernels). */
export const asWebGpu = (backend: {}): WebGpuBackend => backend as WebGpuBackend;

/** The float32 inputs a kernel needs, by name, or a clear error. */
export function need(inputs: tf.NamedTensorInfoMap, names: readonly string[], kernel: string): tf.TensorInfo[] {
  return names.map((n) => {
    const t = inputs[n];
    if (!t) throw new Error(`${kernel} needs an input ${n}`);
    if (t.dtype !== 'float32') throw new Error(`${kernel} takes float32, got ${t.dtype} for ${n}`);
    return t;
  });
}

/** A numeric attribute, or a clear error. */
export function numberAttr(attrs: tf.NamedAttrMap | undefined, name: string, kernel: string): number {
  const v = (attrs as Record<string, unknown> | undefined)?.[name];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${kernel} needs a finite number attribute ${name}`);
  return v;
}
