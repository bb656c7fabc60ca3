/**
 * `train '<config>' [--data <dir|file>] [--steps N] [--out <dir> [--overwrite]] [--backend B]`: the page's trainer,
 * headless. Data: --data, else the config's `data=` URL, else $CIFAR10_DIR, else the built-in sample.
 * `train --resume <dir> [--data ...] [--steps N] [--backend B]`: goes on with a run written by `--out <dir>`.
 * --steps N: each model stops at its step N, counted from its start, also on --resume (a run resumed at step 40 with
 * --steps 100 trains 60 more steps; --steps 40 or less is refused, exit 2).
 *
 * An adapter around the core's run driver (src/core/runner.ts): its events become JSON Lines and files.
 * stdout: one JSON object per metrics point (JSON Lines), each with the model's name and seed; a `summary` line per
 * model; with seeds=N (N > 1) a last line `{"kind":"summary","models":[{name, seeds, testAccuracy: {mean, std, ci95}}]}`
 * over each net's finished seeds (final test accuracy; 95% interval from Student's t).
 * stderr: the resolved config, the backend and why, and a progress bar when stderr is a terminal.
 * --out: refuses a folder that holds a run unless --overwrite (see cli/runDir.ts). Once the data and the backend are
 * loaded (so a run that fails first leaves the folder as it was): writes config.json, appends metrics.jsonl as
 * points arrive (so Ctrl-C keeps them), writes each model's folder (tfjs format: model.json + weights.bin, and
 * summary.json) at the end or at a stop, and checkpoint.bin (weights, momentum, data order: everything `--resume`
 * needs) at each evaluation and at a stop, each time whole (temporary name, then rename).
 * --resume: the config comes from <dir>/config.json; training goes on from <dir>/checkpoint.bin, and metrics.jsonl
 * keeps the lines up to the checkpoint's step, then grows on; the results equal an uninterrupted run's.
 * Ctrl-C stops after the current step and still writes what was trained; a second Ctrl-C quits at once.
 * Exit codes: 0 done (or stopped by Ctrl-C), 1 bad data or a training failure, 2 bad usage or config.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/core/checkpoint';
import { BACKENDS, describeBudget, runJobs, type BackendPreference, type Config } from '../../src/core/config';
import { activeGpuDevice, DeviceWatch } from '../../src/core/deviceWatch';
import type { RunSummary } from '../../src/core/metrics';
import type { RunEvent } from '../../src/core/runEvents';
import { Runner } from '../../src/core/runner';
import { summarize } from '../../src/core/stats';
import { decodeConfig, describeCorrection, encodeConfig } from '../../src/core/url';
import { WEIGHTS_FILE, type SavedWeights } from '../../src/core/weights';
import { loadCifar, type CifarLoad } from '../../src/core/data/load';
import { loadLocal, localDataSource } from '../../src/node/localData';
import { onInterrupt } from '../interrupt';
import { openRunDir, RunDirError, type RunDir } from '../runDir';
import { setUpBackend } from '../../src/node/backend';
import { cliKernels } from '../kernelsEnv';
import { ProgressBar } from '../progress';
import type { Command } from './index';
import { messageOf } from '../../src/core/errors';
import { TRAIN_HELP } from './trainHelp';

/** The checkpoint's file in a run folder. */
export const CHECKPOINT_FILE = 'checkpoint.bin';

