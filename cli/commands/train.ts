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
 * --out: refuses a folder that holds a run unless --overwrite, and a folder another process writes (its lock: see
 * cli/runDir.ts). Once the first model has started (data, backend and any checkpoint loaded, so a run that fails
 * first leaves the folder as it was): writes config.json, appends metrics.jsonl as points arrive (so a stop keeps
 * them), writes each model's folder (tfjs format: model.json + weights.bin, and summary.json) at the end or at a
 * stop, and checkpoint.bin (weights, momentum, data order: everything `--resume` needs) at each evaluation and at a
 * stop, each time whole (temporary name, then rename).
 * --resume: the config comes from <dir>/config.json; training goes on from <dir>/checkpoint.bin, and metrics.jsonl
 * keeps the lines up to the checkpoint's step, then grows on; the results equal an uninterrupted run's. Everything
 * is checked before the folder changes: config.json's "url" against its "config", the checkpoint (whole, by its
 * checksum; of this config, model, seed and data order) and metrics.jsonl's models and seeds; a mismatch is said in
 * words, exit 2.
 * Before the data loads, each net's training memory is held against what the backend can hold (core/memory.ts).
 * Ctrl-C, SIGTERM and SIGHUP stop after the current step and still write what was trained (checkpoint and weights);
 * a second one quits at once. Exit codes: 0 done or stopped by Ctrl-C; 143 (SIGTERM) and 129 (SIGHUP) after such a
 * stop, as a shell reports a process a signal ended, so a scheduler sees the run did not finish; 130 a second Ctrl-C;
 * 1 bad data or a training failure; 2 bad usage, a config, checkpoint or folder that does not fit, or a net too big.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/core/checkpoint';
import { BACKENDS, DEFAULT_CONFIG, describeBudget, modelName, runJobs, type BackendPreference, type Config } from '../../src/core/config';
import { loadCifar, type CifarLoad } from '../../src/core/data/load';
import { activeGpuDevice, DeviceWatch } from '../../src/core/deviceWatch';
import { echo } from '../../src/core/echo';
import { messageOf } from '../../src/core/errors';
import { currentCapacity } from '../../src/core/backend';
import { memoryProblem, type MemoryCapacity } from '../../src/core/memory';
import type { RunSummary } from '../../src/core/metrics';
import {
  encodeLine,
  encodeSummaryJson,
  lineOwners,
  linesUpTo,
  pointLine,
  seedsSummaryLine,
  summaryLine,
  type MetricsLine,
  type SeedResult,
} from '../../src/core/metricsFile';
import { configDifferences, resumeMismatch } from '../../src/core/resumeCheck';
import type { ModelInfo, RunEvent } from '../../src/core/runEvents';
import { Runner } from '../../src/core/runner';
import { decodeConfig, encodeConfig } from '../../src/core/url';
import { WEIGHTS_FILE, type SavedWeights } from '../../src/core/weights';
import { setUpBackend } from '../../src/node/backend';
import { loadLocal, localDataSource, type LocalData } from '../../src/node/localData';
import { configText, decodeChecked, UsageError } from '../configArg';
import { onStopSignals, signalExitCode, type StopSignal } from '../interrupt';
import { cliKernels } from '../kernelsEnv';
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
    // From the start: a stop before training has nothing to save and ends at once; during training it is graceful.
    const stop = new StopControl();
    let watch: DeviceWatch | null = null;
    let plan: Plan | null = null;
    try {
      plan = planRun(argv);
      announce(plan);
      const capacity = await startBackend(plan);
      watch = capacity.watch;
      const data = await loadData(plan);
      return await trainAndReport(plan, data, watch, capacity.memory, stop);
    } catch (err) {
      if (err instanceof UsageError) return fail(new Exit(2, err.message));
      if (!(err instanceof Exit)) throw err;
      return fail(err);
    } finally {
      watch?.dispose();
      plan?.runDir?.release();
    }
  },
};

