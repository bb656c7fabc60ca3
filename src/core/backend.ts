/**
 * Which tfjs backend a run trains on, and why: shared by the training worker and the Node CLI.
 *
 * The rule (measured on a 2-core machine without a GPU; see /work/shared/notes/webgpu-on-this-machine.md):
 * - a hardware WebGPU adapter: WebGPU, by far the fastest;
 * - a software adapter (SwiftShader, or any adapter flagged as a fallback) or none: WASM with our gradient kernels.
 *   A software WebGPU runs every shader on the CPU through an emulated GPU: WRN-10-1 trained at 2-3 images/s
 *   there, against 65-70 on one core with WASM (XNNPACK, src/core/kernels/);
 * - an explicit `backend` in the config wins, with the rest as fallbacks in case it cannot start.
 * Whatever happens, the choice says why, and lists what was tried and failed.
 *
 * This module touches no DOM-only or Node-only API: `navigator` is looked up only behind `typeof`. The WebGPU
 * package is imported lazily, because it registers itself only if `navigator.gpu` exists when it loads (in Node,
 * `cli/gpu.ts` installs Dawn's first). In the browser, `configureWasmAssets()`
 * (src/worker/wasmAssets.ts) must run before `initBackend` so that the WASM binaries are found.
 */
import * as tf from '@tensorflow/tfjs';
// Static: the WASM package works in browsers and Node alike and registers 'wasm' on import.
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { BackendPreference } from './config';
import { registerWasmConvGradients } from './kernels/wasmConvGrads';
import './kernels/wasmIdentity'; // replaces the WASM Identity as it loads: clones share the buffer, as on cpu
import { registerWasmTile } from './kernels/wasmTile';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** What a WebGPU adapter request found: null when there is no WebGPU or no adapter. */
export interface WebGpuProbe {
  /** true for a CPU emulation (SwiftShader, llvmpipe/lavapipe, WARP) or an adapter flagged `isFallbackAdapter` */
  isSoftware: boolean;
  /** e.g. "swiftshader" for a software renderer, else "vendor / architecture" (or the description) */
  adapter: string;
}

/** The backend in use and why. Structurally a `BackendInfo` of the worker protocol (src/worker/protocol.ts). */
export interface BackendChoice {
  backend: BackendName;
  /** one sentence for people: why this backend */
  reason: string;
  /** the WebGPU adapter seen, when there was one (see WebGpuProbe.adapter) */
  adapter?: string;
  /** true when that adapter is a software emulation */
  softwareAdapter?: boolean;
  /** WASM only: threads XNNPACK runs on (1 in Node, and in a browser page that is not cross-origin isolated) */
  threads?: number;
  /** backends tried before this one, in order, and why each failed */
  tried: { backend: BackendName; error: string }[];
}

/** Names of CPU renderers that pose as GPUs: Chromium's SwiftShader, Mesa's llvmpipe/lavapipe/softpipe, WARP. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render/i;

/** Adapter fields as WebGPU reports them (`GPUAdapterInfo`); all optional because browsers fill them unevenly. */
export interface AdapterFields {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** Reads an adapter's description into a probe result (pure; exported for tests). */
export function describeAdapter(info: AdapterFields, isFallbackAdapter = false): WebGpuProbe {
  const fields = [info.vendor, info.architecture, info.device, info.description].filter((f): f is string => !!f);
  const renderer = fields.map((f) => SOFTWARE_RENDERER.exec(f)?.[0]).find((m) => m !== undefined);
  const isSoftware = isFallbackAdapter || info.isFallbackAdapter === true || renderer !== undefined;
  const named = [info.vendor, info.architecture].filter((f): f is string => !!f).join(' / ');
  const adapter = renderer?.toLowerCase() ?? (named || info.description || 'unnamed adapter');
  return { isSoftware, adapter };
}

/**
 * The order to try backends in, and the reason for the first (pure). Every order ends at 'cpu', which always works.
 * - auto, hardware adapter: webgpu, webgl, wasm, cpu (a real GPU serves WebGL too if WebGPU fails to start);
 * - auto, software adapter: wasm, webgl, webgpu, cpu (on an emulated GPU WebGL was about 2.5x WebGPU's speed);
 * - auto, no adapter: wasm, webgl, cpu;
 * - an explicit backend: it first, then the auto order without it (an explicit 'cpu' is just cpu).
 */
export function planBackends(pref: BackendPreference, probe: WebGpuProbe | null): { order: BackendName[]; reason: string } {
  let auto: BackendName[];
  let autoReason: string;
  if (probe && !probe.isSoftware) {
    auto = ['webgpu', 'webgl', 'wasm', 'cpu'];
    autoReason = `WebGPU on a hardware GPU (${probe.adapter})`;
  } else if (probe) {
    auto = ['wasm', 'webgl', 'webgpu', 'cpu'];
    autoReason =
      `the WebGPU adapter is ${probe.adapter}, a software emulation on the CPU, so WASM (XNNPACK on the CPU directly) ` +
      `is much faster; set backend=webgpu to use the adapter anyway`;
  } else {
    auto = ['wasm', 'webgl', 'cpu'];
    autoReason = 'no WebGPU adapter here, and WASM is the fastest CPU backend';
  }
  if (pref === 'auto') return { order: auto, reason: autoReason };
  const order: BackendName[] = pref === 'cpu' ? ['cpu'] : [pref, ...auto.filter((b) => b !== pref && b !== 'cpu'), 'cpu'];
  const warning =
    pref === 'webgpu' && probe?.isSoftware
      ? ` (its adapter, ${probe.adapter}, is a software emulation on the CPU: expect it to be slow)`
      : pref === 'cpu'
        ? ' (plain JavaScript: the slowest backend)'
        : '';
  return { order, reason: `${pref} was asked for${warning}` };
}

/** The `navigator.gpu` of this context, if any (absent in Node unless cli/gpu.ts installed Dawn's). */
function navigatorGpu(): GPU | undefined {
  return typeof navigator === 'undefined' ? undefined : (navigator as Partial<Navigator>).gpu;
}

/**
 * Asks WebGPU for an adapter (as tfjs will: high-performance) and describes it; null when there is no WebGPU,
 * no adapter, or the request fails. Requesting an adapter creates no device, so tfjs can request its own after.
 */
export async function probeWebGpu(): Promise<WebGpuProbe | null> {
  const gpu = navigatorGpu();
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return null;
    // `info` is the current API; older Chromium had requestAdapterInfo(), and kept isFallbackAdapter on the adapter.
    const legacy = adapter as unknown as { requestAdapterInfo?: () => Promise<AdapterFields>; isFallbackAdapter?: boolean };
    const info: AdapterFields = adapter.info ?? (await legacy.requestAdapterInfo?.()) ?? {};
    return describeAdapter(info, legacy.isFallbackAdapter === true);
  } catch {
    return null;
  }
}