export const train: Command = {
  summary: "train '<config>' [--data DIR] [--steps N] [--out DIR [--overwrite]] [--resume DIR] [--backend B]   train headless, JSON Lines out",
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
          resume: { type: 'string' },
          overwrite: { type: 'boolean', default: false },
          backend: { type: 'string' },
          lenient: { type: 'boolean', default: false },
        },
      });
    } catch (err) {
      return usageError(messageOf(err));
    }
    const { values, positionals } = parsed;
    let resume: { dir: string; checkpoint: Checkpoint } | null = null;
    let text = positionals.join('&');
    if (values.resume !== undefined) {
      if (values.out !== undefined || positionals.length)
        return usageError('--resume DIR takes the config and the output folder from DIR; give no config and no --out');
      const dir = path.resolve(values.resume);
      try {
        const saved = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { url?: unknown };
        if (typeof saved.url !== 'string') throw new Error('config.json has no "url"');
        text = saved.url;
        resume = { dir, checkpoint: decodeCheckpoint(new Uint8Array(readFileSync(path.join(dir, CHECKPOINT_FILE)))) };
      } catch (err) {
        return usageError(`cannot resume from ${dir}: ${messageOf(err)} (a folder written by train --out has config.json and ${CHECKPOINT_FILE})`);
      }
    }
    const { config, corrections } = decodeConfig(text);
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
    // --steps N is the step each model stops at, counted from its start: a resumed run at step 40 with --steps 100
    // trains 60 more. One already at or past N has nothing to train: say so rather than end it (a compare run
    // would then move on to its next model, and the checkpoint of this one would be gone).
    if (maxSteps !== undefined && resume && maxSteps <= resume.checkpoint.step) {
      const c = resume.checkpoint;
      return usageError(
        `--steps ${maxSteps}: ${c.modelName} is already at step ${c.step} in ${resume.dir}; --steps counts from the run's start, ` +
          `so give more than ${c.step} (or no --steps to finish the run)`,
      );
    }

    if (values.overwrite && values.out === undefined) return usageError('--overwrite goes with --out DIR');
    let runDir: RunDir | null = null;
    try {
      // Checked now, written only once the data and the backend are loaded (runDir.begin below).
      if (resume) runDir = openRunDir(resume.dir, 'resume');
      else if (values.out !== undefined) runDir = openRunDir(values.out, values.overwrite ? 'overwrite' : 'new');
    } catch (err) {
      if (err instanceof RunDirError) return usageError(err.message);
      throw err;
    }
    // --data, else the config's data= URL, else CIFAR10_DIR, else the built-in sample (said on stderr).
    const local = values.data !== undefined || !config.data ? localDataSource(values.data, config.source) : null;
    if (local?.note) process.stderr.write(`data: ${local.note}\n`);
    if (values.data !== undefined && config.data) {
      // --data wins; the config then records the data the run used, not the link it was not read from.
      process.stderr.write(`warning: data=${config.data} in the config is not used: --data ${values.data} is\n`);
      config.data = '';
    }
    if (resume) {
      const c = resume.checkpoint;
      // A rate set by hand before the checkpoint (Runner.setLearningRate) goes on: the runner applies it.
      const lr = c.lrOverride == null ? '' : ` (learning rate set by hand: ${c.lrOverride})`;
      process.stderr.write(`resuming ${c.modelName} at step ${c.step}${lr} from ${path.join(resume.dir, CHECKPOINT_FILE)}\n`);
    }
    process.stderr.write(`config: #${encodeConfig(config)}\n`);
    if (runJobs(config).length > 1) {
      process.stderr.write(`compare: ${describeBudget(config)}, ${config.order}, seeds ${config.seed}..${config.seed + config.seeds - 1}\n`);
    }

    const choice = await setUpBackend(config.backend, cliKernels(config.kernels));
    process.stderr.write(`backend: ${choice.backend}${choice.adapter ? ` (adapter ${choice.adapter})` : ''}: ${choice.reason}\n`);
    // WebGPU reports a lost device or an invalid shader only as events; tfjs reads zeros and carries on. A run that
    // meets one fails with its message rather than printing numbers that cannot be trusted.
    const device = activeGpuDevice();
    const watch = device ? new DeviceWatch(device) : null;

    const dataName = local?.label ?? config.data;
    const subsets = { train: config.train, test: config.test, subset: config.subset };
    let data: CifarLoad;
    try {
      // The config's data= link is read as the page reads it (a .tar.gz, .bin or a server's manifest over http(s)).
      data = local === null ? loadCifar({ kind: 'url', url: config.data }, subsets) : loadLocal(local, subsets);
      await data.done; // loaded whole first, to plan on what is there (the batches are the page's either way: dataOrder.ts)
    } catch (err) {
      process.stderr.write(`error: bad data in ${dataName}: ${messageOf(err)}\n`);
      watch?.dispose();
      return 1;
    }
    process.stderr.write(`data: ${data.train.available()} train and ${data.test.available()} test images from ${dataName}\n`);
    let files: RunFiles | null = null;
    try {
      if (resume && runDir) keepMetricsUpTo(runDir, resume.checkpoint);
      runDir?.begin({ url: encodeConfig(config), config });
      files = runDir ? new RunFiles(runDir, config) : null;
    } catch (err) {
      process.stderr.write(`error: cannot write ${runDir?.dir}: ${messageOf(err)}\n`);
      watch?.dispose();
      return 1;
    }
    const emit = (line: object) => {
      const text = JSON.stringify(line) + '\n';
      process.stdout.write(text);
      files?.appendMetrics(text);
    };
    const names: string[] = [];
    const seeds: number[] = [];
    const nets: number[] = [];
    /** each finished model's net and final test accuracy, for the last summary line */
    const finals: { net: number; name: string; seed: number; accuracy: number }[] = [];
    // Racing models advance in turns: one progress bar would jump between them, so there is none.
    const bars = process.stderr.isTTY && config.order !== 'interleaved';
    let bar: ProgressBar | null = null;
    let failed: string | null = null;
    const runner: Runner = new Runner({
      config,
      resumeFrom: resume?.checkpoint ?? null,
      ...(maxSteps === undefined ? {} : { maxSteps }),
      onEvent: (e: RunEvent) => {
        switch (e.type) {
          case 'modelStarted': {
            names[e.model] = e.name;
            seeds[e.model] = e.seed;
            nets[e.model] = e.net;
            const total = Math.min(maxSteps ?? Infinity, e.totalSteps);
            // A resumed model goes on from its checkpoint's step (the runner resumes the first model it starts).
            const from = resume && e.model === resume.checkpoint.modelIndex ? resume.checkpoint.step : 0;
            bar = bars ? new ProgressBar(e.name, total, from) : null;
            // Under a time budget the steps are not known ahead: the net trains until its own seconds are spent.
            const steps =
              config.budget.kind === 'time'
                ? `until ${config.budget.seconds} s of active training, steps`
                : from > 0
                  ? `${total - from} steps (${from + 1} to ${total})`
                  : `${total} steps`;
            process.stderr.write(`${e.name} (seed ${e.seed}): ${e.params.toLocaleString('en')} params, ${steps} of ${e.batch}\n`);
            return;
          }
          case 'metrics':
            for (const p of e.points) {
              emit({ model: names[e.model], seed: seeds[e.model], ...p });
              bar?.update(p, runner.currentLearningRate() ?? 0);
            }
            return;
          case 'checkpoint':
            files?.writeCheckpoint(e.checkpoint);
            return;
          case 'modelEnded':
            bar?.finish();
            bar = null;
            emit({ model: names[e.model], seed: seeds[e.model], kind: 'summary', ...summaryJson(e.summary) });
            files?.writeModel(e.model, names[e.model]!, seeds[e.model]!, e.summary, e.weights);
            if (e.summary.status === 'finished' && e.summary.finalEval) {
              finals.push({ net: nets[e.model]!, name: names[e.model]!, seed: seeds[e.model]!, accuracy: e.summary.finalEval.testAccuracy });
            }
            return;
          case 'runEnded':
            bar?.finish();
            if (e.error) failed = e.error.message;
            else if (config.seeds > 1) emit(seedsSummary(finals));
            return;
          case 'state':
            return;
        }
      },
    });

    // Copies of one Ctrl-C (the terminal's to the group, npm's forwarded one) count once: see cli/interrupt.ts. The
    // handler stays for the life of the process: a late copy arriving while the files are written must not kill it.
    onInterrupt(
      () => {
        process.stderr.write('\nstopping after the current step (Ctrl-C again to quit at once)\n');
        runner.stop();
      },
      () => process.exit(130),
    );
    const failure = watch?.nextFailure();
    try {
      await runner.run({ data: { train: data.train, test: data.test, trainImages: data.train.available() }, deviceFailure: failure?.failed ?? null });
    } finally {
      failure?.cancel();
      watch?.dispose();
    }
    if (failed !== null) {
      process.stderr.write(`error: training failed: ${failed}\n`);
      return 1;
    }
    return 0;
  },
};

