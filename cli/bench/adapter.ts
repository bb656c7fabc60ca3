/**
 * What the active backend runs on, for the results file: the WebGPU adapter, the WebGL renderer, the WASM thread
 * count. Works in Node and in a browser worker; tfjs internals are read through narrow structural types.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** tfjs-backend-webgpu keeps the adapter's info and the device on the backend object. */
interface WebGpuBackendInfo {
  adapterInfo?: { vendor?: string; architecture?: string };
  device?: GPUDevice;
  supportTimestampQuery?: boolean;
}

/** tfjs-backend-webgl keeps its context on backend.gpgpu.gl. */
interface WebGlBackendInfo {
  gpgpu?: { gl?: WebGL2RenderingContext };
}

export async function describeActiveBackend(): Promise<Record<string, string | number | boolean>> {
  const name = tf.getBackend();
  const out: Record<string, string | number | boolean> = { backend: name, tfjs: tf.version.tfjs };
  if (name === 'webgpu') {
    // Narrow cast: the registered 'webgpu' backend is a WebGPUBackend.
    const b = tf.backend() as unknown as WebGpuBackendInfo;
    if (b.adapterInfo?.vendor) out.vendor = b.adapterInfo.vendor;
    if (b.adapterInfo?.architecture) out.architecture = b.adapterInfo.architecture;
    if (b.supportTimestampQuery !== undefined) out.timestampQuery = b.supportTimestampQuery;
    if (b.device) out.maxStorageBufferBindingSize = b.device.limits.maxStorageBufferBindingSize;
  } else if (name === 'webgl') {
    // Narrow cast: the registered 'webgl' backend is a MathBackendWebGL.
    const gl = (tf.backend() as unknown as WebGlBackendInfo).gpgpu?.gl;
    if (gl) {
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      out.renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      out.webglVersion = tf.env().getNumber('WEBGL_VERSION');
      out.timerQuery = tf.env().getBool('WEBGL_DISJOINT_QUERY_TIMER_EXTENSION_RELIABLE');
    }
  } else if (name === 'wasm') {
    out.threads = getThreadsCount();
    out.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  }
  return out;
}
