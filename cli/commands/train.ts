/**
 * `train '<config>' [--data <dir|file>] [--steps N] [--out <dir> [--overwrite]] [--backend B]`: the page's trainer,
 * headless. Data: --data, else the config's `data=` URL, else $CIFAR10_DIR, else the built-in sample.
 * `train --resume <dir> [--data ...] [--steps N] [--backend B]`: goes on with a run written by `--out <dir>`.
 * --steps N: each model stops at its step N, counted from its start, also on --resume (a run resumed at step 40 with
 * --steps 100 trains 60 more steps; --steps 40 or less is refused, exit 2).
 *
 * An adapter around the core's run driver (src/core/runner.ts): its events become JSON Lines and files.
 * stdout: metrics.jsonl's lines (src/core/metricsFile.ts): one JSON object per metrics point, each with the model's
 * name and seed; a `summary` line per model; with seeds=N (N > 1) a last line
 * `{"kind":"summary","models":[{name, seeds, testAccuracy: {mean, std, ci95}}]}` over each net's finished seeds
 * (final test accuracy; 95% interval from Student's t).
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
import { loadCifar, type CifarLoad } from '../../src/core/data/load';
import { activeGpuDevice, DeviceWatch } from '../../src/core/deviceWatch';
import { messageOf } from '../../src/core/errors';
import type { RunSummary } from '../../src/core/metrics';
import {
  encodeLine,
  encodeSummaryJson,
  linesUpTo,
  pointLine,
  seedsSummaryLine,
  summaryLine,
  type MetricsLine,
  type SeedResult,
} from '../../src/core/metricsFile';
import type { ModelInfo, RunEvent } from '../../src/core/runEvents';
import { Runner } from '../../src/core/runner';
import { decodeConfig, describeCorrection, encodeConfig } from '../../src/core/url';
import { WEIGHTS_FILE, type SavedWeights } from '../../src/core/weights';
import { setUpBackend } from '../../src/node/backend';
import { onInterrupt } from '../interrupt';
import { cliKernels } from '../kernelsEnv';
import { loadLocal, localDataSource, type LocalData } from '../../src/node/localData';
import { ProgressBar } from '../progress';
import { openRunDir, RunDirError, type RunDir } from '../runDir';
import type { Command } from './index';
import { TRAIN_HELP } from './trainHelp';

/** The checkpoint's file in a run folder. */
export const CHECKPOINT_FILE = 'checkpoint.bin';
/** The metrics' file in a run folder. */
const METRICS_FILE = 'metrics.jsonl';

export const train: Command = {
  summary: "train '<config>' [--data DIR] [--steps N] [--out DIR [--overwrite]] [--resume DIR] [--backend B]   train headless, JSON Lines out",
  help: TRAIN_HELP,
  async run(argv) {
    let watch: DeviceWatch | null = null;
    try {
      const plan = planRun(argv);
      announce(plan);
      watch = await startBackend(plan.config);
      const data = await loadData(plan);
      const files = beginFiles(plan);
      return await trainAndReport(plan, data, files, watch);
    } catch (err) {
      if (!(err instanceof Exit)) throw err;
      process.stderr.write(`error: ${err.message}\n`);
      return err.code;
    } finally {
      watch?.dispose();
    }
  },
};

/** Ends the command with a message and an exit code: 1 bad data or a failure, 2 bad usage or config. */
class Exit extends Error {
  constructor(
    readonly code: 1 | 2,
    message: string,
  ) {
    super(message);
  }
}
const usage = (message: string) => new Exit(2, message);

/** What the command line asks for, checked: the config and how to run it. Nothing is written yet. */
interface Plan {
  config: Config;
  /** --steps: each model stops at this step, counted from its start */
  maxSteps: number | undefined;
  /** --resume: the run folder and the checkpoint to go on from */
  resume: { dir: string; checkpoint: Checkpoint } | null;
  /** --out or --resume: the folder to write (opened, not yet written) */
  runDir: RunDir | null;
  /** --data (or CIFAR10_DIR, or the built-in sample) as a local source; null when the config's data= link is read */
  local: LocalData | null;
  /** the data's name, for messages */
  dataName: string;
}

