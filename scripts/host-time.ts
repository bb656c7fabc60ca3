/**
 * The JS thread's time to encode and submit a training step (the trainer's `hostTime`), and the step's wall time, on
 * WebGPU in Node (Dawn) for each path: the compiled step, tfjs's path with our kernels, tfjs's path with its own.
 * The bench's loops give the same field among many others (minutes per net on an emulated GPU); this is the quick
 * look, one fresh trainer per path, interleaved in turn by net:
 *
 *   npx tsx scripts/host-time.ts [--batch 2] [--steps 5] [--nets 10-1,10-2]
 *
 * Prints one JSON line per net and path. Host time excludes the first step (planning, shader compilation).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG, type Config } from '../src/core/config';
import type { KernelChoice } from '../src/core/kernels/webgpu/install';
import { Trainer } from '../src/core/trainer';
import { parseModel } from '../src/core/url';
import { setUpBackend } from '../src/node/backend';
import { loadCifarFromPath } from '../src/node/localData';
import { DATA_DIR } from '../test/fixtures/data';

const { values } = parseArgs({
  options: { batch: { type: 'string', default: '2' }, steps: { type: 'string', default: '5' }, nets: { type: 'string', default: '10-1,10-2' } },
});
const batch = Number(values.batch);
const steps = Number(values.steps);
const paths: { name: string; engine: Config['engine']; kernels: KernelChoice }[] = [
  { name: 'compiled', engine: 'compiled', kernels: 'ours' },
  { name: 'tfjs, our kernels', engine: 'tfjs', kernels: 'ours' },
  { name: "tfjs, tfjs's kernels", engine: 'tfjs', kernels: 'tfjs' },
];

async function main(): Promise<void> {
  const images = batch * (steps + 1);
  const load = loadCifarFromPath(DATA_DIR, { train: images, test: batch, subset: 'first' });
  await load.done;
  for (const text of values.nets.split(',')) {
    const net = parseModel(text.trim());
    if (!net) throw new Error(`not a net: ${text}`);
    for (const p of paths) {
      const choice = await setUpBackend('webgpu', p.kernels);
      if (choice.backend !== 'webgpu') throw new Error(`no WebGPU here: ${choice.reason}`);
      // two epochs and no evaluation before the end: the timed steps are training steps only
      const config: Config = { ...DEFAULT_CONFIG, ...net, batch, epochs: 2, evalEvery: 1_000_000, train: images, test: batch, probe: 0, engine: p.engine };
      const trainer = new Trainer({ config, train: load.train, test: load.test, trainImages: images, readEvery: 1, onMetrics: () => {} });
      const engine = await trainer.prepare();
      trainer.begin();
      const t0 = performance.now();
      await trainer.advance(1);
      const firstMs = performance.now() - t0;
      const before = trainer.hostTime;
      const t1 = performance.now();
      await trainer.advance(steps);
      const wallMs = (performance.now() - t1) / steps;
      const after = trainer.hostTime;
      trainer.dispose();
      const row = {
        net: `WRN-${net.depth}-${net.width}`,
        path: p.name,
        engine: engine?.engine,
        batch,
        steps: after.steps - before.steps,
        hostMsPerStep: (after.ms - before.ms) / (after.steps - before.steps),
        stepMs: wallMs,
        firstStepMs: firstMs,
      };
      console.log(JSON.stringify(row));
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
