/**
 * The worker's message handling in Node, on tfjs's WASM backend (with our conv-gradient kernels: the fast CPU path)
 * and a few real CIFAR-10 records: the order and
 * content of the messages, stale-run dropping, failures that leave the worker usable, and freed memory.
 * (The same host in a real browser worker on WebGPU: e2e/worker.spec.ts.)
 */
import { describe, expect, it } from 'vitest';
import { initBackend } from '../core/backend';
import { DEFAULT_CONFIG, type Config } from '../core/config';
import { RECORD_BYTES } from '../core/data/dataset';
import { sharedBytes } from '../../test/fixtures/data';
import { WorkerHost } from './host';
import type { CloneableSource } from '../core/data/sources';
import type { FromWorker } from './protocol';

/**
 * A host whose messages are recorded; `until` resolves when a message matching `done` has been posted. `setUps`
 * lists the backend set-ups it asked for, as `pref/kernels`.
 */
function makeHost() {
  const messages: FromWorker[] = [];
  const setUps: string[] = [];
  const waiters: { done: (m: FromWorker) => boolean; resolve: () => void }[] = [];
  const host = new WorkerHost({
    post: (msg) => {
      messages.push(msg);
      for (const w of waiters.filter((w) => w.done(msg))) w.resolve();
    },
    // No WebGPU probe in Node: the plan is WASM first, then CPU.
    initBackend: (pref, kernels) => {
      setUps.push(`${pref}/${kernels}`);
      return initBackend(pref, { probe: null, kernels });
    },
  });
  const until = (done: (m: FromWorker) => boolean) =>
    new Promise<void>((resolve) => {
      if (messages.some(done)) resolve();
      else waiters.push({ done, resolve });
    });
  return { host, messages, setUps, until };
}

/** The first `n` records of each shared subset, as the files a person would pick. */
function files(trainRecords: number, testRecords: number): CloneableSource {
  const take = (name: 'train_subset.bin' | 'test_subset.bin', n: number) => sharedBytes(name).slice(0, n * RECORD_BYTES);
  return {
    kind: 'files',
    files: [new File([take('train_subset.bin', trainRecords)], 'data_batch_1.bin'), new File([take('test_subset.bin', testRecords)], 'test_batch.bin')],
  };
}

const tiny: Config = { ...DEFAULT_CONFIG, depth: 10, width: 1, batch: 2, epochs: 1, train: 4, test: 4, lr: 0.05, schedule: 'constant', backend: 'wasm' };

const ended = (runId: number) => (m: FromWorker) => m.type === 'runEnded' && m.runId === runId;

