/**
 * One model of a run in training: its Trainer, the checkpoints taken between its slices, and its end (a last
 * checkpoint when stopped, the weights exported, 'modelEnded'). The runner opens one per model and drives it with
 * `advance(n)`, so a scheduling policy can train one model to the end or several in turns (see runner.ts).
 */
import { CHECKPOINT_VERSION, type Checkpoint } from './checkpoint';
import { budgetLength } from './budget';
import type { Config, ModelConfig, RunJob } from './config';
import { wrnCost } from './cost';
import type { ImageSource } from './data/dataset';
import type { DeviceRace } from './deviceWatch';
import type { RunSummary } from './metrics';
import type { RunEvent } from './runEvents';
import { RunFailure } from './runErrors';
import { Trainer } from './trainer';
import { saveWeights, type SavedWeights } from './weights';

/** What every session of a run shares. */
export interface SessionContext {
  config: Config;
  /** the run's config as URL text, recorded in each checkpoint */
  encodedConfig: string;
  train: ImageSource;
  test: ImageSource;
  /** training images per epoch: every model of a run gets the same plan, so that their curves line up */
  trainImages: number;
  maxSteps?: number;
  readEvery?: number;
  now?: () => number;
  /** a checkpoint every this many steps (> 0), at each evaluation ('eval'), or 0: none but those on pause and stop */
  checkpointEvery: number | 'eval';
  /** read weights back when a model ends (for export) */
  exportWeights: boolean;
  /** false: take no checkpoints at all (a policy that trains several models at once cannot resume yet) */
  checkpoints?: boolean;
  race: DeviceRace;
  emit(event: RunEvent): void;
}

export class ModelSession {
  readonly trainer: Trainer;
  readonly index: number;
  readonly model: ModelConfig;
  /** the step of the last checkpoint (or of the start): nothing new to save there */
  private savedStep = 0;

  /** `job`: which net of the config, with which seed (runJobs); the recipe is the config's, the length its budget's. */
  constructor(
    private readonly ctx: SessionContext,
    readonly job: RunJob,
  ) {
    this.index = job.index;
    this.model = job.model;
    const index = job.index;
    const length = budgetLength(ctx.config, job.model, ctx.trainImages);
    this.trainer = new Trainer({
      config: job.seed === ctx.config.seed ? ctx.config : { ...ctx.config, seed: job.seed },
      model: job.model,
      ...(length ? { length } : {}),
      train: ctx.train,
      test: ctx.test,
      trainImages: ctx.trainImages,
      ...(ctx.maxSteps === undefined ? {} : { maxSteps: ctx.maxSteps }),
      ...(ctx.readEvery === undefined ? {} : { readEvery: ctx.readEvery }),
      ...(ctx.now === undefined ? {} : { now: ctx.now }),
      onMetrics: (points) => ctx.emit({ type: 'metrics', model: index, points }),
    });
  }

  get name(): string {
    return this.trainer.name;
  }

  /**
   * Sets the model back to `resume` (when given), announces it ('modelStarted') and begins training: paused at
   * once when `paused`. A checkpoint of another model or a net that does not fit is a bad-config failure.
   */
  async start(resume: Checkpoint | null, lr: number | null, paused: boolean): Promise<void> {
    const trainer = this.trainer;
    if (resume) {
      try {
        await this.ctx.race.guard(
          trainer.restore({
            step: resume.step,
            seconds: resume.seconds,
            weights: resume.weights,
            optimizer: resume.optimizer,
            dataOrder: resume.dataOrder,
            dropoutMasks: resume.rng.dropoutMasks,
            lastEval: resume.lastEval,
          }),
        );
      } catch (err) {
        if (err instanceof RangeError) throw new RunFailure('bad-config', `cannot resume from the checkpoint: ${err.message}`);
        throw err;
      }
      this.savedStep = resume.step;
    }
    const engine = await this.ctx.race.guard(trainer.prepare());
    const cost = wrnCost(this.model);
    this.ctx.emit({
      type: 'modelStarted',
      model: this.index,
      name: trainer.name,
      params: cost.params,
      macs: cost.macs,
      stepsPerEpoch: trainer.plan.stepsPerEpoch,
      totalSteps: trainer.plan.totalSteps,
      batch: trainer.plan.batch,
      net: this.job.net,
      seed: this.job.seed,
      ...(engine ? { engine } : {}),
    });
    if (lr !== null) trainer.setLearningRate(lr);
    trainer.begin();
    if (paused) trainer.pause();
    else this.ctx.emit({ type: 'state', state: 'running' });
  }

