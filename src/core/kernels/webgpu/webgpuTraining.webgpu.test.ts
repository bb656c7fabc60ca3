/**
 * A whole WRN on WebGPU in Node (Dawn; SwiftShader without a GPU) with our kernels (kernels/webgpu) against tfjs's own
 * kernels, and against WASM: the gradients of WRN-10-1, and 4 seeded training steps on real CIFAR-10 images.
 * Slow on an emulated GPU (minutes): a step of WRN-10-1 takes seconds there. Needs WebGPU in Node: without it these
 * tests skip and say so, except under CI=true, where they fail.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { setUpBackend } from '../../../node/backend';
import { loadCifarFromPath } from '../../../node/localData';
import { DATA_DIR } from '../../../../test/fixtures/data';
import { DEFAULT_CONFIG, type Config } from '../../config';
import type { StepPoint } from '../../metrics';
import { Trainer } from '../../trainer';
import { installWebGpuKernels, webGpuKernelsActive } from './install';
import { liveCounts } from '../../../../test/fixtures/kernelCases';
import { needNodeWebGpu } from '../../../../test/fixtures/requirements';
import { compareWrnGradients } from '../../../../test/fixtures/wrnGradients';

const gpu = await needNodeWebGpu();

afterAll(() => {
  installWebGpuKernels('ours');
});

describe.skipIf(!gpu)('WRN-10-1 with our WebGPU kernels', () => {
  it('WRN-10-1: every weight gradient with our kernels equals tfjs-kernels within 1e-4', async () => {
    const before = liveCounts();
    const g = await compareWrnGradients(10, 1, 3);
    // the stem conv; per block two BN (gamma, beta) and two convs; two projection shortcuts; the head's BN and dense
    expect(Object.keys(g.errors)).toHaveLength(1 + 3 * 6 + 2 + 2 + 2);
    expect(g.lossOurs).toBeGreaterThan(1); // an untrained net on 10 classes
    expect(Math.abs(g.lossOurs - g.lossTfjs) / g.lossTfjs).toBeLessThan(1e-5);
    for (const [name, e] of Object.entries(g.errors)) expect(e, name).toBeLessThan(1e-4);
    expect(liveCounts()).toEqual(before);
  }, 600_000);
});

/**
 * Steps of the same batch of 4 images: enough for momentum to build up over several in-place updates, and for the loss
 * to fall below a quarter of the untrained one (3.02, 2.16, 1.28, 0.67: the same to 4 digits on all three paths); a
 * step takes seconds on SwiftShader.
 */
const STEPS = 4;

describe.skipIf(!gpu)('training on real images', () => {
  const config: Config = {
    ...DEFAULT_CONFIG,
    depth: 10,
    width: 1,
    dropout: 0,
    batch: 4,
    epochs: STEPS,
    lr: 0.05,
    schedule: 'constant',
    augment: false,
    train: 4,
    test: 4,
    seed: 4,
    engine: 'tfjs', // tfjs's path: these tests are about its kernels (the compiled step has its own tests)
  };

  async function losses(backend: 'webgpu' | 'wasm', kernels: 'ours' | 'tfjs'): Promise<number[]> {
    // the kernel choice is the backend set-up's (as a run's config gives it), not the trainer's
    expect((await setUpBackend(backend, kernels)).backend).toBe(backend);
    expect(webGpuKernelsActive()).toBe(backend === 'webgpu' && kernels === 'ours');
    const load = loadCifarFromPath(DATA_DIR, { train: 4, test: 4, subset: 'first' });
    await load.done;
    const steps: StepPoint[] = [];
    const trainer = new Trainer({
      config,
      train: load.train,
      test: load.test,
      trainImages: 4,
      readEvery: 3, // read back twice: the losses in between come from the device's queue
      onMetrics: (p) => steps.push(...p.filter((q): q is StepPoint => q.kind === 'step')),
    });
    await trainer.run();
    trainer.dispose();
    return steps.map((s) => s.loss);
  }

  it(`${STEPS} seeded steps: our kernels give the losses of tfjs-kernels within 1e-3, and learn as WASM does`, async () => {
    const ours = await losses('webgpu', 'ours');
    const theirs = await losses('webgpu', 'tfjs');
    const wasm = await losses('wasm', 'ours');
    console.log(
      `losses, ours: ${ours.map((l) => l.toFixed(4)).join(' ')}\n tfjs: ${theirs.map((l) => l.toFixed(4)).join(' ')}\n wasm: ${wasm.map((l) => l.toFixed(4)).join(' ')}`,
    );
    expect(ours).toHaveLength(STEPS);
    for (let i = 0; i < STEPS; i++) expect(Math.abs(ours[i]! - theirs[i]!) / theirs[i]!, `step ${i + 1}`).toBeLessThan(1e-3);
    // learning: the same batch again and again; both fall far below the untrained loss (about ln 10)
    const last = STEPS - 1;
    for (const run of [ours, wasm]) {
      expect(run[0]!).toBeGreaterThan(1.8);
      expect(run[last]!).toBeLessThan(0.25 * run[0]!);
    }
    expect(Math.abs(ours[last]! - wasm[last]!) / wasm[last]!).toBeLessThan(0.1);
  }, 1_200_000);

  it("a checkpoint carries the fused optimizer's momentum buffers, and a restored trainer has them", async () => {
    expect((await setUpBackend('webgpu')).backend).toBe('webgpu');
    const load = loadCifarFromPath(DATA_DIR, { train: 4, test: 4, subset: 'first' });
    await load.done;
    const make = () => new Trainer({ config: { ...config, epochs: 4 }, train: load.train, test: load.test, trainImages: 4 });
    const a = make();
    expect(webGpuKernelsActive()).toBe(true);
    a.begin();
    await a.advance(2);
    const saved = await a.snapshot();
    expect(saved.optimizer).toHaveLength(a.model.trainableWeights.length);
    expect(saved.optimizer.some((b) => b.data.some((v) => v !== 0))).toBe(true); // two steps of momentum
    // a step after a checkpoint shows in the next one (the in-place update must not leave a stale host copy behind)
    await a.advance(1);
    const later = await a.snapshot();
    const differs = (x: { data: ArrayLike<number> }[], y: { data: ArrayLike<number> }[]) =>
      x.some((t, i) => Array.from(t.data).some((v, j) => v !== y[i]!.data[j]));
    expect(differs(later.weights, saved.weights)).toBe(true);
    expect(differs(later.optimizer, saved.optimizer)).toBe(true);
    const b = make();
    await b.restore(saved);
    const again = await b.snapshot();
    expect(again.optimizer.map((o) => Array.from(o.data))).toEqual(saved.optimizer.map((o) => Array.from(o.data)));
    a.dispose();
    b.dispose();
  }, 600_000);
});
