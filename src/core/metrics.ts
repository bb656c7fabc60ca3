/**
 * What a run reports. Plain data (no tensors), so it crosses a worker boundary and serialises to JSON Lines.
 * Time is active training time in seconds (pauses excluded); flops are cumulative training FLOPs
 * (6 per MAC per image: forward plus backward), so runs can be compared per second and per FLOP.
 */

/** One SGD step. */
export interface StepPoint {
  kind: 'step';
  /** 1-based count of finished steps */
  step: number;
  /** fractional epochs done (step / steps per epoch) */
  epoch: number;
  /** mean cross-entropy of this step's batch (nats) */
  loss: number;
  /** fraction of this step's batch classified right, 0..1 */
  trainAccuracy: number;
  /** learning rate used for this step */
  lr: number;
  /** throughput over the last metrics window (images per second) */
  imagesPerSec: number;
  /** mean wall time per step over the last metrics window (ms) */
  stepMs: number;
  /** live tfjs tensors after the step (flat across steps when nothing leaks) */
  numTensors: number;
  /** bytes the backend holds for tensors (GPU memory on webgpu/webgl) */
  deviceBytes: number;
  /** active training time so far (s) */
  seconds: number;
  /** cumulative training FLOPs */
  flops: number;
}

/** One evaluation over the test subset. */
export interface EvalPoint {
  kind: 'eval';
  step: number;
  epoch: number;
  /** mean cross-entropy over the test subset */
  testLoss: number;
  /** fraction right over the test subset, 0..1 */
  testAccuracy: number;
  /** test images evaluated */
  testImages: number;
  seconds: number;
  flops: number;
  /** 10x10 row-major counts: confusion[true * 10 + predicted] */
  confusion: number[];
}

export type MetricPoint = StepPoint | EvalPoint;

/** How a run ended. */
export interface RunSummary {
  status: 'finished' | 'stopped';
  steps: number;
  seconds: number;
  flops: number;
  /** the time to the first finished step, shader compilation included (ms) */
  firstStepMs: number;
  finalEval: EvalPoint | null;
  /** predicted class of each evaluated test image at the last evaluation */
  predictions: Uint8Array | null;
}
