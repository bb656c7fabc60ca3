/**
 * Watching the GPUDevice under tfjs's WebGPU backend, which itself never looks: a lost device (driver reset, GPU
 * process crash) and out-of-memory errors are reported only through `device.lost` and `uncapturederror` events,
 * while tfjs's pending reads may then hang or fail with an unrelated message. The host races each run against
 * `nextFailure()` so the run ends promptly with the right error code, and rebuilds the backend on a new device
 * before the next run (`rebuildWebGpuBackend`).
 */
import * as tf from '@tensorflow/tfjs';
import { RunFailure } from './runErrors';

/** The GPUDevice behind the active tfjs backend, or null when it is not WebGPU. */
export function activeGpuDevice(): GPUDevice | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.backend() as unknown as { device?: GPUDevice }).device ?? null;
}

/** Reports the failures of one GPUDevice to subscribers, and remembers whether the device can still be trusted. */
export class DeviceWatch {
  private listeners = new Set<(failure: RunFailure) => void>();
  private lostValue = false;
  private poisonedValue = false;
  private disposed = false;

  constructor(readonly device: GPUDevice) {
    void device.lost.then((info) => {
      if (this.disposed) return; // we let go of it on purpose
      this.lostValue = true;
      this.emit(new RunFailure('device-lost', `the WebGPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})`));
    });
    device.addEventListener('uncapturederror', this.onError);
  }

  /** True once the device is gone. */
  get lost(): boolean {
    return this.lostValue;
  }

  /**
   * True once the device is lost or reported an error: tfjs carries on with invalid buffers after a failed
   * allocation, so the backend must be rebuilt before the next run either way.
   */
  get poisoned(): boolean {
    return this.lostValue || this.poisonedValue;
  }

  /** Calls `listener` on each failure from now on (at once if the device is already lost). */
  subscribe(listener: (failure: RunFailure) => void): () => void {
    if (this.lostValue) listener(new RunFailure('device-lost', 'the WebGPU device was lost'));
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A promise that rejects with the next failure, and its unsubscribe: for racing one run against the device. */
  nextFailure(): { failed: Promise<never>; cancel: () => void } {
    let cancel = () => {};
    const failed = new Promise<never>((_, reject) => (cancel = this.subscribe(reject)));
    failed.catch(() => undefined); // a run that already ended no longer races it
    return { failed, cancel };
  }

  /** Stops watching (before the backend is dropped on purpose). */
  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
    this.device.removeEventListener('uncapturederror', this.onError);
  }

  private emit(failure: RunFailure): void {
    for (const l of [...this.listeners]) l(failure);
  }

  private readonly onError = (event: GPUUncapturedErrorEvent): void => {
    const error = event.error;
    this.poisonedValue = true;
    this.emit(failureOfGpuError(error.message, typeof GPUOutOfMemoryError !== 'undefined' && error instanceof GPUOutOfMemoryError));
  };
}

/**
 * What an uncaptured WebGPU error means for a run. tfjs pushes no error scopes, so an allocation past maxBufferSize
 * shows up only as a validation error ("Buffer size (N) exceeds the max buffer size limit (M)"); other limits
 * ("The number of storage buffers (10) ... exceeds the maximum per-stage limit (8)") are bugs, not memory.
 */
export function failureOfGpuError(message: string, outOfMemory = false): RunFailure {
  const memory = outOfMemory || /exceeds the max(imum)? buffer size|maxBufferSize|maxStorageBufferBindingSize|allocat|out of memory/i.test(message);
  return memory
    ? new RunFailure('out-of-memory', `the GPU ran out of memory: ${message}`)
    : new RunFailure('backend', `WebGPU reported an error, so results can no longer be trusted: ${message}`);
}

/**
 * Drops tfjs's WebGPU backend (its instance and buffer pools) and registers its factory again, so that the next
 * `tf.setBackend('webgpu')` asks for a new adapter and device: the way back after a loss.
 */
export function rebuildWebGpuBackend(): void {
  const factory = tf.findBackendFactory('webgpu');
  if (!factory) return;
  tf.removeBackend('webgpu');
  // 3: the priority tfjs-backend-webgpu registers with, so 'auto' ordering is unchanged.
  tf.registerBackend('webgpu', factory, 3);
}

/**
 * How long a run that failed on a watched GPU waits for the device to say it was lost: destroying a device fails
 * the pending buffer read at once ("Buffer was unmapped before mapping was resolved"), while `device.lost` may
 * resolve a second or more later on a busy machine.
 */
const DEVICE_FAILURE_GRACE_MS = 2_000;

/**
 * One run raced against its device: `guard(p)` rejects as soon as the device fails (tfjs's pending reads may
 * otherwise hang), and `causeOf(err)` prefers the device's own word to whatever message the failed read gave.
 * With no watched device (WASM, CPU, WebGL) both pass everything through.
 */
export class DeviceRace {
  constructor(private readonly failure: Promise<never> | null) {}

  /** Whether the run is raced against a device at all. */
  get watched(): boolean {
    return this.failure !== null;
  }

  guard<T>(p: Promise<T>): Promise<T> {
    return this.failure ? Promise.race([p, this.failure]) : p;
  }

  /** What really ended the run: the device's failure if it is reported within the grace period, else `err`. */
  async causeOf(err: unknown): Promise<unknown> {
    if (err instanceof RunFailure || !this.failure) return err;
    const reported = await Promise.race([
      this.failure.catch((e: unknown) => e),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), DEVICE_FAILURE_GRACE_MS)),
    ]);
    return reported ?? err;
  }
}
