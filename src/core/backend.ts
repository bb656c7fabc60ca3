/**
 * Which tfjs backend a run trains on, and why: shared by the training worker and the Node CLI.
 *
 * The rule (measured on a 2-core machine without a GPU: BENCHMARKS.md, sections 4 and 9):
 * - a hardware WebGPU adapter: WebGPU, by far the fastest;
 * - else, when WebGL renders on a hardware GPU (its unmasked renderer is not a CPU emulation): WebGL, which still
 *   runs the shaders on that GPU (a browser without WebGPU, or with WebGPU blocked on this GPU);
 * - else (a software adapter such as SwiftShader, any adapter flagged as a fallback, or none; and WebGL on a
 *   software renderer or not at all): WASM with our gradient kernels. A software GPU runs every shader on the CPU
 *   through an emulation, tens of times slower than WASM (XNNPACK, src/core/kernels/) on the same cores;
 * - an explicit `backend` in the config wins, with the rest as fallbacks in case it cannot start.
 * Whatever happens, the choice says why, and lists what was tried and failed.
 *
 * This module touches no DOM-only or Node-only API: `navigator` is looked up only behind `typeof`. The WebGPU
 * package is imported lazily, because it registers itself only if `navigator.gpu` exists when it loads (in Node,
 * `src/node/gpu.ts` installs Dawn's first). In the browser, `configureWasmAssets()`
 * (src/browser/wasmAssets.ts) must run before `initBackend` so that the WASM binaries are found.
 */
import * as tf from '@tensorflow/tfjs';
// Static: the WASM package works in browsers and Node alike and registers 'wasm' on import.
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { BackendPreference, KernelChoice } from './config';
import { installKernels } from './kernels';
import { messageOf } from './errors';
import { activeGpuDevice } from './deviceWatch';
import { capacityOf, type MemoryCapacity } from './memory';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** What a WebGPU adapter request found: null when there is no WebGPU or no adapter. */
export interface WebGpuProbe {
  /** true for a CPU emulation (SwiftShader, llvmpipe/lavapipe, WARP) or an adapter flagged `isFallbackAdapter` */
  isSoftware: boolean;
  /** e.g. "swiftshader" for a software renderer, else "vendor / architecture" (or the description) */
  adapter: string;
}

/** The backend in use and why; the worker protocol sends it to the page as it is (`BackendInfo`). */
export interface BackendChoice {
  backend: BackendName;
  /** one sentence for people: why this backend */
  reason: string;
  /** the WebGPU adapter seen, when there was one (see WebGpuProbe.adapter) */
  adapter?: string;
  /** true when that adapter is a software emulation */
  softwareAdapter?: boolean;
  /** WebGL's renderer, when it was probed (no hardware WebGPU adapter) and there is WebGL (see WebGlProbe.renderer) */
  webglRenderer?: string;
  /** true when that renderer is a software emulation */
  softwareWebgl?: boolean;
  /** WASM only: threads XNNPACK runs on (1 in Node, and in a browser page that is not cross-origin isolated) */
  threads?: number;
  /** backends tried before this one, in order, and why each failed */
  tried: { backend: BackendName; error: string }[];
  /** what this backend can hold (memory.ts), where known: the page warns of a net that would not fit */
  memory?: MemoryCapacity | null;
}

/** What WebGL's renderer string says: null when there is no WebGL here (Node, or no context). */
export interface WebGlProbe {
  /** true for a CPU emulation (SwiftShader, llvmpipe, softpipe, WARP...), or when the browser flags a major performance caveat */
  isSoftware: boolean;
  /** the renderer for people: e.g. "NVIDIA GeForce RTX 3080" (ANGLE's wrapper dropped), or "swiftshader" when software */
  renderer: string;
}

/**
 * Names of CPU renderers that pose as GPUs: Chromium's SwiftShader (also inside ANGLE's renderer string), Mesa's
 * llvmpipe/lavapipe/softpipe, Windows' WARP ("Microsoft Basic Render Driver"), and ones that say "software".
 */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|software (?:renderer|rasterizer)/i;

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
 * Reads WebGL's renderer string (UNMASKED_RENDERER_WEBGL where the browser gives it) into a probe result (pure;
 * exported for tests). `majorPerformanceCaveat`: the browser refused a context with failIfMajorPerformanceCaveat,
 * its own way of saying that WebGL runs in software.
 */
