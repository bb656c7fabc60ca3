/**
 * The two convolution gradients for tfjs's WASM backend, written as forward convolutions (and, for 1x1 filters,
 * matrix products) so that XNNPACK's fast `Conv2D` / `BatchMatMul` do the arithmetic.
 *
 * Why: the WASM backend as shipped (tfjs 4.22) has no `Conv2DBackpropFilter` at all
 * (https://github.com/tensorflow/tfjs/issues/8474), so a conv net cannot train on it; and its own
 * `Conv2DBackpropInput` is a plain loop nest, slower than the forms below (BENCHMARKS.md, section 9).
 *
 * Notation (NHWC, the only layout the WASM `Conv2D` accepts): the forward convolution takes
 *   x [N, H, W, Ci] and w [kh, kw, Ci, Co] with strides (sh, sw) and padding (top, left, bottom, right)
 *   to y [N, Ho, Wo, Co]:  y[n,i,j,co] = sum_{a,b,ci} xpad[n, i*sh + a, j*sw + b, ci] * w[a,b,ci,co],
 * where xpad[n, p, q, :] = x[n, p - top, q - left, :] and zero outside x. dy has y's shape.
 *
 * Filter gradient: ./wasmConvFilterGrad.ts; input gradient: ./wasmConvInputGrad.ts; what both build on (the forward
 * geometry, a scope of WASM kernel calls): ./wasmConvShared.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { replaceKernel } from './registry';
import { conv2DBackpropFilter } from './wasmConvFilterGrad';
import { conv2DBackpropInput } from './wasmConvInputGrad';
import { BACKEND } from './wasmConvShared';

/**
 * Registers `Conv2DBackpropFilter` and `Conv2DBackpropInput` for the 'wasm' backend (replacing the shipped
 * `Conv2DBackpropInput`). Idempotent; called by ./index.ts's installKernels('wasm'), after
 * `@tensorflow/tfjs-backend-wasm` has been imported. It may run before or after `tf.setBackend('wasm')`: these
 * kernels have no setup step, and they look up the WASM kernels they build on at call time.
 */
export function registerWasmConvGradients(): void {
  replaceKernel(tf.Conv2DBackpropFilter, BACKEND, conv2DBackpropFilter);
  replaceKernel(tf.Conv2DBackpropInput, BACKEND, conv2DBackpropInput);
}
