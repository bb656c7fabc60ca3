/**
 * Measures one net on the current tfjs backend, part by part: the compared training loops (loops.ts: the app's
 * trainer against a bare `model.trainOnBatch` loop, dropout, host <-> device traffic), WebGPU's dispatches per step
 * (kernelCount.ts), the input pipeline alone (pipeline.ts), the dropout mask's cost and checksum (maskCost.ts), one
 * small kernel's latency (opLatency.ts) and a kernel profile (profile.ts).
 *
 * Runs unchanged in Node and in a browser worker: the caller has already chosen and initialised the backend. Every
 * part catches its own failure into `errors`, so one broken part (say, a kernel a backend lacks) leaves the rest.
 */
import * as tf from '@tensorflow/tfjs';
import { netName } from '../../src/core/config';
import { messageOf } from '../../src/core/errors';
import { buildWrn, countTrainable } from '../../src/core/model';
import { canCountDispatches } from '../../src/core/kernels/webgpu/dispatchCount';
import { installWebGpuKernels, type KernelChoice } from '../../src/core/kernels/webgpu/install';
import { countKernels } from './kernelCount';
import { interleavedLoops } from './loops';
import { maskChecksum, maskCost } from './maskCost';
import { smallOpMs } from './opLatency';
import { timePipeline } from './pipeline';
import { measureBlocksOverhead } from './blocks';
import { profileCompiledStep, profileStep } from './profile';
import type { NetJob, NetResult } from './types';

/**
 * Runs every part of a job on the current backend. `log` gets one line per finished part. On WebGPU the timed loops
 * run `webgpuKernels` (the Node jobs': WRN_KERNELS, ours by default; the browser's: ours).
 */
export async function measureNet(
  job: NetJob,
  adapter: NetResult['adapter'],
  log: (line: string) => void,
  webgpuKernels: KernelChoice = 'ours',
): Promise<NetResult> {
  const started = performance.now();
  const net = netName(job);
  const probe = buildWrn({ depth: job.depth, width: job.width, dropout: 0 }, { seed: job.seed });
  const params = countTrainable(probe);
  probe.dispose();
  const result: NetResult = { job, net, params, backend: tf.getBackend(), adapter, errors: [], seconds: 0 };
  const part = async <T>(name: string, f: () => Promise<T>): Promise<T | undefined> => {
    const t = performance.now();
    try {
      const value = await f();
      log(`${job.target} ${net} ${name}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
      return value;
    } catch (err) {
      result.errors.push(`${name}: ${messageOf(err)}`);
      log(`${job.target} ${net} ${name} FAILED: ${messageOf(err)}`);
      return undefined;
    }
  };

  // A part that failed leaves its field out (its error is listed), as JSON would drop an undefined one anyway.
  const checksum = await part('mask checksum', maskChecksum);
  if (checksum !== undefined) result.maskChecksum = checksum;
  const smallOp = await part('small-op cost', () => smallOpMs());
  if (smallOp !== undefined) result.smallOpMs = smallOp;

  // The compared loops, interleaved. The trainer goes first: in a fresh process/worker its first step is the cold
  // start a user sees (kernel and shader compilation); the others' first steps reuse what it compiled.
  // WebGPU: the timed loops run the kernels asked for, and with ours a trainer with tfjs's kernels takes its turns
  // among them.
  const webgpu = tf.getBackend() === 'webgpu';
  const kernels = webgpu ? webgpuKernels : undefined;
  if (kernels) result.kernels = kernels;
  await part('interleaved loops', () => interleavedLoops(job, kernels, result));

  if (webgpu && canCountDispatches()) {
    const counted = await part('dispatches per step', () => countKernels(job));
    if (counted) result.kernelsPerStep = counted;
  }

  if (result.trainer) {
    const stepMs = result.trainer.stepMs;
    const blocks = await part('blocks overhead', () => measureBlocksOverhead(job, stepMs));
    if (blocks) result.blocksOverhead = blocks;
  }
  if (result.trainer) {
    const consumed = result.trainer.imagesPerSec;
    const pipeline = await part('pipeline', () => timePipeline(job, consumed));
    if (pipeline) result.pipeline = pipeline;
  }
  const masks = job.maskCost && job.dropout > 0 ? await part('mask cost', () => maskCost(job.dropout)) : undefined;
  if (masks) result.maskCost = masks;
  if (job.profile) {
    // The trainer's own step; on WebGPU with the row's kernel set, and with ours also with tfjs's, then the row's back.
    const profile = await part('profile', () => profileStep(job, kernels));
    if (profile) result.profile = profile;
    if (kernels === 'ours') {
      const theirs = await part('profile with tfjs kernels', () => profileStep(job, 'tfjs'));
      if (theirs) result.profileTfjs = theirs;
    }
    if (webgpu) {
      const compiled = await part('profile of the compiled step', () => profileCompiledStep(job));
      if (compiled) result.profileCompiled = compiled;
    }
    if (kernels) installWebGpuKernels(kernels);
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