function fail(err: Exit): number {
  process.stderr.write(`error: ${err.message}\n`);
  return err.code;
}

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
  /** --resume: the run folder (as given, and absolute) and the checkpoint to go on from */
  resume: { given: string; dir: string; checkpoint: Checkpoint } | null;
  /** --out or --resume: the folder to write (opened and locked, not yet written) */
  runDir: RunDir | null;
  /** --data (or CIFAR10_DIR, or the built-in sample) as a local source; null when the config's data= link is read */
  local: LocalData | null;
  /** the data's name, for messages */
  dataName: string;
}

/**
 * Parses and checks the arguments, takes the run folder's lock and, for --resume, checks the folder's run whole;
 * throws `Exit` 2 for bad usage, a bad config (listing its corrections first) or a folder that cannot be used.
 */
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
        'config-file': { type: 'string' },
      },
    });
  } catch (err) {
    throw usage(messageOf(err));
  }
  const { values, positionals } = parsed;
  if (values.resume !== undefined && (values.out !== undefined || positionals.length || values['config-file'] !== undefined))
    throw usage('--resume DIR takes the config and the output folder from DIR; give no config and no --out');
  if (values.overwrite && values.out === undefined) throw usage('--overwrite goes with --out DIR');
  if (values.backend !== undefined && !(BACKENDS as readonly string[]).includes(values.backend))
    throw usage(`--backend must be one of ${BACKENDS.join(', ')}`);

  let runDir: RunDir | null = null;
  try {
    // The lock first: what is checked below cannot change under this run. Written only once training starts.
    if (values.resume !== undefined) runDir = openRunDir(values.resume, 'resume');
    else if (values.out !== undefined) runDir = openRunDir(values.out, values.overwrite ? 'overwrite' : 'new');
  } catch (err) {
    if (err instanceof RunDirError) throw usage(err.message);
    throw err;
  }
  try {
    let resume: Plan['resume'] = null;
    let config: Config;
    if (values.resume !== undefined) {
      const saved = readResume(values.resume, runDir!.dir);
      config = decodeChecked(saved.url, values.lenient);
      checkResume(values.resume, runDir!.dir, saved, config);
      resume = { given: values.resume, dir: runDir!.dir, checkpoint: saved.checkpoint };
    } else {
      config = decodeChecked(configText(positionals, values['config-file']), values.lenient);
    }
    if (values.backend !== undefined) config.backend = values.backend as BackendPreference;
    const maxSteps = readSteps(values.steps, resume);
    // --data, else the config's data= URL, else CIFAR10_DIR, else the built-in sample (said on stderr).
    const local =
      values.data !== undefined || !config.data
        ? localDataSource(values.data, config.source, {
            onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
            onWait: (m) => process.stderr.write(`data: ${m}\n`),
          })
        : null;
    if (local?.note) process.stderr.write(`data: ${local.note}\n`);
    if (values.data !== undefined && config.data) {
      // --data wins; the config then records the data the run used, not the link it was not read from.
      process.stderr.write(`warning: data=${echo(config.data)} in the config is not used: --data ${values.data} is\n`);
      config.data = '';
    }
    return { config, maxSteps, resume, runDir, local, dataName: local?.label ?? config.data };
  } catch (err) {
    runDir?.release();
    if (err instanceof UsageError) throw usage(err.message);
    throw err;
  }
}

/** A run folder's saved run: its config.json (its link and config object) and its checkpoint. */
interface SavedRun {
  url: string;
  /** config.json's "config" object, if it has one */
  configObject: unknown;
  checkpoint: Checkpoint;
}

