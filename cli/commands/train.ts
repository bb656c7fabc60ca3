/**
 * `train '<config>' [--data <dir|file>] [--steps N] [--out <dir>] [--backend B]`: the page's trainer, headless.
 *
 * stdout: one JSON object per metrics point (JSON Lines), each with the model's name; a final `summary` line.
 * stderr: the resolved config, the backend and why, and a progress bar when stderr is a terminal.
 * --out: writes config.json at the start, appends metrics.jsonl as points arrive (so Ctrl-C keeps them), and
 * writes each model's weights (tfjs format: model.json + weights.bin) and summary.json at the end or at a stop.
 * Ctrl-C stops after the current step and still writes what was trained; a second Ctrl-C quits at once.
 * Exit codes: 0 done (or stopped by Ctrl-C), 1 bad data or a training failure, 2 bad usage or config.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, modelName, modelsOf, type BackendPreference } from '../../src/core/config';
import { wrnCost } from '../../src/core/cost';
import type { MetricPoint, RunSummary } from '../../src/core/metrics';
import { Trainer } from '../../src/core/trainer';
import { decodeConfig, describeCorrection, encodeConfig } from '../../src/core/url';
import { loadLocal, localDataSource } from '../localData';
import { activeGpuDevice, DeviceWatch } from '../../src/worker/deviceWatch';
import { setUpBackend } from '../backend';
import { ProgressBar } from '../progress';
import type { Command } from './index';
import { TRAIN_HELP } from './trainHelp';

export const train: Command = {
  summary: "train '<config>' [--data DIR] [--steps N] [--out DIR] [--backend B]   train headless, JSON Lines out",
  help: TRAIN_HELP,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          data: { type: 'string' },
          steps: { type: 'string' },
          out: { type: 'string' },
          backend: { type: 'string' },
          lenient: { type: 'boolean', default: false },
        },
      });
    } catch (err) {
      return usageError(err instanceof Error ? err.message : String(err));
    }
    const { values, positionals } = parsed;
    const { config, corrections } = decodeConfig(positionals.join('&'));
    for (const c of corrections) process.stderr.write(`${values.lenient ? 'warning' : 'error'}: ${describeCorrection(c)}\n`);
    if (corrections.length && !values.lenient) {
      return usageError('the config has errors (listed above); fix them, or pass --lenient to accept the corrections');
    }
    if (values.backend !== undefined) {
      if (!(BACKENDS as readonly string[]).includes(values.backend)) return usageError(`--backend must be one of ${BACKENDS.join(', ')}`);
      config.backend = values.backend as BackendPreference;
    }
    const maxSteps = values.steps === undefined ? undefined : Number(values.steps);
    if (maxSteps !== undefined && !(Number.isInteger(maxSteps) && maxSteps > 0)) return usageError('--steps must be a whole number > 0');

    const out = values.out ? path.resolve(values.out) : null;
    if (out) {
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, 'config.json'), JSON.stringify({ url: encodeConfig(config), config }, null, 2));
      writeFileSync(path.join(out, 'metrics.jsonl'), '');
    }
    process.stderr.write(`config: #${encodeConfig(config)}\n`);

    const choice = await setUpBackend(config.backend);
    process.stderr.write(`backend: ${choice.backend}${choice.adapter ? ` (adapter ${choice.adapter})` : ''}: ${choice.reason}\n`);
    // WebGPU reports a lost device or an invalid shader only as events; tfjs reads zeros and carries on. A run that
    // meets one fails with its message rather than printing numbers that cannot be trusted.
    const device = activeGpuDevice();
    const watch = device ? new DeviceWatch(device) : null;

    const source = localDataSource(values.data, config.source);
    const dataPath = source.label;
    if (source.note) process.stderr.write(`data: ${source.note}\n`);
    let data;
    try {
      data = loadLocal(source, { train: config.train, test: config.test, subset: config.subset });
      await data.done; // headless runs load everything first, so a seed reproduces the run exactly
    } catch (err) {
      process.stderr.write(`error: bad data in ${dataPath}: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
    process.stderr.write(`data: ${data.train.available()} train and ${data.test.available()} test images from ${dataPath}\n`);

    const emit = (line: object) => {
      const text = JSON.stringify(line) + '\n';
      process.stdout.write(text);
      if (out) appendFileSync(path.join(out, 'metrics.jsonl'), text);
    };

    let current: Trainer | null = null;
    let interrupted = false;
    let failed = false;
    const onSigint = () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stderr.write('\nstopping after the current step (Ctrl-C again to quit at once)\n');
      current?.stop();
    };
    process.on('SIGINT', onSigint);
    try {
      for (const [index, model] of modelsOf(config).entries()) {
        if (interrupted) break;
        const name = modelName(model);
        const trainer = new Trainer({
          config,
          model,
          train: data.train,
          test: data.test,
          trainImages: data.train.available(),
          ...(maxSteps === undefined ? {} : { maxSteps }),
          onMetrics: (points: MetricPoint[]) => {
            if (failed) return; // points computed after a device error are not to be trusted
            for (const p of points) {
              emit({ model: name, ...p });
              bar?.update(p, current?.currentLearningRate() ?? 0);
            }
          },
        });
        current = trainer;
        const total = Math.min(maxSteps ?? Infinity, trainer.plan.totalSteps);
        const bar = process.stderr.isTTY ? new ProgressBar(name, total) : null;
        process.stderr.write(`${name}: ${wrnCost(model).params.toLocaleString('en')} params, ${total} steps of ${trainer.plan.batch}\n`);
        let summary: RunSummary;
        const failure = watch?.nextFailure();
        try {
          summary = await (failure ? Promise.race([trainer.run(), failure.failed]) : trainer.run());
        } catch (err) {
          failed = true;
          trainer.stop();
          throw err;
        } finally {
          failure?.cancel();
          bar?.finish();
        }
        emit({ model: name, kind: 'summary', ...summaryJson(summary) });
        if (out) await saveModel(trainer, path.join(out, modelsOf(config).length > 1 ? `${index}-${name.replace(/\W+/g, '-')}` : 'model'), summary);
        trainer.dispose();
        current = null;
      }
    } catch (err) {
      process.stderr.write(`error: training failed: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    } finally {
      process.off('SIGINT', onSigint);
      watch?.dispose();
    }
    return 0;
  },
};

function usageError(message: string): number {
  process.stderr.write(`error: ${message}\n`);
  return 2;
}

function summaryJson(s: RunSummary) {
  const { predictions: _predictions, ...rest } = s;
  return { ...rest, testAccuracy: s.finalEval?.testAccuracy ?? null };
}

/** Weights in tfjs's own format (loadable with tf.loadLayersModel), plus the run's summary. */
async function saveModel(trainer: Trainer, dir: string, summary: RunSummary): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await trainer.model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const { weightData, ...rest } = artifacts;
      const buffers = weightData === undefined ? [] : Array.isArray(weightData) ? weightData : [weightData];
      writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat(buffers.map((b) => Buffer.from(b))));
      const manifest = { ...rest, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }] };
      delete (manifest as { weightSpecs?: unknown }).weightSpecs;
      writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summaryJson(summary), null, 2));
}

