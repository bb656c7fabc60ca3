/**
 * Prints the compute dispatches (and queue submits) of one training step on WebGPU, program by program, with our
 * kernels and with tfjs's own, in one process:
 *   npx tsx cli/bench/dispatches.ts [--batch 2] [--json out.json] [--kernels ours|tfjs] [--flag NAME=value] 16-4 10-1
 * --flag sets a tfjs environment flag first (e.g. WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=30,
 * WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE=false), to see what it does to dispatches and submits.
 * A count, not a time: valid on a loaded machine and on SwiftShader (batch does not change it).
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/core/backend';
import { KERNEL_CHOICES, type KernelChoice } from '../../src/core/kernels/webgpu/install';
import { installNodeWebGpu } from '../../src/node/gpu';
import { countStepDispatches, type StepDispatches } from './kernelCount';

interface Row extends StepDispatches {
  net: string;
  kernels: KernelChoice;
  batch: number;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let batch = 2;
  let json: string | null = null;
  const nets: { depth: number; width: number }[] = [];
  let choices: readonly KernelChoice[] = KERNEL_CHOICES;
  const flags: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--batch') batch = Number(args[++i]);
    else if (a === '--json') json = args[++i] ?? null;
    else if (a === '--kernels') {
      const k = args[++i];
      if (k !== 'ours' && k !== 'tfjs') throw new Error('--kernels takes ours or tfjs');
      choices = [k];
    } else if (a === '--flag') {
      const [name, value] = (args[++i] ?? '').split('=');
      if (!name || value === undefined) throw new Error('--flag takes NAME=value');
      flags.push([name, value]);
    } else {
      const m = /^(\d+)-(\d+)$/.exec(a);
      if (!m) throw new Error(`not a net (depth-width): ${a}`);
      nets.push({ depth: Number(m[1]), width: Number(m[2]) });
    }
  }
  if (!nets.length) nets.push({ depth: 16, width: 4 });
  if (!(batch >= 1)) throw new Error('--batch needs a whole number >= 1');
  const gpu = await installNodeWebGpu();
  if (!gpu.webgpu) throw new Error(gpu.error ?? 'no WebGPU in this Node');
  const choice = await initBackend('webgpu');
  if (choice.backend !== 'webgpu') throw new Error(`webgpu did not start: ${choice.tried.map((t) => t.error).join('; ')}`);
  for (const [name, value] of flags) {
    tf.env().set(name, value === 'true' ? true : value === 'false' ? false : Number.isNaN(Number(value)) ? value : Number(value));
    console.log(`flag ${name} = ${String(tf.env().get(name))}`);
  }
  const rows: Row[] = [];
  for (const net of nets) {
    for (const kernels of choices) {
      const r = await countStepDispatches(net, batch, kernels);
      rows.push({ net: `WRN-${net.depth}-${net.width}`, kernels, batch, ...r });
      console.log(
        `WRN-${net.depth}-${net.width} batch ${batch}, ${kernels} kernels: ${r.dispatches} dispatches, ${r.submits} submits${r.steady ? '' : ' (steps 2 and 3 differ!)'}`,
      );
      for (const [k, v] of Object.entries(r.byProgram).sort((a, b) => b[1] - a[1])) console.log(`  ${String(v).padStart(5)} ${k}`);
    }
  }
  if (json) writeFileSync(json, JSON.stringify(rows, null, 2));
}

main().then(
  () => process.exit(0), // Dawn's device can keep the event loop alive
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
