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

/**
 * Inside the net at an evaluation point (Zagoruyko & Komodakis 2016 on diminishing feature reuse; Jastrzebski et
 * al. 2018): each residual block's contribution on a fixed probe batch of test images, and each convolution's
 * weight and gradient norms. Written right after its evaluation, with the same step.
 */
export interface BlockPoint {
  kind: 'blocks';
  step: number;
  epoch: number;
  seconds: number;
  flops: number;
  /** the residual blocks, as the builder names them: g1b1, g1b2, ..., g3bN */
  blocks: string[];
  /**
   * per block: the mean over the probe images of ||F_b(x)|| / ||s_b(x)||, the residual branch's output against the
   * shortcut's (L2 norms per image, BN's running statistics, dropout off)
   */
  residualRatio: number[];
  /** the test images the ratios are measured on: the first `probeImages` of the test subset */
  probeImages: number;
  /** every convolution, as the builder names them: conv1, g1b1_conv1, g1b1_conv2, g1b1_shortcut, ... */
  layers: string[];
  /** per convolution: the L2 norm of its kernel */
  weightNorm: number[];
  /**
   * per convolution: the L2 norm of the loss's gradient (weight decay not included) at the training step that
   * ended here; null when that step's gradient was not measured (an evaluation after a stop)
   */
  gradNorm: number[] | null;
}

export type MetricPoint = StepPoint | EvalPoint | BlockPoint;

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