/** The config and checkpoint of a run folder written by --out; a missing or damaged part is said in words. */
function readResume(given: string, dir: string): SavedRun {
  const cannot = (why: string) => usage(`cannot resume from ${given}: ${why}`);
  let saved: { url?: unknown; config?: unknown };
  try {
    saved = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as typeof saved;
  } catch (err) {
    throw cannot(
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'it has no config.json (a folder written by train --out has one)'
        : `its config.json is not JSON (${echo(messageOf(err), 120)})`,
    );
  }
  if (typeof saved !== 'object' || saved === null || typeof saved.url !== 'string') throw cannot('its config.json has no "url" (the run\'s config link)');
  const file = path.join(dir, CHECKPOINT_FILE);
  if (!existsSync(file)) {
    throw cannot(
      `it has no ${CHECKPOINT_FILE}: the run ended before its first checkpoint (one is written at each evaluation and when a run is ` +
        `stopped), so there is nothing to go on from; train it again with --out ${given} --overwrite`,
    );
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = decodeCheckpoint(new Uint8Array(readFileSync(file)));
  } catch (err) {
    throw cannot(`${CHECKPOINT_FILE}: ${messageOf(err)}`);
  }
  return { url: saved.url, configObject: saved.config, checkpoint };
}

/**
 * That the folder's parts belong together before anything in it changes: config.json's "config" says what its
 * "url" says, the checkpoint is of that config (model, seed, data order), and metrics.jsonl's lines are of the
 * same models and seeds. Each mismatch is named.
 */
function checkResume(given: string, dir: string, saved: SavedRun, config: Config): void {
  const cannot = (why: string) => usage(`cannot resume from ${given}: ${why}`);
  if (saved.configObject !== undefined) {
    const object = configOfObject(saved.configObject);
    if (object === null) throw cannot('config.json\'s "config" is not a config object');
    const differences = configDifferences(object, config, { theirs: 'its "config"', ours: 'its "url"' });
    if (differences.length) {
      throw cannot(`config.json disagrees with itself: ${differences.join('; ')}. A run goes on with the config it began with: put back what was edited`);
    }
  }
  const mismatch = resumeMismatch(saved.checkpoint, config);
  if (mismatch) throw cannot(`${CHECKPOINT_FILE} does not belong to this run: ${mismatch}`);
  const metrics = path.join(dir, METRICS_FILE);
  if (existsSync(metrics)) {
    const jobs = runJobs(config);
    const owners = lineOwners(readFileSync(metrics, 'utf8'));
    owners.slice(0, saved.checkpoint.modelIndex + 1).forEach((owner, i) => {
      const job = jobs[i];
      const expected = job ? `${modelName(job.model)} with seed ${job.seed}` : 'nothing';
      const found = `${echo(owner.model)}${owner.seed === undefined ? '' : ` with seed ${owner.seed}`}`;
      if (!job || owner.model !== modelName(job.model) || (owner.seed !== undefined && owner.seed !== job.seed)) {
        throw cannot(
          `${METRICS_FILE} holds ${found} as model ${i}, and this run's config and checkpoint train ${expected} there: the folder mixes two runs`,
        );
      }
    });
  }
}

/** config.json's "config" object as a Config (through the link format, so it reads as the "url" does); null if none. */
function configOfObject(object: unknown): Config | null {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return null;
  try {
    return decodeConfig(encodeConfig({ ...DEFAULT_CONFIG, ...(object as Partial<Config>) })).config;
  } catch {
    return null;
  }
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
      `--steps ${maxSteps}: ${c.modelName} is already at step ${c.step} in ${resume.given}; --steps counts from the run's start, ` +
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
    process.stderr.write(`resuming ${c.modelName} at step ${c.step}${lr} from ${path.join(resume.given, CHECKPOINT_FILE)}\n`);
  }
  process.stderr.write(`config: #${encodeConfig(config)}\n`);
  if (runJobs(config).length > 1) {
    process.stderr.write(`compare: ${describeBudget(config)}, ${config.order}, seeds ${config.seed}..${config.seed + config.seeds - 1}\n`);
  }
}

/**
 * Sets up the backend and says which and why, then holds each net's training memory against what the backend can
 * hold (exit 2 when one cannot fit: said with a batch that fits). WebGPU reports a lost device or an invalid shader
 * only as events (tfjs reads zeros and carries on): the returned watch makes a run that meets one fail with its
 * message rather than print numbers that cannot be trusted.
 */
