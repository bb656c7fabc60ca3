/**
 * A no-copy `Identity` for tfjs's WASM backend: the output shares the input's buffer, reference-counted.
 *
 * Why: tfjs-core clones (`Identity`) every tensor a gradient saves for the backward pass, and the shipped WASM
 * Identity allocates a new buffer on the heap and copies the values into it: 181 copies, about 12 ms of a ~335 ms
 * WRN-10-1 training step at batch 32 (one thread). tfjs's CPU and WebGL backends, and the WASM backend's own
 * `Reshape`, instead return the input's `dataId` with one more reference on it (`backend.incRef`), and the buffer is
 * freed when the last tensor on it is disposed (`disposeData` counts down). That is safe because no kernel writes
 * into an input's buffer: every kernel writes only outputs it allocated itself, and a variable's `assign` swaps its
 * `dataId` rather than overwriting the buffer. Strings live off the heap: those stay with the shipped kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { WasmBackend } from './backendShapes';
import { replaceKernel, shippedKernel } from './registry';

const BACKEND = 'wasm';

function identity(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs;
  if (!x) throw new Error('Identity needs input x');
  if (x.dtype === 'string') {
    const shipped = shippedKernel(tf.Identity, BACKEND);
    if (!shipped) throw new Error('wasm Identity: no kernel for string tensors');
    return shipped(args);
  }
  // args.backend is typed `{}` by tfjs's KernelFunc; on 'wasm' it is a BackendWasm.
  (args.backend as Pick<WasmBackend, 'incRef'>).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Replaces the WASM backend's `Identity` with the sharing one (idempotent; ./index.ts's installKernels('wasm') calls
 * it). The shipped kernel, registered by `@tensorflow/tfjs-backend-wasm`'s import, is kept for string tensors.
 */
export function registerWasmIdentity(): void {
  replaceKernel(tf.Identity, BACKEND, identity);
}
