/**
 * The one way this project changes tfjs's kernel and gradient registries: add a kernel tfjs lacks (and remove it),
 * replace one it ships (keeping the shipped one for the cases ours leaves to it, and to put back), and swap a
 * gradient (keeping tfjs's to put back). No other module calls tf.registerKernel or tf.registerGradient.
 *
 * tfjs's registries are global and keyed by (kernel, backend) names; registering for a backend that is not loaded
 * is harmless, since the entry is consulted only when that backend runs. `tf.registerKernel` warns and overwrites
 * when a kernel exists, so replacing is done explicitly here: unregister, then register. Everything is idempotent,
 * and what was added or replaced can be taken back (WebGPU's kernels=tfjs removes our set again).
 * Nothing here runs on import: in a run, ./index.ts's `installKernels` is the only caller (benchmarks and tests
 * also switch WebGPU's set through ./webgpu/install.ts).
 */
import * as tf from '@tensorflow/tfjs';

const key = (kernelName: string, backendName: string): string => `${backendName}/${kernelName}`;

/** Our kernels in the registry (added or replacing a shipped one), by backend/kernel: what removal may take out. */
const ourKernels = new Map<string, tf.KernelFunc>();
/** Shipped kernels that replaceKernel took out, by backend/kernel: ours fall back on them, and restoreKernel puts them back. */
const shippedKernels = new Map<string, tf.KernelConfig>();
/** tfjs's gradients that replaceGradient swapped out (undefined: there was none), for restoreGradient. */
const shippedGradients = new Map<string, tf.GradConfig | undefined>();

/** Registers a kernel tfjs does not ship (our own names, e.g. `WrnDropout`), unless one is registered already. */
export function addKernel(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName)) return;
  tf.registerKernel(config);
  ourKernels.set(key(config.kernelName, config.backendName), config.kernelFunc);
}

/** Takes out a kernel that addKernel registered (one registered by anyone else stays). */
export function removeKernel(kernelName: string, backendName: string): void {
  const ours = ourKernels.get(key(kernelName, backendName));
  if (ours === undefined || tf.getKernel(kernelName, backendName)?.kernelFunc !== ours) return;
  tf.unregisterKernel(kernelName, backendName);
  ourKernels.delete(key(kernelName, backendName));
}

/**
 * Puts `kernelFunc` in place of the kernel registered as (kernelName, backendName), if any. The shipped kernel's
 * `setupFunc` (the WASM backend's cwrap of its C++ entry point) stays on our registration: the engine runs the
 * setup of registered kernels when the backend initialises, so `shippedKernel` works whether this ran before or
 * after the backend started. Call it after the backend's package was imported: its import registers the shipped
 * kernels and would put them back over ours. With `overShipped`, ours goes in only over a shipped kernel (one that
 * calls it, or cannot do without it): before the package registered its own, nothing happens. Returns whether
 * ours is in place.
 */
export function replaceKernel(kernelName: string, backendName: string, kernelFunc: tf.KernelFunc, opts: { overShipped?: boolean } = {}): boolean {
  const current = tf.getKernel(kernelName, backendName);
  if (current?.kernelFunc === kernelFunc) return true;
  const shipped = current ?? shippedKernels.get(key(kernelName, backendName));
  if (opts.overShipped && !shipped) return false;
  if (current) {
    if (!shippedKernels.has(key(kernelName, backendName))) shippedKernels.set(key(kernelName, backendName), current);
    tf.unregisterKernel(kernelName, backendName);
  }
  tf.registerKernel({ kernelName, backendName, kernelFunc, ...(shipped?.setupFunc ? { setupFunc: shipped.setupFunc } : {}) });
  ourKernels.set(key(kernelName, backendName), kernelFunc);
  return true;
}

/** Puts back the shipped kernel that replaceKernel replaced (or none, if there was none); ours goes. */
export function restoreKernel(kernelName: string, backendName: string): void {
  removeKernel(kernelName, backendName);
  const shipped = shippedKernels.get(key(kernelName, backendName));
  if (shipped && !tf.getKernel(kernelName, backendName)) tf.registerKernel(shipped);
}

/** The shipped kernel that replaceKernel replaced, if it replaced one. */
export function shippedKernel(kernelName: string, backendName: string): tf.KernelFunc | undefined {
  return shippedKernels.get(key(kernelName, backendName))?.kernelFunc;
}

/** Registers a gradient for a kernel tfjs has none for (our own kernels), unless one is registered already. */
export function addGradient(config: tf.GradConfig): void {
  if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
}

/** Puts `config` in place of tfjs's gradient for its kernel, keeping tfjs's for restoreGradient. */
export function replaceGradient(config: tf.GradConfig): void {
  const current = tf.getGradient(config.kernelName);
  if (current?.gradFunc === config.gradFunc) return;
  if (!shippedGradients.has(config.kernelName)) shippedGradients.set(config.kernelName, current);
  tf.registerGradient(config);
}

/** Puts back the gradient replaceGradient replaced (kernels=tfjs, tests, and a benchmark's before/after). */
export function restoreGradient(kernelName: string): void {
  if (!shippedGradients.has(kernelName)) return;
  const shipped = shippedGradients.get(kernelName);
  shippedGradients.delete(kernelName);
  if (shipped) tf.registerGradient(shipped);
  else tf.unregisterGradient(kernelName);
}