async function startBackend(plan: Plan): Promise<{ watch: DeviceWatch | null; memory: MemoryCapacity | null }> {
  const { config, resume } = plan;
  const choice = await setUpBackend(config.backend, cliKernels(config.kernels));
  process.stderr.write(`backend: ${choice.backend}${choice.adapter ? ` (adapter ${choice.adapter})` : ''}: ${choice.reason}\n`);
  const memory = currentCapacity(totalmem());
  const tooBig = memoryProblem(config, memory, resume?.checkpoint.trainImages ?? config.train);
  if (tooBig) throw usage(tooBig);
  const device = activeGpuDevice();
  return { watch: device ? new DeviceWatch(device) : null, memory };
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

/**
 * Ctrl-C, SIGTERM and SIGHUP. Before training (planning, loading) there is nothing to save: the first ends the
 * command at once (128 + the signal's number; the folder's lock goes with the process). During training the first
 * stops the run after its step (checkpoint and weights are written) and a second, later one quits at once. Copies
 * of one signal count once (cli/interrupt.ts). The handlers stay for the life of the process: a late copy arriving
 * while the files are written must not kill it.
 */
class StopControl {
  private runner: Runner | null = null;
  /** the first stop signal, if one came */
  signal: StopSignal | null = null;

  constructor() {
    onStopSignals(
      (s) => this.first(s),
      (s) => process.exit(signalExitCode(s)),
    );
  }

  /** From here on a stop is graceful. */
  attach(runner: Runner): void {
    this.runner = runner;
  }

  /** The exit status after a graceful stop: 0 for Ctrl-C (a person's choice), 128 + n for SIGTERM and SIGHUP. */
  exitCode(): number {
    return this.signal === null || this.signal === 'SIGINT' ? 0 : signalExitCode(this.signal);
  }

  private first(signal: StopSignal): void {
    this.signal = signal;
    const what = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    if (!this.runner) {
      process.stderr.write(`\n${what}: stopped before training began; nothing was written\n`);
      process.exit(signalExitCode(signal));
    }
    process.stderr.write(`\n${what}: stopping after the current step, then saving (Ctrl-C again to quit at once)\n`);
    this.runner.stop();
  }
}
/**
 * Trains with the core's runner; its events become lines on stdout and in the files. A stop signal stops it after the
 * current step. The folder changes only once the first model has started (its checkpoint, if any, restored).
 */
async function trainAndReport(plan: Plan, data: CifarLoad, watch: DeviceWatch | null, memory: MemoryCapacity | null, stop: StopControl): Promise<number> {
  const { config, maxSteps, resume } = plan;
  const files = plan.runDir ? new RunFiles(plan.runDir, plan) : null;
  const report = new Reporter(plan, files);
  const runner: Runner = new Runner({
    config,
    resumeFrom: resume?.checkpoint ?? null,
    ...(maxSteps === undefined ? {} : { maxSteps }),
    onEvent: (e) => report.event(e, runner),
  });
  stop.attach(runner);
  const failure = watch?.nextFailure();
  try {
    await runner.run({
      data: { train: data.train, test: data.test, trainImages: data.train.available() },
      deviceFailure: failure?.failed ?? null,
      memory,
    });
  } finally {
    failure?.cancel();
  }
  if (report.writeError !== null) throw new Exit(1, `cannot write ${plan.runDir?.dir ?? 'the run folder'}: ${report.writeError}`);
  if (report.failed !== null) {
    // A checkpoint or config the runner found not to fit this run is bad input, like one found before.
    const bad = report.failed.code === 'bad-config';
    throw new Exit(bad ? 2 : 1, `${bad ? '' : 'training failed: '}${report.failed.message}`);
  }
  return stop.exitCode();
}

/** The runner's events as metrics.jsonl lines (stdout and the run folder), progress on stderr, and model folders. */
class Reporter {
  /** each model as it started */
  private readonly models: ModelInfo[] = [];
  /** each finished model's net and final test accuracy, for the last summary line */
  private readonly finals: SeedResult[] = [];
  private bar: ProgressBar | null = null;
  /** why the run failed, once it has */
  failed: { code: string; message: string } | null = null;
  /** why the run folder could not be written (the run is then stopped), once that happened */
  writeError: string | null = null;

  constructor(
    private readonly plan: Plan,
    private readonly files: RunFiles | null,
  ) {}

  event(e: RunEvent, runner: Runner): void {
    switch (e.type) {
      case 'modelStarted':
        // The run goes ahead: only now does the folder change (metrics.jsonl cut to the checkpoint on --resume).
        this.write(runner, () => this.files?.start());
        this.models[e.model] = e;
        this.bar = this.startModel(e.model, e);
        return;
      case 'metrics': {
        const m = this.models[e.model]!;
        for (const p of e.points) {
          this.emit(pointLine(m.name, m.seed, p), runner);
          this.bar?.update(p, runner.currentLearningRate() ?? 0);
        }
        return;
      }
      case 'checkpoint':
        this.write(runner, () => this.files?.writeCheckpoint(e.checkpoint));
        return;
      case 'modelEnded': {
        const m = this.models[e.model]!;
        this.bar?.finish();
        this.bar = null;
        this.emit(summaryLine(m.name, m.seed, e.summary), runner);
        this.write(runner, () => this.files?.writeModel(e.model, m.name, m.seed, e.summary, e.weights));
        if (e.summary.status === 'finished' && e.summary.finalEval) {
          this.finals.push({ net: m.net, name: m.name, seed: m.seed, accuracy: e.summary.finalEval.testAccuracy });
        }
        return;
      }
      case 'runEnded':
        this.bar?.finish();
        if (e.error) this.failed = { code: e.error.code, message: e.error.message };
        else if (this.plan.config.seeds > 1) this.emit(seedsSummaryLine(this.finals), runner);
        return;
      case 'state':
        return;
    }
  }

  /** A write to the run folder; one that fails (disk full, folder gone) stops the run and is reported at its end. */
  private write(runner: Runner, work: () => void): void {
    if (this.writeError !== null) return;
    try {
      work();
    } catch (err) {
      this.writeError = messageOf(err);
      runner.stop();
    }
  }

  private emit(line: MetricsLine, runner: Runner): void {
    const text = encodeLine(line);
    process.stdout.write(text);
    this.write(runner, () => this.files?.appendMetrics(text));
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
    // On WebGPU: which engine trains it (the compiled step, or tfjs's path and why)
    const engine = m.engine ? `; engine: ${m.engine.engine} (${m.engine.reason})` : '';
    process.stderr.write(`${m.name} (seed ${m.seed}): ${m.params.toLocaleString('en')} params, ${steps} of ${m.batch}${engine}\n`);
    // Racing models advance in turns: one progress bar would jump between them, so there is none.
    return process.stderr.isTTY && config.order !== 'interleaved' ? new ProgressBar(m.name, total, from) : null;
  }
}

/** The files of a run folder (`--out`, `--resume`), written through cli/runDir.ts. */
class RunFiles {
  private readonly several: boolean;
  private readonly seeded: boolean;
  private started = false;

  constructor(
    private readonly dir: RunDir,
    private readonly plan: Plan,
  ) {
    this.several = runJobs(plan.config).length > 1;
    this.seeded = plan.config.seeds > 1;
  }

  /** Starts writing the folder: config.json, and metrics.jsonl cut to the checkpoint's step on --resume. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const { resume, config } = this.plan;
    if (resume) {
      const file = this.dir.path(METRICS_FILE);
      if (existsSync(file)) this.dir.writeFile(METRICS_FILE, linesUpTo(readFileSync(file, 'utf8'), resume.checkpoint.modelIndex, resume.checkpoint.step));
    }
    this.dir.begin({ url: encodeConfig(config), config });
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
