/**
 * The steps a trainer has taken but not yet read back: each step's loss and right-answer count stay on the device
 * as scalars until the window is read, so the GPU is drained once per window instead of once per step.
 * The window also keeps when it started, so that the steps it holds can be timed together.
 */
import * as tf from '@tensorflow/tfjs';

/** What one read of the window gives: per step, in order. */
export interface WindowReading {
  losses: Float32Array;
  /** right answers in each step's batch */
  correct: Float32Array;
  /** the learning rate each step used */
  lrs: number[];
  /** ms from the window's start to the end of the read */
  elapsedMs: number;
}

export class MetricsWindow {
  private entries: { loss: tf.Scalar; correct: tf.Scalar; lr: number }[] = [];
  private startedAt = 0;

  constructor(private readonly now: () => number) {}

  /** Steps held, not yet read back. */
  get length(): number {
    return this.entries.length;
  }

  /** Starts timing from now (after a read, a pause, an evaluation: time no step of this window spent). */
  restart(): void {
    this.startedAt = this.now();
  }

  /** Keeps a step's scalars (the window owns them from now on). */
  push(loss: tf.Scalar, correct: tf.Scalar, lr: number): void {
    this.entries.push({ loss, correct, lr });
  }

  /** Waits for the first step held to finish on the device (to time a first step on its own). */
  async settleFirst(): Promise<void> {
    await this.entries[0]?.loss.data();
  }

  /** Reads every held step back in one transfer, frees their scalars and empties the window; null when empty. */
  async read(): Promise<WindowReading | null> {
    const held = this.entries;
    if (!held.length) return null;
    const packed = tf.tidy(() => tf.stack([...held.map((w) => w.loss), ...held.map((w) => w.correct)]));
    const values = (await packed.data()) as Float32Array;
    packed.dispose();
    const elapsedMs = this.now() - this.startedAt;
    this.dispose();
    const k = held.length;
    return { losses: values.subarray(0, k), correct: values.subarray(k), lrs: held.map((w) => w.lr), elapsedMs };
  }

  /** Frees what is held without reading it (a run that failed or was abandoned). */
  dispose(): void {
    for (const w of this.entries) tf.dispose([w.loss, w.correct]);
    this.entries = [];
  }
}