/** Parses and checks the arguments; throws `Exit` 2 for bad usage or a bad config (listing its corrections first). */
function planRun(argv: string[]): Plan {
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
    throw usage(messageOf(err));
  }
  const { values, positionals } = parsed;
  let resume: Plan['resume'] = null;
  let text = positionals.join('&');
  if (values.resume !== undefined) {
    if (values.out !== undefined || positionals.length)
      throw usage('--resume DIR takes the config and the output folder from DIR; give no config and no --out');
    const saved = readResume(path.resolve(values.resume));
    resume = { dir: saved.dir, checkpoint: saved.checkpoint };
    text = saved.url;
  }
  const config = readConfig(text, values.lenient);
  if (values.backend !== undefined) {
    if (!(BACKENDS as readonly string[]).includes(values.backend)) throw usage(`--backend must be one of ${BACKENDS.join(', ')}`);
    config.backend = values.backend as BackendPreference;
  }
  const maxSteps = readSteps(values.steps, resume);

  if (values.overwrite && values.out === undefined) throw usage('--overwrite goes with --out DIR');
  let runDir: RunDir | null = null;
  try {
    // Checked now, written only once the data and the backend are loaded (beginFiles).
    if (resume) runDir = openRunDir(resume.dir, 'resume');
    else if (values.out !== undefined) runDir = openRunDir(values.out, values.overwrite ? 'overwrite' : 'new');
  } catch (err) {
    if (err instanceof RunDirError) throw usage(err.message);
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
  return { config, maxSteps, resume, runDir, local, dataName: local?.label ?? config.data };
}

/** The config and checkpoint of a run folder written by --out. */
function readResume(dir: string): { dir: string; url: string; checkpoint: Checkpoint } {
  try {
    const saved = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { url?: unknown };
    if (typeof saved.url !== 'string') throw new Error('config.json has no "url"');
    return { dir, url: saved.url, checkpoint: decodeCheckpoint(new Uint8Array(readFileSync(path.join(dir, CHECKPOINT_FILE)))) };
  } catch (err) {
    throw usage(`cannot resume from ${dir}: ${messageOf(err)} (a folder written by train --out has config.json and ${CHECKPOINT_FILE})`);
  }
}

/** The config of the link text; its corrections are errors unless --lenient (then warnings). */
function readConfig(text: string, lenient: boolean): Config {
  const { config, corrections } = decodeConfig(text);
  for (const c of corrections) process.stderr.write(`${lenient ? 'warning' : 'error'}: ${describeCorrection(c)}\n`);
  if (corrections.length && !lenient) throw usage('the config has errors (listed above); fix them, or pass --lenient to accept the corrections');
  return config;
}

/** --steps N, checked against the checkpoint a run resumes from. */
function readSteps(steps: string | undefined, resume: Plan['resume']): number | undefined {
  const maxSteps = steps === undefined ? undefined : Number(steps);
  if (maxSteps !== undefined && !(Number.isInteger(maxSteps) && maxSteps > 0)) throw usage('--steps must be a whole number > 0');
  // --steps N is the step each model stops at, counted from its start: a resumed run at step 40 with --steps 100
  // trains 60 more. One already at or past N has nothing to train: say so rather than end it (a compare run
  // would then move on to its next model, and the checkpoint of this one would be gone).
  if (maxSteps !== undefined && resume && maxSteps <= resume.checkpoint.step) {
    const c = resume.checkpoint;
    throw usage(
      `--steps ${maxSteps}: ${c.modelName} is already at step ${c.step} in ${resume.dir}; --steps counts from the run's start, ` +
        `so give more than ${c.step} (or no --steps to finish the run)`,
    );
  }
  return maxSteps;
}

/** Says on stderr what will run: the checkpoint it resumes, the config, the comparison. */
function announce({ config, resume }: Plan): void {
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
}

/**
 * Sets up the backend and says which and why. WebGPU reports a lost device or an invalid shader only as events
 * (tfjs reads zeros and carries on): the returned watch makes a run that meets one fail with its message rather than
 * print numbers that cannot be trusted.
 */
async function startBackend(config: Config): Promise<DeviceWatch | null> {
  const choice = await setUpBackend(config.backend, cliKernels(config.kernels));
  process.stderr.write(`backend: ${choice.backend}${choice.adapter ? ` (adapter ${choice.adapter})` : ''}: ${choice.reason}\n`);
  const device = activeGpuDevice();
  return device ? new DeviceWatch(device) : null;
}

/** Loads the data whole (to plan on what is there; the batches are the page's either way: dataOrder.ts). */
async function loadData({ config, local, dataName }: Plan): Promise<CifarLoad> {
  const subsets = { train: config.train, test: config.test, subset: config.subset };
  let data: CifarLoad;
  try {
    // The config's data= link is read as the page reads it (a .tar.gz, .bin or a server's manifest over http(s)).
    data = local === null ? loadCifar({ kind: 'url', url: config.data }, subsets) : loadLocal(local, subsets);
    await data.done;
  } catch (err) {
    throw new Exit(1, `bad data in ${dataName}: ${messageOf(err)}`);
  }
  process.stderr.write(`data: ${data.train.available()} train and ${data.test.available()} test images from ${dataName}\n`);
  return data;
}

