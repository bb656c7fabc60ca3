/**
 * One benchmark job in a fresh Node process (so that each net's first step is a cold start):
 *   node --import tsx cli/bench/nodeJob.ts '<NetJob or KernelJob JSON>' <result file>
 * Progress lines go to stderr; the NetResult (or, for a KernelJob, the KernelTimingResult) is written as JSON to the
 * result file.
 */
import { renameSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/core/backend';
import { activeGpuDevice, DeviceWatch } from '../../src/core/deviceWatch';
import { installNodeWebGpu } from '../../src/node/gpu';
import { cliKernels } from '../kernelsEnv';
import { describeActiveBackend } from './adapter';
import { timeKernels } from './kernelTiming';
import { measureNet } from './measure';
import { backendOf, type KernelJob, type KernelTimingResult, type NetJob, type NetResult } from './types';

async function main(): Promise<void> {
  const [jobJson, outFile] = process.argv.slice(2);
  if (!jobJson || !outFile) throw new Error('usage: nodeJob.ts <job JSON> <result file>');
  const job = JSON.parse(jobJson) as NetJob | KernelJob;
  const wanted = backendOf(job.target);
  if (wanted === 'webgpu') {
    const gpu = await installNodeWebGpu();
    if (!gpu.webgpu) throw new Error(gpu.error ?? 'no WebGPU in this Node');
  }
  const kernels = cliKernels();
  const choice = await initBackend(wanted, { kernels });
  // initBackend falls back to another backend when the one asked for fails; a benchmark row must not.
  if (choice.backend !== wanted) throw new Error(`${wanted} did not start: ${choice.tried.map((t) => t.error).join('; ')}`);
  const adapter = await describeActiveBackend();
  // A WebGPU validation error (an invalid shader, a buffer past a limit) is only an event: timings taken after one
  // measure broken work, so the result carries it as an error.
  const device = activeGpuDevice();
  const deviceErrors: string[] = [];
  if (device) new DeviceWatch(device).subscribe((failure) => deviceErrors.push(failure.message));
  const log = (line: string) => process.stderr.write(`  ${line}\n`);
  // A kernel job writes its result after every case (whole or not at all: the process may be killed at any moment),
  // so that one stopped by its time limit still leaves what it measured.
  const partial = (r: KernelTimingResult) => {
    writeFileSync(`${outFile}.part`, JSON.stringify(r));
    renameSync(`${outFile}.part`, outFile);
  };
  const result: NetResult | KernelTimingResult =
    'kind' in job && job.kind === 'kernels' ? await timeKernels(job, adapter, log, partial) : await measureNet(job as NetJob, adapter, log, kernels);
  result.errors.push(...deviceErrors.slice(0, 3).map((m) => `device: ${m}`));
  writeFileSync(outFile, JSON.stringify(result));
  tf.disposeVariables();
}

main().then(
  // Exit explicitly: Dawn's device can keep the event loop alive after the work is done.
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
