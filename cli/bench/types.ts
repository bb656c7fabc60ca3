/**
 * The benchmark's plain-data shapes: what a measuring process (Node) or worker (Chromium) is asked to do and what
 * it answers. No tfjs here, so the Node orchestrator, the page and the report share them without loading tfjs.
 */

/** Where a measurement runs and on which tfjs backend. */
export const TARGETS = [
  'node-webgpu',
  'node-wasm',
  'node-cpu',
  'chromium-webgpu',
  'chromium-webgl',
  'chromium-wasm',
  'chromium-wasm-threads',
  'chromium-cpu',
] as const;
export type Target = (typeof TARGETS)[number];

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** The backend a target runs on. */
export function backendOf(target: Target): BackendName {
  return target.replace(/^(node|chromium)-/, '').replace(/-threads$/, '') as BackendName;
}

export function envOf(target: Target): 'node' | 'chromium' {
  return target.startsWith('node-') ? 'node' : 'chromium';
}

/** One net on one target: what to measure. */
export interface NetJob {
  target: Target;
  depth: number;
  width: number;
  batch: number;
  /** steady-state steps timed for each variant (after one untimed first step) */
  steps: number;
  /** the trainer's metrics window, and the window the loops take turns by (the app's default is 5) */
  readEvery: number;
  /** the dropout rate of the dropout variant (the paper's 0.3) */
  dropout: number;
  /** also time the old mask (tf.randomUniform on the host, uploaded each step), for comparison */
  legacyDropout: boolean;
  /** batches timed through the input pipeline alone */
  pipelineBatches: number;
  /** profile one training step kernel by kernel (tf.profile) */
  profile: boolean;
  /** time dropout on one large activation, old mask against new */
  maskCost: boolean;
  seed: number;
  /** WASM threads (0 = the backend's default); only chromium-wasm-threads uses more than 1 */
  threads: number;
}

/** Timing of one loop: the first step alone (kernel/shader compilation included), then the steady state. */
export interface LoopTiming {
  /** wall time of the first step, from the call until its loss was read back (ms) */
  firstStepMs: number;
  /** median over steady-state windows of the mean step time in the window (ms) */
  stepMs: number;
  /** mean over the same windows (ms): far above the median means bursts of outside load */
  meanStepMs: number;
  /** batch / stepMs */
  imagesPerSec: number;
  /** steady-state steps timed */
  steps: number;
  windows: number;
  /** the JS thread's time to encode and submit one steady-state step (ms): Trainer.hostTime, first step left out */
  hostMsPerStep?: number;
  /** the compiled step: the part of it before the submit (its two writes and the encoding), all steps */
  encodeMsPerStep?: number;
}

/** What the trainer does to the host <-> device boundary during its steady-state steps. */
export interface StepAudit {
  /** device -> host read-backs (backend read/readSync) per step: the trainer reads a few scalars every few steps */
  readsPerStep: number;
  /** tensors made from host values (engine.makeTensor: tf.tensor, tf.scalar, tf.ones...) per step */
  uploadsPerStep: number;
  /** bytes those uploads carried, per step */
  uploadBytesPerStep: number;
  /** the trainer's metrics window (steps between read-backs) */
  readEvery: number;
}

/** The input pipeline on its own: gather records on the host, upload, normalise and augment on the device. */
export interface PipelineTiming {
  /** host part only: gathering records and drawing augmentation numbers (images/s) */
  hostImagesPerSec: number;
  /** host + upload + device normalisation and augmentation, awaited (images/s) */
  imagesPerSec: number;
  /** imagesPerSec over what the trainer consumed (trainer images/s): headroom, should be >> 1 */
  headroom: number;
}

/** Dropout on one large activation (MASK_COST_SHAPE in maskCost.ts), each followed by the same sum read back. */
export interface MaskCost {
  shape: number[];
  /** the WrnDropout kernel (ms) */
  newMs: number;
  /** tf.randomUniform mask drawn on the host and uploaded, then multiplied (ms) */
  oldMs: number;
}

/** Outputs smaller than this (elements) make a call "small": its time is mostly dispatch overhead, not work. */
export const SMALL_OUTPUT = 16384;

/** One kernel's share of a profiled step. */
export interface KernelShare {
  kernel: string;
  calls: number;
  ms: number;
  /** the part of `ms` spent in calls whose output has fewer than SMALL_OUTPUT elements: dispatch-bound calls */
  smallMs: number;
  smallCalls: number;
  /** the part of `ms` spent in calls whose inputs differ in size (broadcasting, e.g. [N,H,W,C] with [C]) */
  broadcastMs: number;
  broadcastCalls: number;
  /** fraction of the step's summed kernel time */
  share: number;
}

