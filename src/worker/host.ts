/**
 * The worker's message handling, apart from the worker global so that it can run (and be tested) anywhere:
 * `training.worker.ts` only feeds it `onmessage` and hands it `postMessage`.
 *
 * - One run at a time. 'start' (train) or 'evaluate' (weights trained elsewhere: the runner's evaluation mode) stops
 *   the current run (its later messages are dropped: it is no longer current) and queues the new one, which begins
 *   once the old one has freed the device.
 * - Controls ('pause', 'resume', 'stop', 'setLearningRate', 'exportWeights') for a runId that is not the current
 *   run are dropped.
 * - The backend is initialised on 'init' and again on 'start' when the config asks for another one or for other
 *   WebGPU kernels (`kernels`: applied at backend set-up, once per run), or when the WebGPU device was lost or
 *   reported an error (then the backend is rebuilt on a new device).
 * - Backend work, speed probes ('measureSpeed') and runs go through one queue, so that a backend never changes
 *   under a running model and a probe never shares the device with one.
 * - Inspections (lesions, feature maps of trained weights) queue there too, after the current run; 'start' and
 *   'evaluate' cancel them (the device is for the new run), 'cancelInspect' cancels one.
 */
import * as tf from '@tensorflow/tfjs';
import { modelsOf, type BackendPreference, type Config, type KernelChoice } from '../core/config';
import { activeGpuDevice, DeviceWatch, rebuildWebGpuBackend } from '../core/deviceWatch';
import { messageOf } from '../core/errors';
import { classifyError, RunFailure } from '../core/runErrors';
import { measureNetSpeed, type NetSpeed } from '../core/speedProbe';
import type { BackendInfo, FromWorker, ToWorker } from './protocol';
import { InspectJob, type JobWeights } from './inspect';
import { Run } from './run';

export interface HostOptions {
  /** sends a message to the page (`postMessage`), transferring `transfer` */
  post(msg: FromWorker, transfer?: Transferable[]): void;
  /**
   * sets up the tfjs backend for a preference, with WebGPU's kernels as `kernels` says, and says which backend it
   * got and why; throws when none works
   */
  initBackend(pref: BackendPreference, kernels: KernelChoice): Promise<BackendInfo>;
}

interface ActiveBackend {
  pref: BackendPreference;
  kernels: KernelChoice;
  info: BackendInfo;
  /** the WebGPU device's watch, when the backend is WebGPU */
  watch: DeviceWatch | null;
}

export class WorkerHost {
  private current: Run | null = null;
  private backend: ActiveBackend | null = null;
  private queue: Promise<void> = Promise.resolve();
  /** inspections queued or running, by job id */
  private readonly inspections = new Map<number, InspectJob>();

  constructor(private readonly options: HostOptions) {}

  handle(msg: ToWorker): void {
    switch (msg.type) {
      case 'init':
        this.enqueue(() => this.ensureBackend(msg.backend, 'ours', true).then(() => undefined));
        return;
      case 'measureSpeed':
        this.enqueue(() => this.measureSpeed(msg.probeId, msg.config));
        return;
      case 'inspect':
        return this.inspect(msg);
      case 'cancelInspect':
        this.inspections.get(msg.jobId)?.cancel();
        return;
      case 'start':
      case 'evaluate': {
        for (const job of this.inspections.values()) job.cancel();
        const previous = this.current;
        const post = (m: FromWorker, transfer?: Transferable[]) => this.postFor(run)(m, transfer);
        const mode = msg.type === 'start' ? { resumeFrom: msg.resumeFrom ?? null } : { evaluate: msg.weights };
        const run: Run = new Run(msg.runId, msg.config, msg.source, post, mode);
        this.current = run;
        previous?.stop(); // its messages are no longer wanted ('stopping' included): it is no longer current
        this.enqueue(() => this.execute(run));
        return;
      }
      default: {
        const run = this.current;
        if (!run || run.id !== msg.runId) return; // a late control for a run that is no longer current
        switch (msg.type) {
          case 'pause':
            return run.pause();
          case 'resume':
            return run.resume();
          case 'stop':
            return run.stop();
          case 'setLearningRate':
            return run.setLearningRate(msg.lr);
          case 'exportWeights':
            return run.exportWeights(msg.model);
        }
      }
    }
  }