function usageError(message: string): number {
  process.stderr.write(`error: ${message}\n`);
  return 2;
}

/**
 * The last line of a run with seeds: per net, the seeds that finished and the summary of their final test
 * accuracies (mean, sample standard deviation, 95% interval of the mean from Student's t; null where a single
 * seed leaves them undefined). Stopped models are left out: their accuracy is of a shorter run.
 */
export function seedsSummary(finals: readonly { net: number; name: string; seed: number; accuracy: number }[]) {
  const byNet = new Map<number, { name: string; seeds: number[]; accuracies: number[] }>();
  for (const f of finals) {
    const g = byNet.get(f.net) ?? { name: f.name, seeds: [], accuracies: [] };
    g.seeds.push(f.seed);
    g.accuracies.push(f.accuracy);
    byNet.set(f.net, g);
  }
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    kind: 'summary',
    models: [...byNet.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, g]) => {
        const s = summarize(g.accuracies);
        return { name: g.name, seeds: g.seeds, testAccuracy: { mean: finite(s.mean), std: finite(s.std), ci95: s.ci95 } };
      }),
  };
}

function summaryJson(s: RunSummary) {
  const { predictions: _predictions, ...rest } = s;
  return { ...rest, testAccuracy: s.finalEval?.testAccuracy ?? null };
}