/** Starts writing the run folder, if any: config.json, and metrics.jsonl cut to the checkpoint on --resume. */
function beginFiles({ runDir, resume, config }: Plan): RunFiles | null {
  if (!runDir) return null;
  try {
    if (resume) {
      const file = runDir.path(METRICS_FILE);
      if (existsSync(file)) runDir.writeFile(METRICS_FILE, linesUpTo(readFileSync(file, 'utf8'), resume.checkpoint.modelIndex, resume.checkpoint.step));
    }
    runDir.begin({ url: encodeConfig(config), config });
    return new RunFiles(runDir, config);
  } catch (err) {
    throw new Exit(1, `cannot write ${runDir.dir}: ${messageOf(err)}`);
  }
}

/** Trains with the core's runner; its events become lines on stdout and in the files. Ctrl-C stops it. */
async function trainAndReport(plan: Plan, data: CifarLoad, files: RunFiles | null, watch: DeviceWatch | null): Promise<number> {
  const { config, maxSteps, resume } = plan;
  const report = new Reporter(plan, files);
  const runner: Runner = new Runner({
    config,
    resumeFrom: resume?.checkpoint ?? null,
    ...(maxSteps === undefined ? {} : { maxSteps }),
    onEvent: (e) => report.event(e, runner),
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
  }
  if (report.failed !== null) throw new Exit(1, `training failed: ${report.failed}`);
  return 0;
}

/** The runner's events as metrics.jsonl lines (stdout and the run folder), progress on stderr, and model folders. */
class Reporter {
  /** each model as it started */
  private readonly models: ModelInfo[] = [];
  /** each finished model's net and final test accuracy, for the last summary line */
  private readonly finals: SeedResult[] = [];
  private bar: ProgressBar | null = null;
  /** why the run failed, once it has */
  failed: string | null = null;

  constructor(
    private readonly plan: Plan,
    private readonly files: RunFiles | null,
  ) {}

  event(e: RunEvent, runner: Runner): void {
    switch (e.type) {
      case 'modelStarted':
        this.models[e.model] = e;
        this.bar = this.startModel(e.model, e);
        return;
      case 'metrics': {
        const m = this.models[e.model]!;
        for (const p of e.points) {
          this.emit(pointLine(m.name, m.seed, p));
          this.bar?.update(p, runner.currentLearningRate() ?? 0);
        }
        return;
      }
      case 'checkpoint':
        this.files?.writeCheckpoint(e.checkpoint);
        return;
      case 'modelEnded': {
        const m = this.models[e.model]!;
        this.bar?.finish();
        this.bar = null;
        this.emit(summaryLine(m.name, m.seed, e.summary));
        this.files?.writeModel(e.model, m.name, m.seed, e.summary, e.weights);
        if (e.summary.status === 'finished' && e.summary.finalEval) {
          this.finals.push({ net: m.net, name: m.name, seed: m.seed, accuracy: e.summary.finalEval.testAccuracy });
        }
        return;
      }
      case 'runEnded':
        this.bar?.finish();
        if (e.error) this.failed = e.error.message;
        else if (this.plan.config.seeds > 1) this.emit(seedsSummaryLine(this.finals));
        return;
      case 'state':
        return;
    }
  }

  private emit(line: MetricsLine): void {
    const text = encodeLine(line);
    process.stdout.write(text);
    this.files?.appendMetrics(text);
  }

  /** Says what the model trains, on stderr; its progress bar when stderr is a terminal. */
  private startModel(index: number, m: ModelInfo): ProgressBar | null {
    const { config, maxSteps, resume } = this.plan;
    const total = Math.min(maxSteps ?? Infinity, m.totalSteps);
    // A resumed model goes on from its checkpoint's step (the runner resumes the first model it starts).
    const from = resume && index === resume.checkpoint.modelIndex ? resume.checkpoint.step : 0;
    // Under a time budget the steps are not known ahead: the net trains until its own seconds are spent.
    const steps =
      config.budget.kind === 'time'
        ? `until ${config.budget.seconds} s of active training, steps`
        : from > 0
          ? `${total - from} steps (${from + 1} to ${total})`
          : `${total} steps`;
    process.stderr.write(`${m.name} (seed ${m.seed}): ${m.params.toLocaleString('en')} params, ${steps} of ${m.batch}\n`);
    // Racing models advance in turns: one progress bar would jump between them, so there is none.
    return process.stderr.isTTY && config.order !== 'interleaved' ? new ProgressBar(m.name, total, from) : null;
  }
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
    this.dir.append(METRICS_FILE, text);
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
      writeFileSync(path.join(dir, 'summary.json'), encodeSummaryJson(summary));
    });
  }
}
