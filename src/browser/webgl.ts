/**
 * Browser only: which renderer WebGL draws with, for the core's backend choice (`initBackend`'s `probeWebGl`
 * option: src/core/backend.ts decides between WebGL and WASM with it when WebGPU has no hardware adapter). The core
 * has no DOM, so the canvas and its WebGL context are looked up here, and the renderer string is read by the core's
 * pure `describeRenderer`.
 */
import { describeRenderer, type WebGlProbe } from '../core/backend';

/**
 * Asks WebGL (on an OffscreenCanvas, so it works in a worker) which renderer it draws with; null when this context
 * has no WebGL (Node, a browser without it, or no context to be had). The context is released at once: browsers
 * keep only a few alive, and tfjs makes its own.
 */
export function probeWebGl(): WebGlProbe | null {
  if (typeof OffscreenCanvas === 'undefined') return null;
  try {
    // With failIfMajorPerformanceCaveat the browser refuses a context it would render in software.
    let gl = webGlContext(true);
    const caveat = gl === null;
    gl ??= webGlContext(false);
    if (!gl) return null;
    try {
      const debugInfo = gl.getExtension('WEBGL_debug_renderer_info');
      const raw: unknown = gl.getParameter(debugInfo ? debugInfo.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
      return describeRenderer(typeof raw === 'string' ? raw : '', caveat);
    } finally {
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    }
  } catch {
    return null;
  }
}

function webGlContext(failIfMajorPerformanceCaveat: boolean): WebGL2RenderingContext | WebGLRenderingContext | null {
  // A fresh canvas each time: a canvas that gave one kind of context gives no other.
  const attrs = { failIfMajorPerformanceCaveat };
  return new OffscreenCanvas(1, 1).getContext('webgl2', attrs) ?? new OffscreenCanvas(1, 1).getContext('webgl', attrs);
}
