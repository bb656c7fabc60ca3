/**
 * The convolution input gradient (Conv2DBackpropInput): tfjs-webgpu's own kernel, with a choice of its two programs
 * made per call instead of by one global flag.
 *
 * - Conv2DDerInputProgram (tfjs's default, WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE=true): each invocation computes 4 input
 *   channels at 2 positions by looping over k x k x cout, reading dy and W from memory with no reuse between
 *   invocations; taps that fall between the strided outputs are skipped.
 * - Conv2DDerInputMMProgram (the flag false; tfjs's own comment: "TODO: Experiment when to use"): an implicit GEMM,
 *   dx = dy * W^T with M = H x W of the input, N = cin, K = k x k x cout, tiled through workgroup memory like tfjs's
 *   forward convolution (which uses its MM program by default). On a GPU a tiled GEMM is the form that reaches the
 *   arithmetic units; but at stride 2 three quarters of its K products are zeros (taps between the strided outputs)
 *   that it multiplies anyway: 4x the work of the direct program.
 *
 * Measured (BENCHMARKS.md section 8, per-kernel time): on SwiftShader the MM program is slower on every WRN shape
 * (0.06-0.55x, worst at stride 2), where workgroup barriers are costly on a CPU. No GPU has measured it yet; the GPU
 * pack (bench/gpu/run.sh) times both programs on every shape of WRN-16-4 and 28-10 at batch 128. Until then the rule
 * is the reasoned one: the implicit GEMM at stride 1 on a hardware adapter, the direct program at stride 2 and on
 * software adapters (SwiftShader, llvmpipe, WARP: where it was measured faster). `setConvInputProgram` overrides it
 * (tests, the per-kernel timing).
 *
 * Registered in place of tfjs-webgpu's kernel for 'webgpu' (kept, and put back on uninstall). The flag is set for
 * our own call only and put back, so nothing else sees it changed and `kernels=tfjs` runs tfjs's default exactly:
 * tfjs reads the flag on every call (`env().getBool`), and its pipeline cache keys the two programs apart.
 */
import * as tf from '@tensorflow/tfjs';
import { replaceKernel, shippedKernel } from '../registry';

export const CONV_INPUT_KERNEL = 'Conv2DBackpropInput';
export const NAIVE_TRANSPOSE_FLAG = 'WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE';

/** 'mm': tfjs's implicit-GEMM program; 'direct': its default one-invocation-per-4-channels program. */
export type InputGradProgram = 'mm' | 'direct';

/**
 * CPU emulations that pose as GPUs, as src/core/backend.ts recognises them (not imported from there: backend.ts
 * imports the kernels, and the kernels must not import it back).
 */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

/** Which program the rule picks for a call (pure): the implicit GEMM only at stride 1 on a hardware adapter. */
export function pickInputGradProgram(softwareAdapter: boolean, strides: readonly number[]): InputGradProgram {
  return !softwareAdapter && strides.every((s) => s === 1) ? 'mm' : 'direct';
}

let forced: InputGradProgram | null = null;

/** Overrides the rule for every call until set back to null (tests; the per-kernel timing times the MM program). */
export function setConvInputProgram(program: InputGradProgram | null): void {
  forced = program;
}

/** tfjs-webgpu keeps the adapter's vendor and architecture on the backend. */
interface AdapterHolder {
  adapterInfo?: { vendor?: string; architecture?: string };
}

const software = new WeakMap<object, boolean>();

function isSoftwareAdapter(backend: object): boolean {
  let known = software.get(backend);
  if (known === undefined) {
    const info = (backend as AdapterHolder).adapterInfo;
    known = SOFTWARE_ADAPTER.test(`${info?.vendor ?? ''} ${info?.architecture ?? ''}`);
    software.set(backend, known);
  }
  return known;
}

const inputGrad: tf.KernelFunc = (args) => {
  // tfjs-webgpu's kernel, which ours replaced (the registry keeps it): ours only picks its program.
  const tfjsKernel = shippedKernel(CONV_INPUT_KERNEL, 'webgpu');
  if (!tfjsKernel) throw new Error(`${CONV_INPUT_KERNEL}: tfjs-webgpu's kernel is not registered`);
  const strides = (args.attrs as { strides?: number | number[] } | undefined)?.strides ?? 1;
  const program = forced ?? pickInputGradProgram(isSoftwareAdapter(args.backend), typeof strides === 'number' ? [strides] : strides);
  const env = tf.env();
  const before = env.getBool(NAIVE_TRANSPOSE_FLAG);
  env.set(NAIVE_TRANSPOSE_FLAG, program === 'direct');
  try {
    return tfjsKernel(args);
  } finally {
    env.set(NAIVE_TRANSPOSE_FLAG, before);
  }
};

/**
 * Puts ours in place of tfjs-webgpu's Conv2DBackpropInput (idempotent; ../registry.ts's restoreKernel puts theirs
 * back). Not before tfjs-webgpu has registered its own: there would be nothing to call or to put back.
 */
export function registerConvInputGrad(): void {
  replaceKernel(CONV_INPUT_KERNEL, 'webgpu', inputGrad, { overShipped: true });
}
