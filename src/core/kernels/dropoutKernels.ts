/**
 * `WrnDropout`: y = keep(i) ? x * scale : 0 in one kernel, with the keep bit computed where the data lives from the
 * counter-based hash in `../dropoutHash` (see there for why). Registered for every backend tfjs ships:
 *   - webgpu: a WGSL compute shader run through the backend's own program API (`runWebGPUProgram`);
 *   - webgl:  a GLSL ES 3.00 fragment program (`runWebGLProgram`), since WebGL 2 has unsigned integers;
 *   - cpu, wasm: a JavaScript loop over the tensor's own memory.
 * The gradient is the same kernel applied to dy with the same keys (the mask is a function of (index, keys), so it
 * need not be stored for the backward pass).
 *
 * tfjs backend internals are reached through small structural interfaces below (one narrow cast each) so that core
 * code imports no backend package: importing `@tensorflow/tfjs-backend-webgpu` registers that backend as a side
 * effect, which must stay the caller's choice.
 */
import * as tf from '@tensorflow/tfjs';
import type { HostBackend, WasmBackend } from './backendShapes';
import { addGradient, addKernel } from './registry';
import { asWebGpu, type WebGpuProgram, WORKGROUP } from './webgpu/program';
import { dropoutInto, GLSL_HASH, WGSL_HASH, type DropoutKeys } from '../dropoutHash';

export const DROPOUT_KERNEL = 'WrnDropout';

/** The attributes of a `WrnDropout` call: the keys from `dropoutKeys`. */
export type DropoutAttrs = DropoutKeys & tf.NamedAttrMap;

function keysOf(attrs: tf.NamedAttrMap | undefined): DropoutKeys {
  const a = attrs as Partial<DropoutKeys> | undefined;
  if (a?.key0 === undefined || a.key1 === undefined || a.threshold === undefined || a.scale === undefined) {
    throw new Error(`${DROPOUT_KERNEL} needs key0, key1, threshold and scale attributes`);
  }
  return { key0: a.key0, key1: a.key1, threshold: a.threshold, scale: a.scale };
}

function inputOf(inputs: tf.NamedTensorInfoMap): tf.TensorInfo {
  const x = inputs['x'];
  if (!x) throw new Error(`${DROPOUT_KERNEL} needs an input x`);
  if (x.dtype !== 'float32') throw new Error(`${DROPOUT_KERNEL} takes float32, got ${x.dtype}`);
  return x;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------------------------------------- webgpu

function webgpuProgram(shape: number[]): WebGpuProgram {
  return {
    variableNames: ['x'],
    outputShape: shape,
    shaderKey: 'wrnDropout',
    // Flat dispatch: one invocation per element; `index` is then the element's flat index, i.e. the hash counter.
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(size(shape) / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms: 'key0 : u32, key1 : u32, threshold : u32, scale : f32,',
    getUserCode: () => /* wgsl */ `
      ${WGSL_HASH}
      fn main(index : i32) {
        if (index < uniforms.size) {
          let bits = wrnElementBits(u32(index), uniforms.key0, uniforms.key1);
          setOutputAtIndex(index, select(0.0, x[index] * uniforms.scale, bits < uniforms.threshold));
        }
      }`,
  };
}

const webgpuKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputOf(inputs);
  const k = keysOf(attrs);
  return asWebGpu(backend).runWebGPUProgram(webgpuProgram(x.shape), [x], 'float32', [
    { type: 'uint32', data: [k.key0, k.key1, k.threshold] },
    { type: 'float32', data: [k.scale] },
  ]);
};

// ----------------------------------------------------------------------------------------------------------- webgl

/** The fields of tfjs-backend-webgl's `GPGPUProgram` this kernel sets. */
interface WebGlProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms: { name: string; type: 'int' | 'ivec2' | 'float' }[];
}

/** The methods of tfjs-backend-webgl's `MathBackendWebGL` used here. */
interface WebGlBackend {
  runWebGLProgram(program: WebGlProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, customUniformValues?: number[][]): tf.TensorInfo;
}

/** GLSL that turns the output coordinates of a rank-1..4 tensor into its row-major flat index. */
function glslFlatIndex(shape: number[]): string {
  const strides = shape.map((_, i) => size(shape.slice(i + 1)));
  if (shape.length === 1) return 'getOutputCoords()';
  const comps = ['x', 'y', 'z', 'w'];
  return strides.map((s, i) => `c.${comps[i]} * ${s}`).join(' + ');
}