/** The files of a run folder (`--out`, `--resume`), written through cli/runDir.ts. */
class RunFiles {
  private readonly several: boolean;
  private readonly seeded: boolean;

  constructor(
    private readonly dir: RunDir,
    config: Config,
  ) {
    this.several = runJobs(config).length > 1;
    this.seeded = config.seeds > 1;
  }

  appendMetrics(text: string): void {
    this.dir.append('metrics.jsonl', text);
  }

  writeCheckpoint(c: Checkpoint): void {
    this.dir.writeFile(CHECKPOINT_FILE, encodeCheckpoint(c));
  }

  /**
   * Weights in tfjs's own format (loadable with tf.loadLayersModel), plus the model's summary: one folder, written
   * whole, so model.json, weights.bin and summary.json always belong together.
   */
  writeModel(index: number, name: string, seed: number, summary: RunSummary, weights: SavedWeights | null): void {
    const label = `${index}-${name.replace(/\W+/g, '-')}${this.seeded ? `-seed${seed}` : ''}`;
    this.dir.writeFolder(this.several ? label : 'model', (dir) => {
      if (weights) {
        writeFileSync(path.join(dir, WEIGHTS_FILE), new Uint8Array(weights.weights));
        writeFileSync(path.join(dir, 'model.json'), weights.modelJson);
      }
      writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summaryJson(summary), null, 2));
    });
  }
}

/**
 * Trims metrics.jsonl to what the checkpoint covers: the lines of the models before it, and its model's lines up
 * to its step (the steps after it are trained again, and their lines written again).
 */
function keepMetricsUpTo(runDir: RunDir, c: Checkpoint): void {
  const file = runDir.path('metrics.jsonl');
  if (!existsSync(file)) return;
  const kept: string[] = [];
  let model = 0; // lines come model by model, each model's ending with its summary line
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    let p: { kind?: unknown; step?: unknown };
    try {
      p = JSON.parse(line) as typeof p;
    } catch {
      break; // a line cut short by a crash: nothing after it counts
    }
    const keep = model < c.modelIndex || (model === c.modelIndex && p.kind !== 'summary' && typeof p.step === 'number' && p.step <= c.step);
    if (keep) kept.push(line + '\n');
    if (p.kind === 'summary' && !('models' in p)) model++; // a per-model summary, not the run's last line
  }
  runDir.writeFile('metrics.jsonl', kept.join(''));
}