/** Makes a backend's package loaded and registered; throws when it cannot be used in this context. */
async function prepare(name: BackendName): Promise<void> {
  if (name === 'webgpu') {
    if (!navigatorGpu()) throw new Error('this context has no navigator.gpu (no WebGPU)');
    // Registers 'webgpu' on load, but only if navigator.gpu exists by then (checked just above).
    await import('@tensorflow/tfjs-backend-webgpu');
  } else if (name === 'wasm') {
    // After the package's import (above), which registers the shipped kernels these replace.
    registerWasmConvGradients();
    registerWasmTile();
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Threads the WASM backend runs XNNPACK on (known once it is initialised). */
function wasmThreads(): number | undefined {
  try {
    return getThreadsCount();
  } catch {
    return undefined;
  }
}

/** How many threads WASM runs on, and why only one where that is so. */
function threadsNote(threads: number): string {
  if (threads > 1) return `${threads} WASM threads`;
  if (tf.env().getBool('IS_NODE')) return '1 WASM thread (tfjs runs WASM single-threaded in Node)';
  if (typeof crossOriginIsolated === 'boolean' && !crossOriginIsolated) return '1 WASM thread (the page is not cross-origin isolated)';
  // tfjs's threaded build uses half the logical cores (see src/worker/wasmAssets.ts).
  return '1 WASM thread (tfjs uses half the logical cores)';
}

export interface InitOptions {
  /** a probe result to use instead of asking WebGPU (tests; or a caller that probed already) */
  probe?: WebGpuProbe | null;
}

/**
 * Probes WebGPU, plans, and sets the first backend in the plan that starts. Resolves to the choice with its reason;
 * rejects only if none starts (cpu always does). Safe to call again: it re-plans and switches backends.
 */
export async function initBackend(pref: BackendPreference, opts: InitOptions = {}): Promise<BackendChoice> {
  const probe = opts.probe !== undefined ? opts.probe : await probeWebGpu();
  const plan = planBackends(pref, probe);
  const tried: BackendChoice['tried'] = [];
  for (const name of plan.order) {
    try {
      await prepare(name);
      // setBackend resolves false (after logging a warning) when the backend's init fails, and throws when the
      // name is not registered (e.g. webgl without WebGL).
      if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed to initialise it`);
      await tf.ready();
    } catch (err) {
      tried.push({ backend: name, error: messageOf(err) });
      continue;
    }
    const threads = name === 'wasm' ? wasmThreads() : undefined;
    let reason = name === plan.order[0] ? plan.reason : `${name}, the first that started after ${tried.map((t) => t.backend).join(', ')} failed (${plan.reason})`;
    if (threads !== undefined) reason += `; ${threadsNote(threads)}`;
    return {
      backend: name,
      reason,
      ...(probe ? { adapter: probe.adapter, softwareAdapter: probe.isSoftware } : {}),
      ...(threads !== undefined ? { threads } : {}),
      tried,
    };
  }
  throw new Error(`no tfjs backend starts here: ${tried.map((t) => `${t.backend}: ${t.error}`).join('; ')}`);
}