function webglProgram(shape: number[]): WebGlProgram {
  return {
    variableNames: ['x'],
    outputShape: shape,
    customUniforms: [
      { name: 'keys', type: 'ivec2' },
      { name: 'threshold', type: 'int' },
      { name: 'scale', type: 'float' },
    ],
    // Keys and threshold travel as ints (WebGL has no unsigned uniforms in tfjs's API) and are reinterpreted with
    // uint(), which keeps the bit pattern.
    userCode: /* glsl */ `
      ${GLSL_HASH}
      void main() {
        ${shape.length > 1 ? 'ivec' + shape.length + ' c = getOutputCoords();' : ''}
        int i = ${glslFlatIndex(shape)};
        uint bits = wrnElementBits(uint(i), uint(keys.x), uint(keys.y));
        setOutput(bits < uint(threshold) ? getXAtOutCoords() * scale : 0.0);
      }`,
  };
}

const webglKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputOf(inputs);
  const k = keysOf(attrs);
  if (x.shape.length < 1 || x.shape.length > 4 || tf.env().getNumber('WEBGL_VERSION') < 2) {
    // WebGL 1 has no unsigned integers; other ranks have no coordinate type here. Both are rare: do it on the host.
    return hostKernel({ inputs, backend, ...(attrs ? { attrs } : {}) });
  }
  const toInt = (u: number) => u | 0;
  // Narrow cast: for backendName 'webgl' the registry hands a MathBackendWebGL.
  return (backend as WebGlBackend).runWebGLProgram(webglProgram(x.shape), [x], 'float32', [
    [toInt(k.key0), toInt(k.key1)],
    [toInt(k.threshold)],
    [k.scale],
  ]);
};

// ------------------------------------------------------------------------------------------------------- cpu, wasm

/** Any backend: read x to the host, mask it there, hand the result back (a copy each way off the CPU backends). */
const hostKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputOf(inputs);
  // Narrow cast: readSync and makeTensorInfo are part of every KernelBackend.
  const b = backend as HostBackend;
  const values = b.readSync(x.dataId) as ArrayLike<number>;
  const out = new Float32Array(size(x.shape));
  dropoutInto(values, out, keysOf(attrs));
  return b.makeTensorInfo(x.shape, 'float32', out);
};

/** WASM: read and write the heap in place, no copies (makeOutput first: it may grow, and so move, the heap). */
const wasmKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputOf(inputs);
  // Narrow cast: for backendName 'wasm' the registry hands a BackendWasm.
  const b = backend as WasmBackend;
  const out = b.makeOutput(x.shape, 'float32');
  dropoutInto(b.typedArrayFromHeap(x), b.typedArrayFromHeap(out) as Float32Array, keysOf(attrs));
  return out;
};

// ------------------------------------------------------------------------------------------------------ register

const KERNELS: Record<string, tf.KernelFunc> = {
  webgpu: webgpuKernel,
  webgl: webglKernel,
  wasm: wasmKernel,
  cpu: hostKernel,
};

/** Backends with a `WrnDropout` kernel; on any other the op falls back to an uploaded mask (dropout.ts). */
export const DROPOUT_BACKENDS = Object.keys(KERNELS);

/** The `WrnDropout` gradient: dy flows back through the same mask; the keys are in attrs, so nothing needs saving. */
const dropoutGradient: tf.GradConfig = {
  kernelName: DROPOUT_KERNEL,
  gradFunc: (dy, _saved, attrs) => ({
    x: () => tf.engine().runKernel(DROPOUT_KERNEL, { x: dy as tf.Tensor }, attrs) as tf.Tensor,
  }),
};

/**
 * Registers `WrnDropout` for `backendName` (if it has one: webgpu, webgl, wasm, cpu) and its gradient. Idempotent.
 * Called by ./index.ts's installKernels.
 */
export function registerDropoutKernel(backendName: string): void {
  const kernelFunc = KERNELS[backendName];
  if (kernelFunc) addKernel({ kernelName: DROPOUT_KERNEL, backendName, kernelFunc });
  addGradient(dropoutGradient);
}
