/**
 * Prints the compute dispatches (and queue submits) of one training step on WebGPU, program by program, with our
 * kernels and with tfjs's own, in one process:
 *   npx tsx cli/bench/dispatches.ts [--batch 2] [--json out.json] 16-4 10-1
 * A count, not a time: valid on a loaded machine and on SwiftShader (batch does not change it).
 */
import { writeFileSync } from 'node:fs';
import { initBackend } from '../../src/core/backend';
import { installWebGpuKernels, KERNEL_CHOICES, type KernelChoice } from '../../src/core/kernels/webgpu/install';
import { installNodeWebGpu } from '../gpu';
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
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--batch') batch = Number(args[++i]);
    else if (a === '--json') json = args[++i] ?? null;
    else {
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
  const rows: Row[] = [];
  for (const net of nets) {
    for (const kernels of KERNEL_CHOICES) {
      installWebGpuKernels(kernels);
      const r = await countStepDispatches(net, batch, kernels);
      rows.push({ net: `WRN-${net.depth}-${net.width}`, kernels, batch, ...r });
      console.log(`WRN-${net.depth}-${net.width} batch ${batch}, ${kernels} kernels: ${r.dispatches} dispatches, ${r.submits} submits${r.steady ? '' : ' (steps 2 and 3 differ!)'}`);
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
