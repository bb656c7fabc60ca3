/** Node's backend set-up (the CLI's and the tests'): Node's WebGPU (Dawn) and the tfjs backends, then the same choice as the page. */
import type { BackendPreference, KernelChoice } from '../core/config';
import { initBackend, type BackendChoice } from '../core/backend';
import { installCpuBackends, installNodeWebGpu } from './gpu';

/**
 * Sets the tfjs backend for `pref`; 'auto' gives WebGPU on a hardware GPU, else WASM (Dawn's only adapter here is
 * SwiftShader, a CPU emulation far slower than WASM). On WebGPU, `kernels` says whose kernels run (the config's).
 */
export async function setUpBackend(pref: BackendPreference, kernels: KernelChoice = 'ours'): Promise<BackendChoice> {
  // WASM or the CPU asked for: WebGPU could only be a fallback, and probing it wakes the Vulkan drivers (seconds,
  // and their messages on the terminal). Without it the fallbacks are WASM and the CPU.
  if (pref === 'wasm' || pref === 'cpu') await installCpuBackends();
  else await installNodeWebGpu();
  return initBackend(pref, { kernels });
}
