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
// Its import registers the shipped kernels, so this module's registration below replaces the shipped Identity.
import '@tensorflow/tfjs-backend-wasm';

const BACKEND = 'wasm';


let shippedIdentity: tf.KernelFunc | undefined;

function identity(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs;
  if (!x) throw new Error('Identity needs input x');
  if (x.dtype === 'string') {
    if (!shippedIdentity) throw new Error('wasm Identity: no kernel for string tensors');
    return shippedIdentity(args);
  }
  // args.backend is typed `{}` by tfjs's KernelFunc; on 'wasm' it is a BackendWasm.
  (args.backend as Pick<WasmBackend, 'incRef'>).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Replaces the WASM backend's `Identity` with the sharing one (idempotent; this module calls it when it loads).
 * The shipped kernel, registered by `@tensorflow/tfjs-backend-wasm`'s import above, is kept for string tensors.
 */
export function registerWasmIdentity(): void {
  const current = tf.getKernel(tf.Identity, BACKEND);
  if (current?.kernelFunc === identity) return;
  if (current) {
    shippedIdentity = current.kernelFunc;
    tf.unregisterKernel(tf.Identity, BACKEND);
  }
  // Keep any setupFunc of the shipped registration, as ./wasmTile.ts does (the engine runs it at backend start-up).
  tf.registerKernel({ kernelName: tf.Identity, backendName: BACKEND, kernelFunc: identity, setupFunc: current?.setupFunc });
}

registerWasmIdentity();
