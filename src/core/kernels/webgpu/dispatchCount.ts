/**
 * Counts WebGPU work where it happens: every `GPUComputePassEncoder.dispatchWorkgroups` (by the label of the
 * pipeline set before it: tfjs labels its pipelines with the program's class name, and so do our kernels) and every
 * `GPUQueue.submit`. Counting tfjs kernel calls instead would miss kernels that dispatch several programs (or none:
 * reshapes, CPU hand-offs), which is what a step's dispatch budget is about (BENCHMARKS.md, section 8).
 *
 * Works wherever the WebGPU classes are globals: Chromium (page or worker) and Node once src/node/gpu.ts has copied the
 * `webgpu` package's globals onto globalThis. The prototypes are patched while a counter is active and restored by
 * `stop()`; counters do not nest (a second one while one is active throws).
 */

export interface DispatchCounts {
  dispatches: number;
  submits: number;
  /** dispatches per pipeline label (the program's name; '(unlabelled)' when the pipeline has none) */
  byProgram: Record<string, number>;
}

export interface DispatchCounter {
  /** a copy of the counts so far */
  snapshot(): DispatchCounts;
  /** puts the original methods back */
  stop(): void;
}

interface PassProto {
  setPipeline(pipeline: { label?: string }): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
}
interface QueueProto {
  submit(buffers: unknown[]): void;
}

let active = false;

/** The WebGPU classes of this context, when it has them. */
function webGpuClasses(): { pass: PassProto; queue: QueueProto } | null {
  const g = globalThis as { GPUComputePassEncoder?: { prototype: PassProto }; GPUQueue?: { prototype: QueueProto } };
  if (!g.GPUComputePassEncoder || !g.GPUQueue) return null;
  return { pass: g.GPUComputePassEncoder.prototype, queue: g.GPUQueue.prototype };
}

/** true when this context can count dispatches (it has WebGPU's classes as globals). */
export function canCountDispatches(): boolean {
  return webGpuClasses() !== null;
}

/** Starts counting. Throws when there is no WebGPU here or a counter is already active. */
export function countDispatches(): DispatchCounter {
  const classes = webGpuClasses();
  if (!classes) throw new Error('no WebGPU classes in this context: nothing to count');
  if (active) throw new Error('a dispatch counter is already active');
  active = true;
  const { pass, queue } = classes;
  const counts: DispatchCounts = { dispatches: 0, submits: 0, byProgram: {} };
  const { setPipeline, dispatchWorkgroups } = pass;
  const { submit } = queue;
  // The label of the last pipeline set on each pass encoder (a pass may outlive several programs).
  const current = new WeakMap<object, string>();
  pass.setPipeline = function (this: PassProto, pipeline) {
    current.set(this, pipeline.label || '(unlabelled)');
    return setPipeline.call(this, pipeline);
  };
  pass.dispatchWorkgroups = function (this: PassProto, x, y, z) {
    counts.dispatches++;
    const label = current.get(this) ?? '(unlabelled)';
    counts.byProgram[label] = (counts.byProgram[label] ?? 0) + 1;
    return dispatchWorkgroups.call(this, x, y, z);
  };
  queue.submit = function (this: QueueProto, buffers) {
    counts.submits++;
    return submit.call(this, buffers);
  };
  return {
    snapshot: () => ({ ...counts, byProgram: { ...counts.byProgram } }),
    stop: () => {
      pass.setPipeline = setPipeline;
      pass.dispatchWorkgroups = dispatchWorkgroups;
      queue.submit = submit;
      active = false;
    },
  };
}

/** b - a, program by program (programs with no dispatches in between are left out). */
export function diffCounts(a: DispatchCounts, b: DispatchCounts): DispatchCounts {
  const byProgram: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.byProgram)) {
    const d = v - (a.byProgram[k] ?? 0);
    if (d) byProgram[k] = d;
  }
  return { dispatches: b.dispatches - a.dispatches, submits: b.submits - a.submits, byProgram };
}
