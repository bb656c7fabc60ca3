/**
 * `train '<config>' [--data <dir|file>] [--steps N] [--out <dir> [--overwrite]] [--backend B]`: the page's trainer,
 * headless. Data: --data, else the config's `data=` URL, else $CIFAR10_DIR or the shared subsets.
 *
 * stdout: one JSON object per metrics point (JSON Lines), each with the model's name; a final `summary` line.
 * stderr: the resolved config, the backend and why, and a progress bar when stderr is a terminal.
 * --out: refuses a folder that holds a run unless --overwrite (see cli/runDir.ts); once the data and the backend are
 * loaded, writes config.json, appends metrics.jsonl as points arrive (so Ctrl-C keeps them), and writes each model's
 * weights (tfjs format: model.json + weights.bin) and summary.json, each whole or not at all, at the end or a stop.
 * Ctrl-C stops after the current step and still writes what was trained; a second Ctrl-C quits at once.
 * Exit codes: 0 done (or stopped by Ctrl-C), 1 bad data or a training failure, 2 bad usage or config.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, modelName, modelsOf, type BackendPreference } from '../../src/core/config';
import { wrnCost } from '../../src/core/cost';
import type { MetricPoint, RunSummary } from '../../src/core/metrics';
import { Trainer } from '../../src/core/trainer';
import { decodeConfig, describeCorrection, encodeConfig } from '../../src/core/url';
import { loadCifar, type CifarLoad } from '../../src/core/data/load';
import { defaultDataDir, loadCifarFromPath } from '../localData';
import { openRunDir, RunDirError, type RunDir } from '../runDir';
import { onInterrupt } from '../interrupt';
import { activeGpuDevice, DeviceWatch } from '../../src/worker/deviceWatch';
import { setUpBackend } from '../backend';
import { ProgressBar } from '../progress';
import type { Command } from './index';

export const train: Command = {
  summary: "train '<config>' [--data DIR] [--steps N] [--out DIR [--overwrite]] [--backend B]   train headless, JSON Lines out",
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
          overwrite: { type: 'boolean', default: false },
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

    if (values.overwrite && !values.out) return usageError('--overwrite goes with --out DIR');
    let runDir: RunDir | null = null;
    try {
      // Checked now, written only once the data and the backend are loaded: a run that fails first leaves the folder as it was.
      if (values.out) runDir = openRunDir(values.out, values.overwrite ? 'overwrite' : 'new');
    } catch (err) {
      if (err instanceof RunDirError) return usageError(err.message);
      throw err;
    }
    const dataPath = values.data ?? (config.data ? null : defaultDataDir());
    if (values.data !== undefined && config.data) {
      // --data wins; the config then records the data the run used, not the link it was not read from.
      process.stderr.write(`warning: data=${config.data} in the config is not used: --data ${values.data} is\n`);
      config.data = '';
    }
    process.stderr.write(`config: #${encodeConfig(config)}\n`);

    const choice = await setUpBackend(config.backend);
    process.stderr.write(`backend: ${choice.backend}${choice.adapter ? ` (adapter ${choice.adapter})` : ''}: ${choice.reason}\n`);
    // WebGPU reports a lost device or an invalid shader only as events; tfjs reads zeros and carries on. A run that
    // meets one fails with its message rather than printing numbers that cannot be trusted.
    const device = activeGpuDevice();
    const watch = device ? new DeviceWatch(device) : null;

    const dataName = dataPath ?? config.data;
    const subsets = { train: config.train, test: config.test, subset: config.subset };
    let data: CifarLoad;
    try {
      // The config's data= link is read as the page reads it (a .tar.gz, .bin or a server's manifest over http(s)).
      data = dataPath === null ? loadCifar({ kind: 'url', url: config.data }, subsets) : loadCifarFromPath(dataPath, subsets);
      await data.done; // headless runs load everything first, so a seed reproduces the run exactly
    } catch (err) {
      process.stderr.write(`error: bad data in ${dataName}: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
    process.stderr.write(`data: ${data.train.available()} train and ${data.test.available()} test images from ${dataName}\n`);
    try {
      runDir?.begin({ url: encodeConfig(config), config });
    } catch (err) {
      process.stderr.write(`error: cannot write ${values.out}: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }

    const emit = (line: object) => {
      const text = JSON.stringify(line) + '\n';
      process.stdout.write(text);
      runDir?.append('metrics.jsonl', text);
    };

    let current: Trainer | null = null;
    let interrupted = false;
    let failed = false;
    const stopInterrupts = onInterrupt(
      () => {
        interrupted = true;
        process.stderr.write('\nstopping after the current step (Ctrl-C again to quit at once)\n');
        current?.stop();
      },
      () => process.exit(130),
    );
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
        if (runDir) await saveModel(trainer, runDir, modelsOf(config).length > 1 ? `${index}-${name.replace(/\W+/g, '-')}` : 'model', summary);
        trainer.dispose();
        current = null;
      }
    } catch (err) {
      process.stderr.write(`error: training failed: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    } finally {
      stopInterrupts();
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

/** Weights in tfjs's own format (loadable with tf.loadLayersModel), plus the run's summary: a folder, written whole. */
async function saveModel(trainer: Trainer, runDir: RunDir, name: string, summary: RunSummary): Promise<void> {
  await runDir.writeFolder(name, (dir) => writeModel(trainer, dir, summary));
}

async function writeModel(trainer: Trainer, dir: string, summary: RunSummary): Promise<void> {
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

