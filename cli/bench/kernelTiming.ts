/**
 * Per-kernel time on WebGPU: every case of test/fixtures/kernelCases.ts (batch norm forward + backward,
 * the filter gradient, the input gradient, on each distinct layer shape of the chosen nets) run with our kernels and
 * with tfjs-webgpu's own, interleaved, in one process.
 *
 * Per case: one untimed run of each set first (shader compilation, uploads of the inputs; the dispatches of that run
 * are counted by program, so the table can say what each set ran), then `reps` timed runs of each, taking turns and
 * alternating which set goes first (ours, tfjs, tfjs, ours, ...), so that a change of load or clock hits both alike
 * and neither always runs right after the other. The report takes medians.
 *
 * Timer: with 'timestamp-query' on the device, `tf.time` gives the summed device time of the case's dispatches
 * (tfjs-webgpu writes a timestamp pair around each program when timing); otherwise the wall time from an idle queue
 * to the queue drained again, which also counts the host's encoding of every dispatch (the per-dispatch cost that
 * section 8 of BENCHMARKS.md is about). Runs unchanged in Node and in a browser worker; the backend is set already.
 *
 * The input gradient's "ours" is tfjs's implicit-GEMM program on every shape (convInputGrad.ts), whatever its rule
 * would pick for the trainer on this adapter and stride: the question these rows answer is which program is faster
 * where, which is what the rule should follow.
 */
import * as tf from '@tensorflow/tfjs';
import { setConvInputProgram } from '../../src/core/kernels/webgpu/convInputGrad';
import { canCountDispatches, countDispatches } from '../../src/core/kernels/webgpu/dispatchCount';
import type { KernelChoice } from '../../src/core/kernels/webgpu/install';
import { type KernelCase, kernelCases, layerShapes, liveCounts } from '../../test/fixtures/kernelCases';
import { messageOf } from '../../src/core/errors';
import type { KernelCaseTiming, KernelJob, KernelTimer, KernelTimingResult } from './types';

/** The parts of tfjs-webgpu's backend the wall-clock timer drives (as its own read-back does before copying). */
interface QueueBackend {
  device: GPUDevice;
  supportTimestampQuery?: boolean;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

const webGpuBackend = (): QueueBackend => tf.backend() as unknown as QueueBackend;

/** Submits whatever tfjs has recorded and waits until the device has finished all submitted work. */
async function drain(b: QueueBackend): Promise<void> {
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  b.submitQueue();
  await b.device.queue.onSubmittedWorkDone();
}

/** One timed run of a case with one set of kernels (ms); its outputs are freed. */
async function timeOnce(c: KernelCase, choice: KernelChoice, timer: KernelTimer, b: QueueBackend): Promise<number> {
  let outs: tf.Tensor[] = [];
  try {
    if (timer === 'gpu-timestamps') {
      const info = await tf.time(() => {
        outs = c.run(choice);
      });
      if (typeof info.kernelMs !== 'number') throw new Error(`no kernel time: ${info.kernelMs.error}`);
      return info.kernelMs;
    }
    await drain(b);
    const t = performance.now();
    outs = c.run(choice);
    await drain(b);
    return performance.now() - t;
  } finally {
    tf.dispose(outs);
  }
}

/** The untimed first run of a set, with its dispatches counted by program where this context can count them. */
async function warmUp(c: KernelCase, choice: KernelChoice, b: QueueBackend): Promise<Record<string, number> | undefined> {
  const counter = canCountDispatches() ? countDispatches() : null;
  try {
    const outs = c.run(choice);
    await drain(b);
    tf.dispose(outs);
    return counter?.snapshot().byProgram;
  } finally {
    counter?.stop();
  }
}

/** Times one case both ways, interleaved (see the module comment). */
async function timeCase(c: KernelCase, job: KernelJob, timer: KernelTimer, b: QueueBackend): Promise<KernelCaseTiming> {
  const ours = await warmUp(c, 'ours', b);
  const tfjs = await warmUp(c, 'tfjs', b);
  const timing: KernelCaseTiming = { kind: c.kind, label: c.label, work: c.work, oursMs: [], tfjsMs: [] };
  if (ours && tfjs) timing.programs = { ours, tfjs };
  for (let rep = 0; rep < job.reps; rep++) {
    const order: KernelChoice[] = rep % 2 === 0 ? ['ours', 'tfjs'] : ['tfjs', 'ours'];
    for (const choice of order) {
      const ms = await timeOnce(c, choice, timer, b);
      (choice === 'ours' ? timing.oursMs : timing.tfjsMs).push(ms);
    }
  }
  return timing;
}

/**
 * Runs a kernel job on the current backend, which must be WebGPU. `log` gets one line per case; `progress` (if
 * given) the result so far after each case, so that a job stopped by its time limit still leaves what it measured.
 */
export async function timeKernels(
  job: KernelJob,
  adapter: KernelTimingResult['adapter'],
  log: (line: string) => void,
  progress?: (partial: KernelTimingResult) => void,
): Promise<KernelTimingResult> {
  const started = performance.now();
  if (tf.getBackend() !== 'webgpu') throw new Error(`per-kernel timing needs the webgpu backend, not ${tf.getBackend()}`);
  const b = webGpuBackend();
  const timer: KernelTimer = job.timer === 'auto' && b.supportTimestampQuery === true ? 'gpu-timestamps' : 'wall-with-sync';
  const result: KernelTimingResult = { job, backend: tf.getBackend(), adapter, timer, cases: [], errors: [], seconds: 0 };
  const shapes = layerShapes(job.nets); // from the nets' architecture: nothing built
  log(`${job.target} kernels: ${shapes.batchNorm.length} batch-norm and ${shapes.conv.length} convolution shapes, batch ${job.batch}, timer ${timer}`);
  for (const kind of job.kinds) {
    setConvInputProgram(kind === 'convInputGrad' ? 'mm' : null);
    const list =
      kind === 'batchNorm' ? shapes.batchNorm.map((s) => ({ batchNorm: [s], conv: [] })) : shapes.conv.map((s) => ({ batchNorm: [], conv: [s] }));
    // One case at a time: WRN-28-10's largest inputs at batch 128 are 84 MB each, so all of them at once would not do.
    for (const one of list) {
      const before = liveCounts();
      let label = `${kind} ${JSON.stringify(one)}`;
      try {
        const [c] = kernelCases(kind, one, [job.batch]);
        if (!c) continue;
        label = c.label;
        try {
          const t = await timeCase(c, job, timer, b);
          result.cases.push(t);
          const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
          log(`${job.target} ${c.label}: ours ${med(t.oursMs).toFixed(2)} ms, tfjs ${med(t.tfjsMs).toFixed(2)} ms`);
        } finally {
          c.dispose();
        }
        const after = liveCounts();
        if (after.tensors !== before.tensors || after.buffers !== before.buffers) {
          result.errors.push(`${label}: ${after.tensors - before.tensors} tensors and ${after.buffers - before.buffers} buffers left behind`);
        }
      } catch (err) {
        result.errors.push(`${label}: ${messageOf(err)}`);
        log(`${job.target} ${label} FAILED: ${messageOf(err)}`);
      }
      result.seconds = (performance.now() - started) / 1000;
      progress?.(result);
    }
  }
  setConvInputProgram(null);
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
