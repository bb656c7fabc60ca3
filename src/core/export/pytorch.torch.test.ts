/**
 * The PyTorch export against the page's own stack: the generated train.py, run by a Python that imports torch
 * (Debian's python3-torch; see src/node/torchPython.ts), must build the same net (params and MACs of `wrn info`), compute
 * the same first steps from the same weights and batch as the tfjs trainer, and train with DDP (torchrun, gloo, 2
 * ranks on the CPU) into weights tfjs loads and evaluates to the same accuracy.
 * Without torch these tests skip with the reason, except under CI=true, where a missing torch fails. The template
 * and its metrics format (no Python needed) are checked by pytorch.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUpBackend } from '../../node/backend';
import { loadCifarFromPath } from '../../node/localData';
import { localTorchrun } from '../../node/torchPython';
import { needTorch } from '../../../test/fixtures/requirements';
import { saveWeights } from '../weights';
import type { Config } from '../config';
import { RECORD_PIXELS } from '../data/dataset';
import { DATA_DIR, REPO_ROOT } from '../../../test/fixtures/data';
import type { BlockPoint, MetricPoint, StepPoint } from '../metrics';
import { decodeLine, decodeMetricsFile, encodeLine, type MetricsLine } from '../metricsFile';
import { buildWrn } from '../model';
import { Trainer } from '../trainer';
import { toNormalisedImages } from '../augment';
import { decodeConfig } from '../url';
import { exportPytorch } from './pytorch';

const scratch = mkdtempSync(path.join(tmpdir(), 'wrn-pytorch-export-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const torch = await needTorch();

interface Proc {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program; one thread per process (the machine's cores are shared), nothing inherited from a venv. */
function run(cmd: string[], cwd = scratch): Promise<Proc> {
  return new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { cwd, env: { ...process.env, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The metrics lines of a train.py run (its stdout or metrics.jsonl), as the core's reader reads them. */
const metricsLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l, i) => decodeLine(l, `line ${i + 1}`));
const stepsOf = (lines: readonly MetricsLine[]) => lines.filter((l): l is Extract<MetricsLine, { kind: 'step' }> => l.kind === 'step');
const evalsOf = (lines: readonly MetricsLine[]) => lines.filter((l): l is Extract<MetricsLine, { kind: 'eval' }> => l.kind === 'eval');
const blocksOf = (lines: readonly MetricsLine[]) => lines.filter((l): l is Extract<MetricsLine, { kind: 'blocks' }> => l.kind === 'blocks');

/** Writes train.py for a config string into a fresh folder; returns the script's path. */
function exportTo(name: string, configText: string): { dir: string; script: string; config: Config } {
  const { config, corrections } = decodeConfig(configText);
  expect(corrections).toEqual([]);
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const f of exportPytorch(config).files) writeFileSync(path.join(dir, f.name), f.text);
  return { dir, script: path.join(dir, 'train.py'), config };
}

/** A model.json + weights.bin folder, loaded by tfjs as the page loads it (topology and all). */
async function loadSaved(dir: string): Promise<tf.LayersModel> {
  const modelJson = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const bytes = readFileSync(path.join(dir, 'weights.bin'));
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0]!.weights,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    }),
  );
}

/** The first n test images of the shared subset, as records and labels. */
async function testImages(n: number): Promise<{ pixels: Uint8Array; labels: Int32Array }> {
  const load = loadCifarFromPath(DATA_DIR, { train: 1, test: n, subset: 'first' });
  await load.done;
  const pixels = new Uint8Array(n * RECORD_PIXELS);
  const labels = new Int32Array(n);
  load.test.gather(
    Int32Array.from({ length: n }, (_, i) => i),
    pixels,
    labels,
  );
  return { pixels, labels };
}