  /**
   * Trains at most `maxSteps` more steps: in slices that end at the checkpoint steps (a checkpoint is taken there),
   * and at the pause point (a checkpoint, then it waits for resume or stop). True once the model's training is
   * over (all its steps, or stopped); then call `end()`.
   */
  async advance(maxSteps = Infinity): Promise<boolean> {
    const trainer = this.trainer;
    const until = trainer.step + maxSteps;
    while (trainer.step < until) {
      const every = this.ctx.checkpointEvery === 'eval' ? trainer.evalEvery : this.ctx.checkpointEvery;
      const toCheckpoint = every > 0 ? every - (trainer.step % every) : Infinity;
      const r = await this.ctx.race.guard(trainer.advance(Math.min(until - trainer.step, toCheckpoint)));
      if (r.status === 'over') return true;
      if (r.status === 'paused') {
        await this.checkpoint();
        await r.resumed;
      } else if (every > 0 && trainer.step % every === 0) {
        await this.checkpoint();
      }
    }
    return false;
  }

  /**
   * Ends the model: its final evaluation when stopped early, a checkpoint when stopped (so that it can be resumed),
   * its weights read back for export (a failure there costs the export, not the run), then 'modelEnded'.
   */
  async end(): Promise<RunSummary> {
    const summary = await this.ctx.race.guard(this.trainer.finish());
    if (summary.status === 'stopped') await this.checkpoint();
    let weights: SavedWeights | null = null;
    if (this.ctx.exportWeights) {
      weights = await this.ctx.race.guard(saveWeights(this.trainer.model, this.trainer.name)).catch((err: unknown) => {
        if (err instanceof RunFailure) throw err;
        return null;
      });
    }
    this.ctx.emit({ type: 'modelEnded', model: this.index, summary, weights });
    return summary;
  }

  /** Takes a checkpoint of this model now (between slices) and emits it, unless nothing changed since the last. */
  async checkpoint(): Promise<void> {
    const t = this.trainer;
    if (t.step === this.savedStep || this.ctx.checkpoints === false) return;
    const s = await this.ctx.race.guard(t.snapshot());
    this.savedStep = s.step;
    this.ctx.emit({
      type: 'checkpoint',
      checkpoint: {
        version: CHECKPOINT_VERSION,
        config: this.ctx.encodedConfig,
        modelIndex: this.index,
        modelName: t.name,
        step: s.step,
        epoch: s.step / t.plan.stepsPerEpoch,
        trainImages: this.ctx.trainImages,
        seconds: s.seconds,
        flops: t.flops,
        weights: s.weights,
        optimizer: s.optimizer,
        dataOrder: s.dataOrder,
        rng: { dropoutMasks: s.dropoutMasks },
        lrOverride: t.learningRateOverride,
        lastEval: s.lastEval,
        savedAt: new Date().toISOString(),
      },
    });
  }

  /** Frees the model on the device; also ends a trainer abandoned mid-step (a failed device). */
  dispose(): void {
    this.trainer.stop();
    this.trainer.dispose();
  }
}

/**
 * The checkpoint that starts model `index` of a run from scratch: where a run whose earlier models are done goes on.
 * No arrays: the model's initial weights follow from the seed. `lrOverride`: the rate set by hand, which applies to
 * the following models too.
 */
export function startOfModel(encodedConfig: string, index: number, name: string, trainImages: number, lrOverride: number | null): Checkpoint {
  return {
    version: CHECKPOINT_VERSION,
    config: encodedConfig,
    modelIndex: index,
    modelName: name,
    step: 0,
    epoch: 0,
    trainImages,
    seconds: 0,
    flops: 0,
    weights: [],
    optimizer: [],
    dataOrder: { perm: new Int32Array(0), next: 0 },
    rng: { dropoutMasks: [] },
    lrOverride,
    lastEval: null,
    savedAt: new Date().toISOString(),
  };
}