describe('WorkerHost', () => {
  it('runs a config end to end: data, samples, model, metrics, summary, weights; tensors freed', async () => {
    const { host, messages, until } = makeHost();
    host.handle({ type: 'init', backend: 'wasm' });
    await until((m) => m.type === 'backend');
    const baseline = host.memory().numTensors;

    host.handle({ type: 'start', runId: 7, config: tiny, source: files(4, 4) });
    host.handle({ type: 'pause', runId: 6 }); // not the current run: dropped
    await until(ended(7));

    // 'data' messages come whenever the loader has news, interleaved with the rest.
    expect(messages[0]).toMatchObject({ type: 'backend', info: { backend: 'wasm' } });
    const types = messages
      .map((m) => m.type)
      .filter((t) => t !== 'data')
      .filter((t, i, all) => t !== all[i - 1]);
    expect(types).toEqual(['backend', 'state', 'samples', 'modelStarted', 'state', 'metrics', 'modelEnded', 'runEnded']);
    const data = messages.flatMap((m) => (m.type === 'data' ? [m.progress] : []));
    expect(data.at(-1)).toMatchObject({ done: true, trainRecords: 4, testRecords: 4, trainTarget: 4, testTarget: 4 });
    expect(messages.filter((m) => m.type === 'state').map((m) => m.type === 'state' && m.state)).toEqual(['loading', 'running']);
    const samples = messages.find((m) => m.type === 'samples');
    expect(samples?.type === 'samples' && samples.samples.labels.length).toBe(4);
    expect(messages.find((m) => m.type === 'modelStarted')).toMatchObject({ name: 'WRN-10-1', totalSteps: 2, batch: 2, stepsPerEpoch: 2 });
    const points = messages.flatMap((m) => (m.type === 'metrics' ? m.points : []));
    expect(points.map((p) => `${p.kind}${p.step}`)).toEqual(['step1', 'step2', 'eval2', 'blocks2']);
    expect(messages.find((m) => m.type === 'modelEnded')).toMatchObject({ summary: { status: 'finished', steps: 2 } });
    expect(messages.at(-1)).toEqual({ type: 'runEnded', runId: 7, status: 'finished' });
    expect(messages.some((m) => m.type === 'error')).toBe(false);
    expect(host.memory().numTensors).toBe(baseline);

    host.handle({ type: 'exportWeights', runId: 7, model: 0 });
    const weights = messages.at(-1);
    expect(weights).toMatchObject({ type: 'weights', runId: 7, model: 0, name: 'WRN-10-1' });
    if (weights?.type !== 'weights') throw new Error('no weights');
    const manifest = (JSON.parse(weights.modelJson) as { weightsManifest: { paths: string[] }[] }).weightsManifest;
    expect(manifest[0]?.paths).toEqual(['weights.bin']);
    expect(weights.weights.byteLength).toBeGreaterThan(78_000 * 4);
  });

  it("looks inside an ended model's weights after the run: lesions with progress, feature maps, cancel; tensors freed", async () => {
    const { host, messages, until } = makeHost();
    host.handle({ type: 'start', runId: 3, config: { ...tiny, test: 6 }, source: files(4, 6) });
    await until(ended(3));
    const baseline = host.memory().numTensors;
    const target = { config: { ...tiny, test: 6 }, source: files(4, 6), weights: { kind: 'run' as const, runId: 3, model: 0 } };
    host.handle({ type: 'inspect', jobId: 1, ...target, task: { kind: 'lesion', draws: 2, seed: 0 } });
    const pixels = new Uint8Array(3072).map((_, i) => i % 251);
    host.handle({ type: 'inspect', jobId: 2, ...target, task: { kind: 'features', pixels } });
    await until((m) => m.type === 'inspectEnded' && m.jobId === 2);
    const of = (jobId: number) => messages.filter((m) => 'jobId' in m && m.jobId === jobId);
    const lesion = of(1);
    expect(lesion.at(-1)).toEqual({ type: 'inspectEnded', jobId: 1, status: 'finished', message: null });
    const progress = lesion.flatMap((m) => (m.type === 'inspectProgress' ? [[m.done, m.total]] : []));
    expect(progress[0]).toEqual([0, 7]); // intact, 3 blocks, then k = 2 (3 sets of 2: 2 drawn) and k = 3
    expect(progress.at(-1)).toEqual([7, 7]);
    const result = lesion.find((m) => m.type === 'lesion');
    expect(result?.type === 'lesion' && result.result).toMatchObject({ model: 'WRN-10-1', testImages: 6 });
    expect(result?.type === 'lesion' && result.result.blocks.map((b) => b.block)).toEqual(['g1b1', 'g2b1', 'g3b1']);
    const features = of(2).find((m) => m.type === 'features');
    expect(features?.type === 'features' && features.groups.map((g) => [g.size, g.maps.length])).toEqual([
      [32, 16],
      [16, 16],
      [8, 16],
    ]);
    expect(host.memory().numTensors).toBe(baseline);

    // cancelled while queued behind a run, or at once; a model the worker no longer holds fails with a reason
    host.handle({ type: 'inspect', jobId: 3, ...target, task: { kind: 'lesion', draws: 2, seed: 0 } });
    host.handle({ type: 'cancelInspect', jobId: 3 });
    await until((m) => m.type === 'inspectEnded' && m.jobId === 3);
    expect(of(3).at(-1)).toMatchObject({ status: 'cancelled' });
    host.handle({ type: 'inspect', jobId: 4, ...target, weights: { kind: 'run', runId: 2, model: 0 }, task: { kind: 'features', pixels } });
    expect(of(4)).toEqual([{ type: 'inspectEnded', jobId: 4, status: 'failed', message: expect.stringMatching(/no longer holds/) }]);
    expect(host.memory().numTensors).toBe(baseline);
  });

  it('pause holds the trainer between steps; resume goes on from the next step at the new learning rate', async () => {
    const { host, messages, until } = makeHost();
    host.handle({ type: 'start', runId: 1, config: { ...tiny, train: 16, test: 2 }, source: files(16, 2) });
    await until((m) => m.type === 'metrics');
    host.handle({ type: 'pause', runId: 1 });
    await until((m) => m.type === 'state' && m.state === 'paused');
    // The step under way ends and is reported; then the trainer waits.
    const lastReported = () =>
      messages
        .flatMap((m) => (m.type === 'metrics' ? m.points : []))
        .filter((p) => p.kind === 'step')
        .at(-1)?.step;
    while (lastReported() !== host.runStatus()?.step) await new Promise((r) => setTimeout(r, 20));
    const pausedAt = host.runStatus()?.step;
    // Pausing saves a checkpoint of the step it paused at (after its metrics), then nothing more comes.
    await until((m) => m.type === 'checkpoint');
    expect(messages.filter((m) => m.type === 'checkpoint').map((m) => m.type === 'checkpoint' && m.checkpoint.step)).toEqual([pausedAt]);
    const reported = messages.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(host.runStatus()?.step).toBe(pausedAt);
    expect(messages.length).toBe(reported);
    expect(pausedAt).toBeLessThan(8);

    host.handle({ type: 'setLearningRate', runId: 1, lr: 0.01 });
    host.handle({ type: 'resume', runId: 1 });
    await until(ended(1));
    const steps = messages.flatMap((m) => (m.type === 'metrics' ? m.points : [])).filter((p) => p.kind === 'step');
    expect(steps.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(steps.map((p) => p.lr)).toEqual(steps.map((p) => (p.step <= pausedAt! ? 0.05 : 0.01)));
    expect(messages.at(-1)).toEqual({ type: 'runEnded', runId: 1, status: 'finished' });
  });

  it('posts checkpoints at evaluations; a start with resumeFrom goes on from one to the same losses', async () => {
    const { host, messages, until } = makeHost();
    const config: Config = { ...tiny, train: 16, test: 2, evalEvery: 4, dropout: 0.3, augment: true };
    host.handle({ type: 'start', runId: 1, config, source: files(16, 2) });
    await until(ended(1));
    const checkpoints = messages.flatMap((m) => (m.type === 'checkpoint' && m.runId === 1 ? [m.checkpoint] : []));
    // The checkpoint follows its step's evaluation, after the metrics up to it.
    const types = messages.filter((m) => 'runId' in m && m.runId === 1).map((m) => m.type);
    expect(types.indexOf('checkpoint')).toBeGreaterThan(types.indexOf('metrics'));
    expect(checkpoints.map((c) => c.step)).toEqual([4]); // step 8 is the end: its weights come as the model's, not a checkpoint
    const losses = (runId: number) =>
      messages.flatMap((m) => (m.type === 'metrics' && m.runId === runId ? m.points : [])).flatMap((p) => (p.kind === 'step' ? [[p.step, p.loss]] : []));

    const baseline = host.memory().numTensors;
    host.handle({ type: 'start', runId: 2, config, source: files(16, 2), resumeFrom: checkpoints[0]! });
    await until(ended(2));
    expect(host.memory().numTensors).toBe(baseline); // the restored weights and momentum buffers were freed with the model
    expect(messages.at(-1)).toEqual({ type: 'runEnded', runId: 2, status: 'finished' });
    expect(losses(2)).toEqual(losses(1).slice(4));
  });

  it('reports bad data as bad-data and stays usable; stops a run before it trains', async () => {
    const { host, messages, until } = makeHost();
    const broken: CloneableSource = {
      kind: 'files',
      files: [new File([new Uint8Array(100)], 'data_batch_1.bin'), new File([new Uint8Array(100)], 'test_batch.bin')],
    };
    host.handle({ type: 'start', runId: 1, config: tiny, source: broken });
    await until(ended(1));
    expect(messages.find((m) => m.type === 'error')).toMatchObject({ runId: 1, code: 'bad-data' });
    expect(messages.at(-1)).toEqual({ type: 'runEnded', runId: 1, status: 'failed' });

    host.handle({ type: 'start', runId: 2, config: tiny, source: files(4, 4) });
    host.handle({ type: 'stop', runId: 2 });
    await until(ended(2));
    const run2 = messages.filter((m) => 'runId' in m && m.runId === 2);
    expect(run2.map((m) => m.type)).toEqual(['state', 'runEnded']);
    expect(run2.at(-1)).toEqual({ type: 'runEnded', runId: 2, status: 'stopped' });
  });

  it('refuses a net too big for its backend before any data moves, says why, and tells the page what the backend holds', async () => {
    const { host, messages, until } = makeHost();
    host.handle({ type: 'init', backend: 'wasm' });
    await until((m) => m.type === 'backend');
    expect(messages[0]).toMatchObject({ type: 'backend', info: { backend: 'wasm', memory: { kind: 'total', bytes: 4 * 2 ** 30 } } });
    host.handle({ type: 'start', runId: 1, config: { ...tiny, depth: 100, width: 16, batch: 512, train: 2000 }, source: files(4, 4) });
    await until(ended(1));
    const run = messages.filter((m) => 'runId' in m && m.runId === 1);
    expect(run.map((m) => m.type)).toEqual(['state', 'error', 'runEnded']); // no 'data': nothing was read
    expect(run[1]).toMatchObject({
      code: 'out-of-memory',
      message: expect.stringMatching(/^WRN-100-16 at batch 512 needs about \d+ GiB to train .* more than the WASM backend's 4 GiB memory/),
    });
  });

  it("sets the backend up again when a run's config asks for other WebGPU kernels, and only then", async () => {
    const { host, setUps, until } = makeHost();
    host.handle({ type: 'init', backend: 'wasm' });
    host.handle({ type: 'start', runId: 1, config: tiny, source: files(4, 4) });
    await until(ended(1));
    host.handle({ type: 'start', runId: 2, config: { ...tiny, kernels: 'tfjs' }, source: files(4, 4) });
    await until(ended(2));
    host.handle({ type: 'start', runId: 3, config: { ...tiny, kernels: 'tfjs' }, source: files(4, 4) });
    await until(ended(3));
    expect(setUps).toEqual(['wasm/ours', 'wasm/tfjs']);
  }, 120_000);

  it('a new start supersedes the current run: nothing more is heard of the old one', async () => {
    const { host, messages, until } = makeHost();
    host.handle({ type: 'start', runId: 1, config: tiny, source: files(4, 4) });
    host.handle({ type: 'start', runId: 2, config: { ...tiny, depth: 11 }, source: files(4, 4) });
    await until(ended(2));
    expect(messages.filter((m) => 'runId' in m && m.runId === 1)).toEqual([]);
    expect(messages.find((m) => m.type === 'error')).toMatchObject({ runId: 2, code: 'bad-config', message: expect.stringMatching(/depth/) });
  });

  it("evaluates a trained model's weights as a run that trains nothing, and refuses files that are not a model", async () => {
    const { host, messages, until } = makeHost();
    host.handle({ type: 'start', runId: 1, config: { ...tiny, train: 8, batch: 4, epochs: 2, test: 20 }, source: files(8, 20) });
    await until(ended(1));
    host.handle({ type: 'exportWeights', runId: 1, model: 0 });
    const w = messages.at(-1);
    if (w?.type !== 'weights') throw new Error('no weights');
    const trained = messages.find((m) => m.type === 'modelEnded');
    if (trained?.type !== 'modelEnded') throw new Error('no summary');
    const baseline = host.memory().numTensors;

    host.handle({
      type: 'evaluate',
      runId: 2,
      config: { ...tiny, test: 20 },
      source: files(1, 20),
      weights: { name: 'WRN-10-1', modelJson: w.modelJson, weights: w.weights },
    });
    await until(ended(2));
    const mine = messages.filter((m) => 'runId' in m && m.runId === 2 && m.type !== 'data');
    expect(mine.map((m) => m.type)).toEqual(['state', 'samples', 'modelStarted', 'state', 'metrics', 'modelEnded', 'runEnded']);
    expect(mine.find((m) => m.type === 'modelStarted')).toMatchObject({ name: 'WRN-10-1', params: 77850, totalSteps: 0 });
    const ev = mine.find((m) => m.type === 'modelEnded');
    if (ev?.type !== 'modelEnded') throw new Error('no evaluation');
    // the same weights on the same 20 test images: the trained run's own final evaluation, prediction for prediction
    expect(ev.summary.finalEval).toMatchObject({
      testImages: 20,
      testAccuracy: trained.summary.finalEval!.testAccuracy,
      confusion: trained.summary.finalEval!.confusion,
    });
    expect([...ev.summary.predictions!]).toEqual([...trained.summary.predictions!]);
    expect(host.memory().numTensors).toBe(baseline);

    host.handle({
      type: 'evaluate',
      runId: 3,
      config: tiny,
      source: files(1, 4),
      weights: { name: 'x', modelJson: w.modelJson, weights: new ArrayBuffer(8) },
    });
    await until(ended(3));
    expect(messages.find((m) => m.type === 'error' && m.runId === 3)).toMatchObject({
      code: 'bad-data',
      message: expect.stringMatching(/weights.bin has 8 bytes/),
    });
    expect(messages.at(-1)).toEqual({ type: 'runEnded', runId: 3, status: 'failed' });
  }, 120_000);

  it('measureSpeed times every net of the config on its backend, in the queue, and frees what it built', async () => {
    const { host, messages, until } = makeHost();
    host.handle({ type: 'init', backend: 'wasm' });
    await until((m) => m.type === 'backend');
    const baseline = host.memory().numTensors;
    host.handle({ type: 'measureSpeed', probeId: 3, config: { ...tiny, compare: [{ depth: 10, width: 2, dropout: 0 }] } });
    await until((m) => m.type === 'speed');
    const answer = messages.find((m) => m.type === 'speed');
    expect(answer).toMatchObject({ type: 'speed', probeId: 3, error: null });
    const speeds = answer?.type === 'speed' ? answer.speeds : [];
    expect(speeds.map((s) => [s.model.width, s.batch])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    for (const s of speeds) expect(s.imagesPerSec).toBeGreaterThan(0);
    expect(host.memory().numTensors).toBe(baseline);
  });

  it('a probe that cannot run answers with its error, and the worker goes on', async () => {
    const { host, messages, until } = makeHost();
    host.handle({ type: 'measureSpeed', probeId: 1, config: { ...tiny, depth: 11 } }); // not a WRN depth: the builder refuses
    await until((m) => m.type === 'speed');
    expect(messages.find((m) => m.type === 'speed')).toMatchObject({ probeId: 1, speeds: [], error: expect.stringMatching(/depth/) });
  });
});