  /** Queues an inspection of weights (the weights of a run's model are taken now: a later run replaces them). */
  private inspect(msg: Extract<ToWorker, { type: 'inspect' }>): void {
    const post = this.options.post;
    let weights: JobWeights | null = null;
    const w = msg.weights;
    if (w.kind === 'files') weights = { kind: 'files', ...w.weights };
    else if (w.kind === 'arrays') weights = w;
    else {
      const run = this.current;
      const saved = run?.id === w.runId ? run.savedWeights(w.model) : undefined;
      if (saved) weights = { kind: 'files', ...saved };
    }
    if (!weights) {
      post({ type: 'inspectEnded', jobId: msg.jobId, status: 'failed', message: 'the worker no longer holds these weights (another run started since)' });
      return;
    }
    const job = new InspectJob(msg.jobId, msg.config, msg.source, weights, msg.task, (m, transfer) => post(m, transfer));
    this.inspections.set(job.id, job);
    this.enqueue(async () => {
      try {
        if (!job.cancelled) await this.ensureBackend(msg.config.backend, msg.config.kernels, false);
      } catch (err) {
        job.cancel();
        post({ type: 'error', runId: null, ...classifyError(err) });
      }
      const failure = this.backend?.watch?.nextFailure() ?? null;
      try {
        await job.execute(failure?.failed ?? null);
      } finally {
        failure?.cancel();
        this.inspections.delete(job.id);
      }
    });
  }

  /** Live tfjs tensors and bytes (for tests and the console: after a run they are back to the baseline). */
  memory(): { numTensors: number; numBytes: number; backend: string } {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes, backend: tf.getBackend() };
  }

  /** The current run as the worker sees it (for tests and the console). */
  runStatus(): { runId: number; active: boolean; step: number | null } | null {
    const run = this.current;
    return run ? { runId: run.id, active: run.active, step: run.step } : null;
  }

  /** Times every net of `config` on its backend, between runs (the queue keeps it off a running model's device). */
  private async measureSpeed(probeId: number, config: Config): Promise<void> {
    try {
      await this.ensureBackend(config.backend, config.kernels, false);
      const speeds: NetSpeed[] = [];
      for (const model of modelsOf(config)) speeds.push(await measureNetSpeed(config, model));
      this.options.post({ type: 'speed', probeId, speeds, error: null });
    } catch (err) {
      this.options.post({ type: 'speed', probeId, speeds: [], error: messageOf(err) });
    }
  }

  private async execute(run: Run): Promise<void> {
    if (this.current !== run) return; // superseded before it began; the page no longer waits for it
    const post = this.postFor(run);
    try {
      await this.ensureBackend(run.config.backend, run.config.kernels, false);
    } catch (err) {
      post({ type: 'error', runId: run.id, ...classifyError(err) });
      post({ type: 'runEnded', runId: run.id, status: 'failed' });
      return;
    }
    const watch = this.backend?.watch ?? null;
    const failure = watch?.nextFailure() ?? null;
    try {
      await run.execute(failure?.failed ?? null, this.backend?.info.memory ?? null);
    } finally {
      failure?.cancel();
    }
    // Back on a working device before the page asks for the next run (it learns of it by a 'backend' message).
    if (watch?.poisoned && this.backend?.watch === watch) await this.ensureBackend(this.backend.pref, this.backend.kernels, false).catch(() => undefined);
  }

  /**
   * Makes sure the backend for `pref`, with `kernels`, is up and healthy, initialising (or rebuilding) it when not,
   * and posts 'backend' when it changed or when `announce` asks for it anyway.
   */
  private async ensureBackend(pref: BackendPreference, kernels: KernelChoice, announce: boolean): Promise<BackendInfo> {
    const old = this.backend;
    if (old && old.pref === pref && old.kernels === kernels && !old.watch?.poisoned) {
      if (announce) this.options.post({ type: 'backend', info: old.info });
      return old.info;
    }
    this.backend = null;
    if (old?.watch) {
      old.watch.dispose();
      if (old.watch.poisoned) rebuildWebGpuBackend();
    }
    let info: BackendInfo;
    try {
      info = await this.options.initBackend(pref, kernels);
    } catch (err) {
      throw new RunFailure('backend', `cannot start a tfjs backend: ${messageOf(err)}`);
    }
    const device = activeGpuDevice();
    const watch = device ? new DeviceWatch(device) : null;
    watch?.subscribe((failure) => this.onIdleDeviceFailure(watch, failure));
    this.backend = { pref, kernels, info, watch };
    this.options.post({ type: 'backend', info });
    return info;
  }

  /** A device failure while no run is using it: say so, and get a working backend back. */
  private onIdleDeviceFailure(watch: DeviceWatch, failure: RunFailure): void {
    if (this.current?.active || this.backend?.watch !== watch) return; // a run reports it itself
    this.options.post({ type: 'error', runId: null, code: failure.code, message: failure.message, suggestion: failure.suggestion });
    const { pref, kernels } = this.backend;
    this.enqueue(() => this.ensureBackend(pref, kernels, false).then(() => undefined));
  }

  /** Posts for `run` only while it is the current run. */
  private postFor(run: Run): (msg: FromWorker, transfer?: Transferable[]) => void {
    return (msg, transfer) => {
      if (this.current === run) this.options.post(msg, transfer);
    };
  }

  /** Runs tasks one after another; a task's failure is reported and does not block the next. */
  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => {
      this.options.post({ type: 'error', runId: null, ...classifyError(err) });
    });
  }
}
