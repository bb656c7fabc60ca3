/**
 * What the two WASM convolution gradients (./wasmConvFilterGrad.ts, ./wasmConvInputGrad.ts) build on: the forward
 * convolution's geometry as tfjs computes it, and a scope that runs the WASM backend's own kernels on TensorInfos.
 *
 * Both kernels call the WASM backend's own kernels (Transpose, Reshape, PadV2, Slice, Reverse, Conv2D,
 * BatchMatMul) directly on TensorInfos rather than through `tf.*` ops: that keeps the work off the engine's tape
 * and scopes, and every intermediate is released with `backend.disposeData`, so a gradient leaves nothing behind
 * but its result.
 */
import * as tf from '@tensorflow/tfjs';
import type { WasmBackend } from './backendShapes';

export const BACKEND = 'wasm';

type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/** The attributes tfjs-core hands both gradient kernels (`Conv2DBackpropFilterAttrs` / `...InputAttrs`). */
export interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Runs the WASM backend's kernels on TensorInfos and remembers every output, so that one call at the end frees all
 * intermediates but the result. Each TensorInfo a kernel returns holds one reference to its buffer (Reshape shares
 * its input's buffer and adds a reference), so disposing each returned info exactly once is exact bookkeeping.
 */
export class KernelScope {
  private readonly owned: tf.TensorInfo[] = [];

  constructor(private readonly backend: WasmBackend) {}

  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const config = tf.getKernel(kernelName, BACKEND);
    if (!config) throw new Error(`wasm backend has no ${kernelName} kernel`);
    const out = config.kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out)) throw new Error(`${kernelName} returned ${out.length} outputs; expected one`);
    this.owned.push(out);
    return out;
  }

  /** A new float32 tensor of the given shape, freed with the scope like any kernel output. */
  make(shape: number[]): tf.TensorInfo {
    const out = this.backend.makeOutput(shape, 'float32');
    this.owned.push(out);
    return out;
  }

  /** A view of a tensor's values on the WASM heap; take it after the last allocation that precedes its use. */
  heap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array {
    return this.backend.typedArrayFromHeap(info);
  }

  /** Frees one output early (to lower peak memory); it must have come from this scope. */
  free(info: tf.TensorInfo): void {
    const i = this.owned.indexOf(info);
    if (i < 0) throw new Error('KernelScope.free: not owned here');
    this.owned.splice(i, 1);
    this.backend.disposeData(info.dataId);
  }

  /** Frees every output made in this scope except `keep` (the kernel's result, which the engine then owns). */
  release(keep?: tf.TensorInfo): void {
    for (const info of this.owned) if (info !== keep) this.backend.disposeData(info.dataId);
    this.owned.length = 0;
  }
}

/**
 * Runs `f` in a new scope and returns its result; every other output made in the scope is freed, on success and on
 * failure alike.
 */
export function withKernelScope(backend: {}, f: (scope: KernelScope) => tf.TensorInfo): tf.TensorInfo {
  const scope = new KernelScope(backend as WasmBackend);
  try {
    const out = f(scope);
    scope.release(out);
    return out;
  } catch (err) {
    scope.release();
    throw err;
  }
}

/** Attribute objects for tfjs's kernels are plain records; this spells the cast once (NamedAttrMap is a loose map). */
export function attrsOf<T extends object>(attrs: T): tf.NamedAttrMap {
  return attrs as unknown as tf.NamedAttrMap;
}

export function checkLayout(attrs: ConvGradAttrs, kernel: string): void {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports only dataFormat 'NHWC' (the WASM Conv2D has no NCHW); got ${attrs.dataFormat}`);
  }
}

/** Geometry of the forward convolution: tfjs's own rules for 'same'/'valid'/explicit padding and dimRoundingMode. */
export function forwardInfo(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: ConvGradAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    1, // tfjs's conv2d gradient refuses dilations > 1, so the forward op had none
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}
