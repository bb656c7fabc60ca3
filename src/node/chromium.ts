/**
 * How the tests and the benchmark launch Chromium, for playwright.config.ts (e2e) and the benchmark's browser runner
 * (cli/bench/browser.ts; scripts/make-preview.ts takes only its path): Debian's system build (never a downloaded
 * one), kept off the network (without the background-networking flags it keeps trying hosts that a closed network
 * refuses), with WebGPU on.
 *
 * Without a GPU, WebGPU and WebGL are pinned to SwiftShader (Chromium's Vulkan on the CPU, in Debian's chromium
 * package), which gives headless Chromium a real WebGPU adapter. On a machine with a GPU that pin would make every Chromium
 * measurement one of the emulation: `WRN_REAL_GPU=1` (or the bench's `--real-gpu`) leaves the adapter to Chromium.
 */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Every launch: no sandbox (containers), WebGPU through Vulkan, no network chatter. */
const BASE_ARGS: readonly string[] = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** WebGPU's adapter and WebGL's ANGLE on SwiftShader: a GPU emulated on the CPU. */
const SWIFTSHADER_ARGS: readonly string[] = ['--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader'];

/** A real GPU: Chromium's own choice of adapter, and no blocklist (headless Linux blocks many GPUs by default). */
const REAL_GPU_ARGS: readonly string[] = ['--ignore-gpu-blocklist'];

/** Whether the environment asks for the real GPU (`WRN_REAL_GPU=1`). */
export function realGpuRequested(env: Record<string, string | undefined> = process.env): boolean {
  return env['WRN_REAL_GPU'] === '1';
}

/** Chromium's flags: SwiftShader-pinned unless `realGpu` (default: the WRN_REAL_GPU environment variable). */
export function chromiumArgs(opts: { realGpu?: boolean } = {}): string[] {
  const realGpu = opts.realGpu ?? realGpuRequested();
  return [...BASE_ARGS, ...(realGpu ? REAL_GPU_ARGS : SWIFTSHADER_ARGS)];
}