export interface StepProfile {
  /**
   * how kernel times were taken: GPU timestamps, wall time with a read-back after each kernel, host time (CPU and
   * WASM), or not at all (WebGPU without timestamp-query: tfjs reports 0 ms for every kernel; the calls still count)
   */
  timer: 'gpu-timestamps' | 'wall-with-sync' | 'host' | 'unavailable';
  /** WebGPU: the kernel set the profiled step ran with, or the compiled step (one timed pass per dispatch) */
  kernelSet?: 'ours' | 'tfjs' | 'compiled';
  kernels: number;
  totalKernelMs: number;
  top: KernelShare[];
}

/** Dispatches of one trainer step (cli/bench/kernelCount.ts), with our kernels and with tfjs's, in the same run. */
export interface KernelsPerStep {
  /** the batch the step was counted at */
  batch: number;
  ours: StepCount;
  tfjs: StepCount;
  /** the compiled step (src/core/compiled): its planned dispatches, one submit */
  compiled?: StepCount;
}

export interface StepCount {
  dispatches: number;
  submits: number;
  /** dispatches per program (the pipeline's label: tfjs's program class, or ours) */
  byProgram: Record<string, number>;
}

/** Everything measured for one net on one target. */
export interface NetResult {
  job: NetJob;
  net: string;
  params: number;
  backend: string;
  /** what the backend says about the device (WebGPU adapter info, WebGL renderer, WASM threads) */
  adapter: Record<string, string | number | boolean>;
  /** the trainer (src/core/trainer.ts) as the app runs it, dropout 0 */
  trainer?: LoopTiming;
  /** model.trainOnBatch on the same net, batch and backend (sgd, softmax cross-entropy from logits), dropout 0 */
  bare?: LoopTiming;
  /** trainer images/s over bare-loop images/s */
  trainerVsBare?: number;
  /** the trainer with the bare loop's optimizer (plain SGD, no weight decay), dropout 0 */
  trainerSgd?: LoopTiming;
  /** trainerSgd images/s over bare-loop images/s: what the trainer's own machinery costs (goal >= 0.95) */
  trainerSgdVsBare?: number;
  /** the trainer with dropout `job.dropout` (the GPU-side mask) */
  dropout?: LoopTiming;
  /** dropout step time over no-dropout step time (goal <= 1.10) */
  dropoutRatio?: number;
  /** the trainer with the old host-drawn mask */
  legacyDropout?: LoopTiming;
  legacyDropoutRatio?: number;
  audit?: StepAudit;
  pipeline?: PipelineTiming;
  /** one profiled trainer step (on WebGPU with the row's kernel set) */
  profile?: StepProfile;
  /** WebGPU rows with our kernels: the same step profiled with tfjs's kernels */
  profileTfjs?: StepProfile;
  /** WebGPU rows: the compiled step's own profile (GPU timestamps around each dispatch) */
  profileCompiled?: StepProfile;
  maskCost?: MaskCost;
  /** ms per small elementwise kernel (4096 floats), dispatch overhead included: see opLatency.ts smallOpMs */
  smallOpMs?: number;
  /** WebGPU rows: which kernels the timed loops ran (our kernels/webgpu, or tfjs's own: WRN_KERNELS=tfjs) */
  kernels?: 'ours' | 'tfjs';
  /** WebGPU rows with our kernels: the trainer with tfjs's own kernels, interleaved with the others */
  trainerTfjsKernels?: LoopTiming;
  /** trainer img/s over trainerTfjsKernels img/s: what our kernels gain */
  oursVsTfjsKernels?: number;
  /** WebGPU rows: compute dispatches of one trainer step, counted at dispatchWorkgroups, with each set of kernels */
  kernelsPerStep?: KernelsPerStep;
  /** WebGPU rows: the trainer on the compiled step (engine=compiled), interleaved with the others */
  trainerCompiled?: LoopTiming;
  /** trainerCompiled img/s over trainer img/s (tfjs's path with the row's kernels) */
  compiledVsTrainer?: number;
  /** WebGPU rows: the compiled step's plan: its dispatches a step, device buffers and bytes, and planning time */
  compiledPlan?: { dispatches: number; buffers: number; bytes: number; planMs: number };
  /** hash of a fixed dropout mask: equal on every backend when the kernels agree bit for bit */
  maskChecksum?: string;
  /** what the blocks points (src/core/insight) add to an epoch at the default evaluation interval */
  blocksOverhead?: BlocksOverhead;
  /** a part that failed, with its message (the rest of the row still stands) */
  errors: string[];
  /** wall time of the whole job (s) */
  seconds: number;
}