export function describeRenderer(raw: string, majorPerformanceCaveat = false): WebGlProbe {
  const software = SOFTWARE_RENDERER.exec(raw)?.[0];
  if (software) return { isSoftware: true, renderer: software.toLowerCase() };
  return { isSoftware: majorPerformanceCaveat, renderer: readableRenderer(raw) };
}

/**
 * "ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 (0x00002206) Direct3D11 vs_5_0 ps_5_0, D3D11)" -> "NVIDIA GeForce RTX 3080":
 * ANGLE's "(vendor, renderer, API)" wrapper, PCI ids and Direct3D shader models say nothing to people.
 */
function readableRenderer(raw: string): string {
  const angle = /^ANGLE \((.*)\)$/.exec(raw.trim());
  const parts = angle ? angle[1]!.split(', ') : [raw];
  const name = (parts.length >= 2 ? parts[1]! : parts[0]!)
    .replace(/^ANGLE \w+ Renderer: /, '') // "ANGLE Metal Renderer: Apple M1"
    .replace(/\s*\(0x[0-9a-f]+\)/gi, '')
    .replace(/\s+Direct3D\S*(\s+[vp]s_\d_\d)*/g, '')
    .trim();
  return name || 'an unnamed renderer';
}

/**
 * The order to try backends in, and the reason for the first (pure). Every order ends at 'cpu', which always works.
 * - auto, hardware adapter: webgpu, webgl, wasm, cpu (a real GPU serves WebGL too if WebGPU fails to start);
 * - auto, no hardware adapter but WebGL on a hardware GPU: webgl, wasm, (webgpu,) cpu;
 * - auto, software adapter: wasm, webgl, webgpu, cpu (on an emulated GPU WebGL was about 2.5x WebGPU's speed);
 * - auto, no adapter: wasm, webgl, cpu;
 * - an explicit backend: it first, then the auto order without it (an explicit 'cpu' is just cpu).
 * `webgl` is WebGL's renderer (InitOptions.probeWebGl); null when unknown, which plans as a software renderer would.
 */
export function planBackends(
  pref: BackendPreference,
  probe: WebGpuProbe | null,
  webgl: WebGlProbe | null = null,
): { order: BackendName[]; reason: string } {
  let auto: BackendName[];
  let autoReason: string;
  const softwareWebgl = webgl?.isSoftware ? `, and WebGL's renderer is ${webgl.renderer}, software too` : '';
  if (probe && !probe.isSoftware) {
    auto = ['webgpu', 'webgl', 'wasm', 'cpu'];
    autoReason = `WebGPU on a hardware GPU (${probe.adapter})`;
  } else if (webgl && !webgl.isSoftware) {
    auto = probe ? ['webgl', 'wasm', 'webgpu', 'cpu'] : ['webgl', 'wasm', 'cpu'];
    autoReason = probe
      ? `WebGL on ${webgl.renderer} (a hardware GPU): the WebGPU adapter is ${probe.adapter}, a software emulation on the CPU`
      : `no WebGPU; WebGL on ${webgl.renderer} (a hardware GPU)`;
  } else if (probe) {
    auto = ['wasm', 'webgl', 'webgpu', 'cpu'];
    autoReason =
      `the WebGPU adapter is ${probe.adapter}, a software emulation on the CPU${softwareWebgl}, so WASM (XNNPACK on the ` +
      `CPU directly) is much faster; set backend=webgpu to use the adapter anyway`;
  } else {
    auto = ['wasm', 'webgl', 'cpu'];
    autoReason = webgl
      ? `no WebGPU adapter here, and WebGL's renderer is ${webgl.renderer}, a software emulation on the CPU, so WASM, the fastest CPU backend`
      : 'no WebGPU adapter here, and WASM is the fastest CPU backend';
  }
  if (pref === 'auto') return { order: auto, reason: autoReason };
  const order: BackendName[] = pref === 'cpu' ? ['cpu'] : [pref, ...auto.filter((b) => b !== pref && b !== 'cpu'), 'cpu'];
  const warning =
    pref === 'webgpu' && probe?.isSoftware
      ? ` (its adapter, ${probe.adapter}, is a software emulation on the CPU: expect it to be slow)`
      : pref === 'webgl' && webgl?.isSoftware
        ? ` (its renderer, ${webgl.renderer}, is a software emulation on the CPU: expect it to be slow)`
        : pref === 'cpu'
          ? ' (plain JavaScript: the slowest backend)'
          : '';
  return { order, reason: `${pref} was asked for${warning}` };
}

