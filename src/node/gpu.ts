/**
 * Node-only set-up for the CLI and Node tests: gives Node a WebGPU (Dawn, from the `webgpu` package) and loads the
 * tfjs backends, in the order that makes them register. Then `initBackend` from src/core/backend.ts picks one the
 * same way the browser worker does: a hardware GPU gets WebGPU, a software adapter (SwiftShader) or none gets WASM.
 *
 * Order matters: @tensorflow/tfjs-backend-webgpu registers 'webgpu' only if `navigator.gpu` exists when the module
 * is first evaluated, so the globals go in before that import (which is dynamic for that reason).
 *
 * Vulkan driver: Dawn needs one. On a GPU machine the vendor's ICD is found by the Vulkan loader as usual. Without a
 * GPU, Mesa's lavapipe (if installed) is refused by Dawn, and Chromium's SwiftShader works; so when
 * VK_ICD_FILENAMES is unset and Chromium's SwiftShader ICD exists, we point the loader at it. It must be set before
 * Dawn first enumerates adapters, i.e. before `create()`.
 *
 * WASM threads: the WASM backend runs single-threaded in Node by design. Its WASM_HAS_MULTITHREAD_SUPPORT flag is
 * false whenever IS_NODE (https://github.com/tensorflow/tfjs/issues/3830), so the non-threaded SIMD binary loads and getThreadsCount() is 1; no
 * flag or setThreadsCount call is needed (setThreadsCount only sizes the threaded build's pool).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { messageOf } from '../core/errors';

/** Chromium's SwiftShader Vulkan driver as Debian packages it. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface NodeGpuStatus {
  /** true when navigator.gpu is now Dawn's (false if the `webgpu` package could not be loaded) */
  webgpu: boolean;
  /** the Vulkan ICD in use, when we set or found VK_ICD_FILENAMES */
  icd?: string;
  /** why WebGPU is unavailable, when it is */
  error?: string;
}

let installing: Promise<NodeGpuStatus> | null = null;

/**
 * Installs Dawn's WebGPU as `navigator.gpu` and the WebGPU globals (GPUBufferUsage, ...) that tfjs uses, then
 * imports the WebGPU and WASM backend packages. Idempotent: later calls return the first call's result. Never
 * throws for a missing WebGPU: the CLI still runs on WASM or CPU, and the status says why.
 */
export function installNodeWebGpu(): Promise<NodeGpuStatus> {
  installing ??= install();
  return installing;
}

/**
 * Loads only the WASM backend (which registers 'wasm'), for a run that asked for WASM or the CPU: no Dawn, no Vulkan
 * loader, no adapter probe, and none of the drivers' messages on the terminal.
 */
export async function installCpuBackends(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
}

/**
 * Gives the Vulkan drivers a valid XDG_RUNTIME_DIR when the environment has none: some (Mesa's, NVIDIA's) try
 * Wayland while enumerating, and libwayland then prints "error: XDG_RUNTIME_DIR is invalid or not set in the
 * environment." on every run. A private, empty, owner-only folder answers it (no Wayland socket there), and is
 * removed when the process exits. Returns the folder it made, or null when the environment's was fine.
 */
export function ensureRuntimeDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const current = env['XDG_RUNTIME_DIR'];
  if (current && path.isAbsolute(current) && statSync(current, { throwIfNoEntry: false })?.isDirectory()) return null;
  const dir = mkdtempSync(path.join(tmpdir(), 'wrn-xdg-')); // mode 0700, as the XDG spec asks
  env['XDG_RUNTIME_DIR'] = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function install(): Promise<NodeGpuStatus> {
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  ensureRuntimeDir();
  const icd = process.env.VK_ICD_FILENAMES;
  let status: NodeGpuStatus;
  try {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    // DAWN_FLAGS: Dawn's own switches, space-separated (e.g. 'enable-dawn-features=dump_shaders'), for diagnosis.
    const gpu = create((process.env.DAWN_FLAGS ?? '').split(' ').filter(Boolean));
    // Node 21+ has a `navigator` (a getter on globalThis, so plain assignment fails): add gpu to it. Node 20 has
    // none: define one holding just gpu.
    const existing = (globalThis as { navigator?: object }).navigator;
    if (existing) Object.defineProperty(existing, 'gpu', { value: gpu, configurable: true, enumerable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    status = { webgpu: true, ...(icd ? { icd } : {}) };
  } catch (err) {
    status = { webgpu: false, ...(icd ? { icd } : {}), error: `the webgpu package did not load: ${messageOf(err)}` };
  }
  // Registration by import: 'webgpu' (only if navigator.gpu now exists) and 'wasm'.
  await import('@tensorflow/tfjs-backend-webgpu');
  await import('@tensorflow/tfjs-backend-wasm');
  return status;
}