/** One PyTorch measurement (bench/gpu/pytorch_wrn.py --device cpu): the same net, batch and optimizer as the trainer. */
export interface PytorchRow {
  net: string;
  depth: number;
  width: number;
  batch: number;
  /** fp32: PyTorch's default NCHW layout; fp32-cl: channels_last (NHWC, as tfjs) */
  mode: string;
  /** CPU threads PyTorch ran on (torch.get_num_threads after torch.set_num_threads) */
  threads: number;
  firstStepMs: number;
  /** median over one-window-each timings of the mean step time (ms) */
  stepMs: number;
  imagesPerSec: number;
  windows: number;
  /** measured right before or right after a WASM job (`next`) on the same net and threads */
  when?: 'before' | 'after';
  next?: Target;
}

/** Native PyTorch on the same CPU in the same run, or why it was not measured (a missing torch is not a failure). */
export type PytorchReference =
  | { status: 'measured'; python: string; torch: string; cpu: string; rows: PytorchRow[]; errors: string[] }
  | { status: 'skipped' | 'missing' | 'failed'; reason: string };

/** A WASM trainer row against PyTorch on as many threads (PyTorch's faster layout). */
export interface VsPytorch {
  target: Target;
  net: string;
  threads: number;
  wasmImagesPerSec: number;
  pytorchImagesPerSec: number;
  /** the PyTorch mode that was faster, and so compared with */
  pytorchMode: string;
  /** 100 * wasm / pytorch */
  percent: number;
  /**
   * PyTorch's best img/s measured right before and right after the job (either may be missing). When both exist and
   * differ by more than PYTORCH_PAIR_TOLERANCE of the larger, the machine's load changed during the job: the
   * percentage is not to be trusted (`unreliable` says why).
   */
  pytorchBefore?: number;
  pytorchAfter?: number;
  unreliable?: string;
}

/** Before/after PyTorch measurements that differ by more than this fraction of the larger flag their row. */
export const PYTORCH_PAIR_TOLERANCE = 0.1;

/** The kernels the per-kernel timing compares (test/fixtures/kernelCases.ts). */
export const TIMED_KERNEL_KINDS = ['batchNorm', 'convFilterGrad', 'convInputGrad'] as const;
export type TimedKernelKind = (typeof TIMED_KERNEL_KINDS)[number];

/**
 * How a kernel case was timed: 'gpu-timestamps' sums the device time of the case's dispatches (WebGPU
 * timestamp-query, through tf.time's kernelMs); 'wall-with-sync' is the wall time from an idle queue until the
 * queue has drained again (host encoding of every dispatch included).
 */
export type KernelTimer = 'gpu-timestamps' | 'wall-with-sync';

/** Per-kernel timing on one WebGPU target: every case of each kernel kind on the layer shapes of these nets. */
export interface KernelJob {
  kind: 'kernels';
  target: Target;
  /** the nets whose distinct layer shapes are timed, as [depth, width] */
  nets: [number, number][];
  batch: number;
  /** timed runs of each set per case, after one untimed warm-up run of each (shader compilation) */
  reps: number;
  /** 'auto': GPU timestamps when the device has 'timestamp-query', else wall time; 'wall': always wall time */
  timer: 'auto' | 'wall';
  kinds: TimedKernelKind[];
}

/** One case timed both ways, interleaved. */
export interface KernelCaseTiming {
  kind: TimedKernelKind;
  /** kernelCases.ts's label, e.g. "convInputGrad [2, 16, 16, 64] 3x3/1 -> 64" */
  label: string;
  /** multiply-adds (convolutions) or elements (batch norm) of one run */
  work: number;
  /** every timed run (ms), in the order taken */
  oursMs: number[];
  tfjsMs: number[];
  /** the programs one run dispatches with each set, and how often (counted during the warm-up run) */
  programs?: { ours: Record<string, number>; tfjs: Record<string, number> };
}

export interface KernelTimingResult {
  job: KernelJob;
  backend: string;
  adapter: Record<string, string | number | boolean>;
  timer: KernelTimer;
  cases: KernelCaseTiming[];
  /** 1-minute load average before and after (Node; absent in a browser worker) */
  loadAverage?: { start: number; end: number };
  errors: string[];
  seconds: number;
}

/**
 * The cost of the blocks points at one evaluation (cli/bench/blocks.ts), against one epoch of the default config
 * (its training images, then its test images evaluated). ms; medians of interleaved rounds.
 */
export interface BlocksOverhead {
  probeImages: number;
  /** evaluation chunk */
  chunk: number;
  trainImages: number;
  testImages: number;
  /** the probe images through the evaluation's forward pass, and block by block with the ratios */
  forwardMs: number;
  forwardWithRatiosMs: number;
  weightNormsMs: number;
  gradNormsMs: number;
  /** what the blocks points add to one evaluation (the step before it included) */
  extraMsPerEval: number;
  /** an epoch at the job's batch: its steps at the trainer's measured step time, and the evaluation */
  epochMs: number;
  overhead: number;
  /** an epoch at its least: 3 forward passes per training image at the evaluation's per-image speed, and the evaluation */
  leanEpochMs: number;
  leanOverhead: number;
}
