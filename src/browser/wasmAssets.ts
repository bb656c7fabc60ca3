/**
 * Browser only (the app's training worker and the bench's page import it; Node never does: the `?url` and `?raw`
 * imports need Vite): tells tfjs's WASM backend where Vite put its three .wasm binaries, and whether to use the threaded
 * one. Call `configureWasmAssets()` in the worker before `initBackend` (src/core/backend.ts) tries 'wasm': both
 * settings must precede the backend's first initialisation (tfjs throws if the paths are set after it).
 *
 * Which binary: tfjs picks threaded + SIMD when the context is cross-origin isolated (SharedArrayBuffer; the dev and
 * preview servers send COOP/COEP, see vite.config.ts), else SIMD, else plain. The `?url` imports make Vite emit each
 * file as an asset and hand us its URL, so the same map works in `vite dev` and in a build. A map, not a single
 * path: `setWasmPath` (singular) would force the non-threaded build.
 *
 * The threaded build under a bundler: tfjs 4.x hands Emscripten its pthread worker script inline
 * (`wasmWorkerContents`, made a blob: URL in `locateFile`, fine) and the main script each pthread imports as
 * `new Blob(['var WasmBackendModuleThreadedSimd = ' + factory.toString()])`. That source text of a bundled function
 * only works while the bundle is not minified: minification renames the variables the factory closes over (its
 * `_scriptDir`, the CommonJS wrapper's), so in a production build every pthread dies with "e is not defined" and
 * the backend never starts (seen here in headless Chromium; `vite dev` works). `installPthreadScriptFix` swaps that
 * one Blob's text for Emscripten's original file, imported verbatim with `?raw` (55 kB). Verified in headless
 * Chromium, in `vite dev` and in a `vite build` served by `vite preview`: the isolated module worker loads
 * tfjs-backend-wasm-threaded-simd.wasm, starts 4 threads (navigator.hardwareConcurrency faked to 8 there; this
 * machine has 2) and trains to the same losses as the single-threaded build.
 *
 * How many threads: tfjs's C++ (backend.cc, init_with_threads_count) runs XNNPACK on
 * min(8, hardwareConcurrency / 2) threads, halving for hyper-threading, and caps setThreadsCount() there too. So
 * with fewer than 4 logical cores the threaded build would run 1 thread while still starting its pool of 8
 * pthread workers; there we ask for the plain SIMD build instead (same speed, no idle workers).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import plainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import threadedFactorySource from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js?raw';

export interface WasmAssetsInfo {
  /** whether the threaded build may load (cross-origin isolated and at least 2 threads to gain) */
  threaded: boolean;
  /** why, or why not, for the backend line the person sees */
  reason: string;
}

let configured: WasmAssetsInfo | null = null;

/** Whether this context can share memory with workers, which the threaded build needs. */
export function crossOriginIsolatedHere(): boolean {
  return typeof crossOriginIsolated === 'boolean' && crossOriginIsolated && typeof SharedArrayBuffer === 'function';
}

/** The thread count tfjs's threaded build would use here: min(8, floor(hardwareConcurrency / 2)), at least 1. */
export function threadsTfjsWouldUse(): number {
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1;
  return Math.min(8, Math.max(1, Math.floor(cores / 2)));
}

/** How tfjs's backend_wasm.js starts the script it gives each pthread (see the file comment). */
const FACTORY_BLOB_PREFIX = 'var WasmBackendModuleThreadedSimd = ';

/**
 * Makes `new Blob([<the threaded factory's source>])` produce Emscripten's original script instead, which defines
 * the same global and needs nothing from the bundle. Every other Blob is untouched (a subclass, so `instanceof Blob`
 * and postMessage behave as before). Idempotent.
 */
function installPthreadScriptFix(): void {
  const NativeBlob = globalThis.Blob;
  if ('wrnThreadedFactoryFix' in NativeBlob) return;
  class ThreadedFactoryBlob extends NativeBlob {
    static readonly wrnThreadedFactoryFix = true;
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      const first = parts?.length === 1 ? parts[0] : undefined;
      super(typeof first === 'string' && first.startsWith(FACTORY_BLOB_PREFIX) ? [threadedFactorySource] : parts, options);
    }
  }
  globalThis.Blob = ThreadedFactoryBlob;
}

/** Points the WASM backend at the bundled binaries and chooses the build (idempotent; returns the first result). */
export function configureWasmAssets(): WasmAssetsInfo {
  if (configured) return configured;
  setWasmPaths({
    'tfjs-backend-wasm.wasm': plainUrl,
    'tfjs-backend-wasm-simd.wasm': simdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedSimdUrl,
  });
  const threads = threadsTfjsWouldUse();
  if (!crossOriginIsolatedHere()) {
    configured = { threaded: false, reason: 'not cross-origin isolated (no COOP/COEP headers), so one thread' };
  } else if (threads < 2) {
    // tfjs reads this flag when the backend initialises; false makes it load the SIMD build.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    configured = { threaded: false, reason: `${navigator.hardwareConcurrency} logical cores give tfjs one thread, so the single-threaded build` };
  } else {
    installPthreadScriptFix();
    configured = { threaded: true, reason: `threaded build, ${threads} threads (half the ${navigator.hardwareConcurrency} logical cores)` };
  }
  return configured;
}
