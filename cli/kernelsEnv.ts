/**
 * WRN_KERNELS, the CLI's switch for WebGPU's kernels (`WRN_KERNELS=tfjs` runs tfjs's own instead of ours), read
 * here and nowhere else: the core and the worker take the choice from the run's config (URL key `kernels`), applied
 * once at backend set-up. `train` and the bench's Node jobs pass what this says to that set-up.
 */
import type { KernelChoice } from '../src/core/config';

/** Reads a choice from text ('tfjs' or 'ours', any case, spaces around); anything else is null. */
export function parseKernelChoice(text: string | undefined | null): KernelChoice | null {
  const t = text?.trim().toLowerCase();
  return t === 'tfjs' || t === 'ours' ? t : null;
}

/** The kernels a run gets: tfjs's when its config or WRN_KERNELS asks for them, else ours. */
export function cliKernels(config: KernelChoice = 'ours', env: NodeJS.ProcessEnv = process.env): KernelChoice {
  return config === 'tfjs' ? 'tfjs' : (parseKernelChoice(env['WRN_KERNELS']) ?? 'ours');
}