describe.skipIf(!torch)('train.py against the tfjs stack', () => {
  const python = torch?.python ?? 'python3';

  it('--info equals `wrn info` (params and MACs to the unit) for several nets', async () => {
    const text = 'depth=10&width=1&compare=16-4-0.3,28-10,40-4,16-8,16-1';
    const { script } = exportTo('info', text);
    const [py, cli] = await Promise.all([
      run([python, script, '--info', '--threads', '1']),
      run([path.join(REPO_ROOT, 'node_modules/.bin/tsx'), path.join(REPO_ROOT, 'cli/main.ts'), 'info', text], REPO_ROOT),
    ]);
    expect(py.code, py.stderr).toBe(0);
    expect(cli.code, cli.stderr).toBe(0);
    const ours = JSON.parse(cli.stdout);
    expect(JSON.parse(py.stdout)).toEqual(ours);
    // and they are the paper's counts (WRN-16-4 2.7M, WRN-28-10 36.5M, WRN-40-4 8.9M, WRN-16-8 11.0M)
    expect(ours.params).toBe(77_850);
    expect(ours.compare.map((r: { params: number }) => r.params)).toEqual([2_748_890, 36_479_194, 8_949_210, 10_961_370, 175_066]);
  }, 180_000);

  describe('the same weights and batch', () => {
    beforeAll(async () => {
      expect((await setUpBackend('wasm')).backend).toBe('wasm');
    });

    it('give the same first-step loss (1e-4), and the same next steps, in tfjs and PyTorch', async () => {
      // One batch of 32 real images is the whole subset, so both stacks see the same images every step (in another
      // order, which neither BN nor the mean loss sees); no augmentation, no dropout.
      const text = 'depth=10&width=1&batch=32&train=32&test=200&epochs=3&lr=0.05&schedule=constant&augment=0&seed=3';
      const { script, config } = exportTo('first-step', text);
      const init = path.join(scratch, 'first-step', 'init');
      mkdirSync(init, { recursive: true });
      const model = buildWrn(config, { seed: config.seed }); // the trainer's own initial weights (same seed)
      const saved = await saveWeights(model, 'init');
      model.dispose();
      writeFileSync(path.join(init, 'model.json'), saved.modelJson);
      writeFileSync(path.join(init, 'weights.bin'), Buffer.from(saved.weights));

      const load = loadCifarFromPath(DATA_DIR, { train: config.train, test: config.test, subset: config.subset });
      await load.done;
      const points: MetricPoint[] = [];
      const trainer = new Trainer({
        config,
        train: load.train,
        test: load.test,
        trainImages: load.train.available(),
        readEvery: 1,
        onMetrics: (p) => points.push(...p),
      });
      await trainer.run();
      trainer.dispose();

      const py = await run([python, script, '--init-from', init, '--data', DATA_DIR, '--threads', '1', '--read-every', '1', '--device', 'cpu']);
      expect(py.code, py.stderr).toBe(0);
      const pyLines = metricsLines(py.stdout);
      const tfSteps = points.filter((p): p is StepPoint => p.kind === 'step');
      const pySteps = stepsOf(pyLines);
      expect(pySteps).toHaveLength(3);
      expect(tfSteps).toHaveLength(3);
      const diffs = tfSteps.map((s, i) => Math.abs(s.loss - pySteps[i]!.loss));
      console.info(
        `first-step parity: tfjs losses ${tfSteps.map((s) => s.loss.toFixed(6)).join(', ')}; PyTorch ${pySteps.map((s) => s.loss.toFixed(6)).join(', ')}; |diff| ${diffs.map((d) => d.toExponential(2)).join(', ')}`,
      );
      expect(tfSteps[0]!.loss).toBeGreaterThan(1.5);
      expect(diffs[0]).toBeLessThan(1e-4);
      // After one and two SGD steps (Nesterov momentum, weight decay in the gradient) the losses still agree.
      expect(diffs[1]).toBeLessThan(1e-4);
      expect(diffs[2]).toBeLessThan(1e-4);
      expect(tfSteps[2]!.loss).toBeLessThan(tfSteps[0]!.loss);
      // The evaluations after each step use BN's running statistics: the same update rule in both (biased variance).
      const tfEvals = points.filter((p) => p.kind === 'eval');
      const pyEvals = evalsOf(pyLines);
      expect(pyEvals).toHaveLength(3);
      tfEvals.forEach((e, i) => expect(Math.abs(e.testLoss - pyEvals[i]!.testLoss)).toBeLessThan(1e-3));
    }, 300_000);
  });

  it("train.py's blocks lines: one after every evaluation, and for the same weights equal to the tfjs trainer's (1e-4)", async () => {
    // WRN-10-2: a projection shortcut in every group. Trained in tfjs; its last blocks point is of the saved weights.
    const text = 'depth=10&width=2&batch=16&train=32&test=60&epochs=2&eval=1&probe=50&lr=0.05&seed=2';
    const { script, dir, config } = exportTo('blocks', text);
    expect((await setUpBackend('wasm')).backend).toBe('wasm');
    const load = loadCifarFromPath(DATA_DIR, { train: config.train, test: config.test, subset: config.subset });
    await load.done;
    const points: MetricPoint[] = [];
    const trainer = new Trainer({ config, train: load.train, test: load.test, trainImages: 32, onMetrics: (p) => points.push(...p) });
    await trainer.run();
    const saved = await saveWeights(trainer.model, 'tfjs');
    trainer.dispose();
    const weights = path.join(dir, 'tfjs');
    mkdirSync(weights, { recursive: true });
    writeFileSync(path.join(weights, 'model.json'), saved.modelJson);
    writeFileSync(path.join(weights, 'weights.bin'), Buffer.from(saved.weights));
    const ours = points.filter((p): p is BlockPoint => p.kind === 'blocks').at(-1)!;

    const common = ['--data', DATA_DIR, '--threads', '1', '--device', 'cpu'];
    const py = await run([python, script, ...common, '--init-from', weights, '--eval-only', '--blocks']);
    expect(py.code, py.stderr).toBe(0);
    // the weights' line, read by the core's reader (it checks every field)
    // (its first line is the evaluation's summary, not a metrics line)
    const theirs = blocksOf(metricsLines(py.stdout.split('\n').slice(1).join('\n')))[0]!;
    expect(theirs).toMatchObject({ model: 'WRN-10-2', step: 0, blocks: ours.blocks, layers: ours.layers, probeImages: 50, gradNorm: null });
    const diff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
    console.info(
      `blocks parity: residualRatio ${ours.residualRatio.map((r) => r.toFixed(5)).join(', ')}; max |diff| ${diff(ours.residualRatio, theirs.residualRatio).toExponential(2)}, of the weight norms ${diff(ours.weightNorm, theirs.weightNorm).toExponential(2)}`,
    );
    expect(diff(ours.residualRatio, theirs.residualRatio)).toBeLessThan(1e-4);
    expect(diff(ours.weightNorm, theirs.weightNorm)).toBeLessThan(1e-4);

    // Training, train.py writes a blocks line after every evaluation, with a gradient norm per convolution.
    const trained = await run([python, script, ...common, '--steps', '2']);
    expect(trained.code, trained.stderr).toBe(0);
    const lines = metricsLines(trained.stdout);
    const evals = evalsOf(lines).map((l) => l.step);
    const blocks = blocksOf(lines);
    expect(evals).toEqual([1, 2]);
    expect(blocks.map((b) => b.step)).toEqual(evals);
    for (const b of blocks) {
      expect(b.residualRatio).toHaveLength(3);
      expect(b.gradNorm).toHaveLength(ours.layers.length);
      expect(b.gradNorm!.every((g) => g > 0)).toBe(true);
    }
  }, 300_000);

  it('weights of a wider net with dropout (projection in every group) load in tfjs to the same test loss', async () => {
    const text = 'depth=10&width=2&dropout=0.3&batch=16&train=32&test=100&epochs=1&lr=0.05&seed=4';
    const { script, dir } = exportTo('wide', text);
    const out = path.join(dir, 'run');
    const r = await run([python, script, '--data', DATA_DIR, '--out', out, '--threads', '1', '--device', 'cpu'], dir);
    expect(r.code, r.stderr).toBe(0);
    const final = evalsOf(metricsLines(r.stdout))[0]!;
    await setUpBackend('wasm');
    const model = await loadSaved(path.join(out, 'model'));
    expect(model.layers.filter((l) => l.getClassName() === 'WrnBlockDropout')).toHaveLength(3);
    const { pixels, labels } = await testImages(100);
    const loss = tf.tidy(() => {
      const logits = model.predict(toNormalisedImages(pixels, 100)) as tf.Tensor2D;
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), logits).dataSync()[0]!;
    });
    model.dispose();
    console.info(`WRN-10-2 dropout 0.3: PyTorch test loss ${final.testLoss}, tfjs on its weights ${loss}`);
    expect(Math.abs(loss - final.testLoss)).toBeLessThan(1e-4);

    // Weights of another net: a clear error, no traceback.
    const other = exportTo('other', 'depth=10&width=1');
    const wrong = await run([python, other.script, '--data', DATA_DIR, '--init-from', out, '--eval-only', '--device', 'cpu']);
    expect(wrong.code).toBe(2); // bad input, said in one line
    expect(wrong.stderr).toMatch(
      /^error: .* does not hold this config's WRN-10-1 \(model\.json says "WRN-10-2"\): g1b1_conv1\/kernel has shape \[3, 3, 16, 32\], expected \[3, 3, 16, 16\]/m,
    );
    expect(wrong.stderr).not.toContain('Traceback');
  }, 300_000);

  it('torchrun --nproc_per_node=2 trains with DDP on gloo; its metrics import into the page and tfjs loads its weights', async () => {
    const text = 'depth=10&width=1&batch=32&train=512&test=500&epochs=1&lr=0.05&seed=1';
    const { script, dir } = exportTo('ddp', text);
    const out = path.join(dir, 'run');
    const r = await run([...localTorchrun(torch!, 2), script, '--data', DATA_DIR, '--out', out, '--threads', '1', '--device', 'cpu'], dir);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).toContain('2 process(es)');
    expect(r.stderr).toContain('16 per process on 2');
    // rank 0 alone writes: stdout and metrics.jsonl hold each line once
    const metrics = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8');
    const steps = stepsOf(metricsLines(metrics)); // the reader refuses a loss that is not a finite number
    expect(steps.map((l) => l.step)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    // Each line as the core reads it and writes it back: every field, in the core's order.
    for (const text of metrics.split('\n').filter(Boolean))
      expect(encodeLine(decodeLine(text, text.slice(0, 40)))).toBe(`${JSON.stringify(JSON.parse(text))}\n`);
    const [run0] = decodeMetricsFile(metrics);
    expect(run0!.name).toBe('WRN-10-1');
    expect(run0!.steps).toHaveLength(16);
    expect(run0!.evals).toHaveLength(1);
    const final = run0!.evals[0]!;
    expect(final.testImages).toBe(500);
    expect(final.confusion.reduce((a, b) => a + b, 0)).toBe(500);
    expect(JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')).config.train).toBe(512);

    // The weights load in tfjs (topology and all) and give the same test accuracy on the same images.
    await setUpBackend('wasm');
    const model = await loadSaved(path.join(out, 'model'));
    const { pixels, labels } = await testImages(500);
    const predicted = tf.tidy(() => (model.predict(toNormalisedImages(pixels, 500)) as tf.Tensor).argMax(1).dataSync());
    model.dispose();
    const right = labels.reduce((n, l, i) => n + (predicted[i] === l ? 1 : 0), 0);
    console.info(`DDP run: PyTorch test accuracy ${final.testAccuracy}; the same weights in tfjs ${right / 500}`);
    expect(Math.abs(right / 500 - final.testAccuracy)).toBeLessThanOrEqual(0.002);
  }, 300_000);
});
