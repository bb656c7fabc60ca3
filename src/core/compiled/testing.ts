/**
 * Test helpers for the compiled step (Node tests and the exhaustive check script; no app code imports this): the
 * WebGPU device tfjs holds, a tiny executor that uploads arrays, runs kernels and reads results back, and the
 * relative error the kernel tests measure.
 */
import { BufferPool, type Kernel, planDispatch, readBuffer, type Slice, submitDispatches } from './gpu';
import { pipelinesOf } from './plan';

/** max |ours - theirs| / max |theirs| (the absolute error when theirs is all zero). */
export function relativeError(ours: ArrayLike<number>, theirs: ArrayLike<number>): number {
  if (ours.length !== theirs.length) throw new Error(`lengths differ: ${ours.length} vs ${theirs.length}`);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < theirs.length; i++) {
    scale = Math.max(scale, Math.abs(theirs[i]!));
    err = Math.max(err, Math.abs(ours[i]! - theirs[i]!));
  }
  return scale === 0 ? err : err / scale;
}

/** Buffers made from arrays, kernels run once, results read back: enough to test one kernel against a reference. */
export class TinyExecutor {
  readonly pool: BufferPool;

  constructor(readonly device: GPUDevice) {
    this.pool = new BufferPool(device);
  }

  /** A buffer holding `values` (f32, or u32 for a Uint32Array), as a slice of exactly their size. */
  upload(values: ArrayLike<number> | Uint32Array | number): Slice {
    const n = typeof values === 'number' ? values : values.length;
    const buffer = this.pool.create('test', Math.max(16, n * 4));
    if (typeof values !== 'number')
      this.device.queue.writeBuffer(buffer, 0, values instanceof Uint32Array ? Uint32Array.from(values) : Float32Array.from(values));
    return { buffer, offset: 0, size: Math.ceil((n * 4) / 16) * 16 };
  }

  /** A uniform buffer of `bytes` holding `words`. */
  uniform(words: ArrayBuffer, bytes = words.byteLength): Slice {
    const buffer = this.pool.create('test uniform', bytes, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.device.queue.writeBuffer(buffer, 0, words);
    return { buffer, offset: 0, size: buffer.size };
  }

  /** Runs the kernels in order in one submit. */
  async run(...kernels: Kernel[]): Promise<void> {
    const pipelines = pipelinesOf(this.device);
    const dispatches = [];
    for (const k of kernels) dispatches.push(await planDispatch(this.device, pipelines, k));
    submitDispatches(this.device, dispatches);
  }

  /** The first `n` floats of a slice. */
  async read(s: Slice, n: number): Promise<Float32Array> {
    return new Float32Array(await readBuffer(this.device, s.buffer, s.offset, n * 4));
  }

  dispose(): void {
    this.pool.destroyAll();
  }
}