/** The `navigator.gpu` of this context, if any (absent in Node unless src/node/gpu.ts installed Dawn's). */
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

/**
 * Makes a backend's package loaded and registered, and installs our kernels for it (on WebGPU, the `kernels` set);
 * throws when it cannot be used in this context.
 */
async function prepare(name: BackendName, kernels: KernelChoice): Promise<void> {
  if (name === 'webgpu') {
    if (!navigatorGpu()) throw new Error('this context has no navigator.gpu (no WebGPU)');
    // Registers 'webgpu' on load, but only if navigator.gpu exists by then (checked just above).
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  // After the backend package's import (the WASM one is imported above), which registers the kernels ours replace.
  installKernels(name, kernels);
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
  // tfjs's threaded build uses half the logical cores (see src/browser/wasmAssets.ts).
  return '1 WASM thread (tfjs uses half the logical cores)';
}

/**
 * What the backend tfjs uses now can hold (memory.ts): its WebGPU device's binding limit, WASM's address space, or
 * the machine's memory for the CPU backend as the caller knows it (Node's `os.totalmem()`), else a browser's
 * `navigator.deviceMemory`; null where it is not known.
 */
export function currentCapacity(systemBytes: number | null = null): MemoryCapacity | null {
  const deviceMemory = typeof navigator === 'undefined' ? undefined : (navigator as { deviceMemory?: number }).deviceMemory;
  return capacityOf(tf.getBackend(), {
    gpuBindingBytes: activeGpuDevice()?.limits.maxStorageBufferBindingSize ?? null,
    systemBytes: systemBytes ?? (typeof deviceMemory === 'number' && deviceMemory > 0 ? deviceMemory * 2 ** 30 : null),
  });
}

export interface InitOptions {
  /** a probe result to use instead of asking WebGPU (tests; or a caller that probed already) */
  probe?: WebGpuProbe | null;
  /** a WebGL probe result to use instead of asking WebGL (tests) */
  webgl?: WebGlProbe | null;
  /**
   * Asks WebGL which renderer it draws with (browsers: src/browser/webgl.ts's `probeWebGl`); absent, as in Node,
   * there is no WebGL. Called only when WebGPU has no hardware adapter.
   */
  probeWebGl?: () => WebGlProbe | null;
  /** WebGPU's kernels: ours (the default) or tfjs's own; the run's config `kernels`, applied here once for the run */
  kernels?: KernelChoice;
}

/**
 * Probes WebGPU (and WebGL's renderer, unless WebGPU has a hardware adapter), plans, and sets the first backend in
 * the plan that starts. Resolves to the choice with its reason;
 * rejects only if none starts (cpu always does). Safe to call again: it re-plans and switches backends.
 */
export async function initBackend(pref: BackendPreference, opts: InitOptions = {}): Promise<BackendChoice> {
  const probe = opts.probe !== undefined ? opts.probe : await probeWebGpu();
  // WebGL's renderer only matters when WebGPU has no hardware adapter (it then decides between WebGL and WASM).
  const webgl = opts.webgl !== undefined ? opts.webgl : probe && !probe.isSoftware ? null : (opts.probeWebGl?.() ?? null);
  const plan = planBackends(pref, probe, webgl);
  const tried: BackendChoice['tried'] = [];
  for (const name of plan.order) {
    try {
      await prepare(name, opts.kernels ?? 'ours');
      // setBackend resolves false (after logging a warning) when the backend's init fails, and throws when the
      // name is not registered (e.g. webgl without WebGL).
      if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed to initialise it`);
      await tf.ready();
    } catch (err) {
      tried.push({ backend: name, error: messageOf(err) });
      continue;
    }
    const threads = name === 'wasm' ? wasmThreads() : undefined;
    let reason =
      name === plan.order[0] ? plan.reason : `${name}, the first that started after ${tried.map((t) => t.backend).join(', ')} failed (${plan.reason})`;
    if (threads !== undefined) reason += `; ${threadsNote(threads)}`;
    return {
      backend: name,
      reason,
      ...(probe ? { adapter: probe.adapter, softwareAdapter: probe.isSoftware } : {}),
      ...(webgl ? { webglRenderer: webgl.renderer, softwareWebgl: webgl.isSoftware } : {}),
      ...(threads !== undefined ? { threads } : {}),
      tried,
      memory: currentCapacity(),
    };
  }
  throw new Error(`no tfjs backend starts here: ${tried.map((t) => `${t.backend}: ${t.error}`).join('; ')}`);
}
