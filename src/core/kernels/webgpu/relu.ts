/**
 * ReLU's gradient in one dispatch: dx = x > 0 ? dy : 0. tfjs-core's is mul(dy, cast(step(x))): a step and a
 * multiply, two dispatches on WebGPU for every ReLU of the net (13 in WRN-16-4, each after a batch norm).
 *
 * The gradient registered for 'Relu' is global (tfjs keys gradients by kernel name only), so it runs our kernel only
 * where `WrnReluGrad` is registered for the current backend (WebGPU with our kernels) and is tfjs's own formula,
 * op for op, everywhere else.
 */
import * as tf from '@tensorflow/tfjs';
import { asWebGpu, ElementwiseProgram, need, sizeOf } from './program';

export const RELU_GRAD_KERNEL = 'WrnReluGrad';

class WrnReluGrad extends ElementwiseProgram {
  variableNames = ['dy', 'x'];
  shaderKey = 'wrnReluGrad';
  getUserCode(): string {
    return /* wgsl */ `
      fn main(index : i32) {
        if (index < uniforms.size) { setOutputAtIndex(index, select(0.0, dy[index], x[index] > 0.0)); }
      }`;
  }
}

const reluGrad: tf.KernelFunc = ({ inputs, backend }) => {
  const [dy, x] = need(inputs, ['dy', 'x'], RELU_GRAD_KERNEL) as [tf.TensorInfo, tf.TensorInfo];
  if (sizeOf(dy.shape) !== sizeOf(x.shape)) throw new Error(`${RELU_GRAD_KERNEL}: dy and x differ in size`);
  return asWebGpu(backend).runWebGPUProgram(new WrnReluGrad(x.shape), [dy, x], 'float32');
};

export const RELU_WEBGPU_KERNELS: Record<string, tf.KernelFunc> = { [RELU_GRAD_KERNEL]: reluGrad };

/** The 'Relu' gradient described above, in place of tfjs's (../registry.ts's replaceGradient; restoreGradient puts tfjs's back). */
export const RELU_GRADIENT: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    const d = dy as tf.Tensor;
    const ours = x.dtype === 'float32' && tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend()) !== undefined;
    return { x: () => (ours ? (tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: d, x }) as tf.Tensor) : tf.mul(d, tf.cast(tf.step(x), 'float32'))) };
  },
};
