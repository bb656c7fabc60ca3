/**
 * A compiled training step at work: the plan (plan.ts) plus what changes from step to step. A step writes the batch
 * (its uint8 records, labels and augmentation draws: one `writeBuffer`) and the step's uniform block (learning
 * rate, metrics slot, dropout keys: one more), encodes the planned dispatches into one compute pass of one command
 * encoder, and submits. Nothing is allocated, compiled or bound while a step is encoded.
 *
 * Loss and accuracy stay on the device in a ring of metric slots; `readMetrics()` copies the slots used so far
 * into one of a few staging buffers and maps it asynchronously, so reading a window back never stalls the encoding
 * of the next steps (only a full staging ring waits, for its oldest read).
 *
 * State in and out as named arrays in the model's order (layout.ts), for checkpoints and for tfjs's variables.
 */
import type { NamedArray } from '../checkpoint';
import { RECORD_PIXELS, type ImageSource } from '../data/dataset';
import type { DropoutKeys } from '../dropoutHash';
import { NUM_CLASSES } from '../shape';
import type { AugmentDraw } from '../augment';
import { deviceLostFailure } from '../deviceWatch';
import { encodeDispatches, readBuffer } from './gpu';
import { batchLayout } from './input';
import { planTraining, type PlanSpec, type TrainingPlan } from './plan';
import { stepUniformBytes } from './wgsl';

/** What one evaluation gives (the shape of evaluate.ts's Evaluation). */
export interface CompiledEvaluation {
  testLoss: number;
  testAccuracy: number;
  testImages: number;
  confusion: number[];
  predictions: Uint8Array;
}

/** What a read of the metrics ring gives: per step since the last read, in order. */
export interface MetricsReading {
  losses: Float32Array;
  correct: Float32Array;
}

/** Staging buffers for metric reads in flight at once. */
const STAGING = 3;

/**
 * How long a failed read waits for the device to say it was lost: destroying a device fails pending maps at once,
 * and `device.lost` may resolve seconds later on a busy machine.
 */
const LOST_GRACE_MS = 10_000;

export class CompiledEngine {
  private readonly device: GPUDevice;
  /** the host side of the batch buffer, filled in place (views below) and written whole */
  private readonly batchWords: Uint32Array<ArrayBuffer>;
  private readonly uniformWords: ArrayBuffer;
  private readonly uniformF32: Float32Array;
  private readonly uniformU32: Uint32Array;
  private readonly train: PlanSpec;
  /** metric slots written since the last read */
  private slotsUsed = 0;
  private readonly staging: { buffer: GPUBuffer; busy: Promise<void> | null }[] = [];
  private evalResults: GPUBuffer | null = null;
  private disposed = false;
  /** JS time spent in `step()` (writes, encoding, submit), and steps taken: the host cost of a step */
  hostMs = 0;
  /** the part of hostMs before the submit: the two writes and the encoding (Dawn translates commands in submit) */
  encodeMs = 0;
  steps = 0;

  private constructor(readonly plan: TrainingPlan) {
    this.device = plan.pool.device;
    this.train = plan.spec;
    this.batchWords = new Uint32Array(batchLayout(plan.spec.batch).words);
    this.uniformWords = new ArrayBuffer(stepUniformBytes(plan.dropoutBlocks));
    this.uniformF32 = new Float32Array(this.uniformWords);
    this.uniformU32 = new Uint32Array(this.uniformWords);
    for (let i = 0; i < STAGING; i++) {
      const buffer = plan.pool.create(`metrics staging ${i}`, plan.spec.metricSlots * 8, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
      this.staging.push({ buffer, busy: null });
    }
  }

  /** Plans the step on `device` (compiling every pipeline): a PlanError when the device cannot hold it. */
  static async create(device: GPUDevice, spec: PlanSpec): Promise<CompiledEngine> {
    return new CompiledEngine(await planTraining(device, spec));
  }

  get batch(): number {
    return this.train.batch;
  }

  /** Dispatches a training step encodes. */
  get dispatchesPerStep(): number {
    return this.plan.dispatches.length;
  }

  /** Buffers and bytes the plan holds on the device. */
  get memory(): { buffers: number; bytes: number; created: number } {
    return this.plan.pool.stats;
  }

  /** Where to gather the next batch: the records and labels go straight into the buffer the step uploads. */
  batchViews(): { pixels: Uint8Array; labels: Int32Array } {
    const L = batchLayout(this.train.batch);
    const B = this.train.batch;
    return {
      pixels: new Uint8Array(this.batchWords.buffer, L.pixels * 4, B * RECORD_PIXELS),
      labels: new Int32Array(this.batchWords.buffer, L.labels * 4, B),
    };
  }

  /**
   * One training step on the batch in `batchViews()`: `draw` the augmentation (null without), `keys` one per dropout
   * block in order. Returns at once; the step runs on the device.
   */
  step(lr: number, draw: AugmentDraw | null, keys: readonly DropoutKeys[] = []): void {
    this.run(this.plan.dispatches, lr, draw, keys);
    this.steps++;
  }

  private run(dispatches: TrainingPlan['dispatches'], lr: number, draw: AugmentDraw | null, keys: readonly DropoutKeys[]): void {
    this.assertLive();
    const t = performance.now();
    if (this.slotsUsed >= this.train.metricSlots) throw new Error('the metrics ring is full: read it (readMetrics) at least every metricSlots steps');
    this.writeInputs(lr, draw, keys);
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, dispatches);
    pass.end();
    const commands = encoder.finish();
    this.encodeMs += performance.now() - t;
    this.device.queue.submit([commands]);
    this.slotsUsed++;
    this.hostMs += performance.now() - t;
  }

  /** The step's two writes: the batch (as gathered into batchViews, with the draws) and the uniform block. */
  private writeInputs(lr: number, draw: AugmentDraw | null, keys: readonly DropoutKeys[]): void {
    if (keys.length !== this.plan.dropoutBlocks) throw new Error(`${this.plan.dropoutBlocks} dropout keys needed, got ${keys.length}`);
    const L = batchLayout(this.train.batch);
    const B = this.train.batch;
    if (draw) {
      this.batchWords.set(draw.dy.subarray(0, B), L.dy);
      this.batchWords.set(draw.dx.subarray(0, B), L.dx);
      this.batchWords.set(draw.flip.subarray(0, B), L.flip);
    }
    this.uniformF32[0] = lr;
    this.uniformU32[1] = this.slotsUsed;
    this.uniformU32[2] = this.steps;
    keys.forEach((k, i) => {
      this.uniformU32[4 + 4 * i] = k.key0;
      this.uniformU32[5 + 4 * i] = k.key1;
    });
    const { queue } = this.device;
    queue.writeBuffer(this.plan.buffers.batch, 0, this.batchWords);
    queue.writeBuffer(this.plan.buffers.uniform, 0, this.uniformWords);
  }

  /**
   * One training step with each dispatch in its own compute pass between two GPU timestamps: the device time of each
   * program, summed per kind (and the dispatches of each), largest first. Null without 'timestamp-query'. A real
   * step (the weights move); its metrics are left unread. For the bench's per-kernel profile, not for training.
   */
  async profileStep(
    lr: number,
    draw: AugmentDraw | null,
    keys: readonly DropoutKeys[] = [],
  ): Promise<{ kind: string; calls: number; ms: number }[] | null> {
    this.assertLive();
    if (!this.device.features.has('timestamp-query')) return null;
    const dispatches = this.plan.dispatches;
    const n = dispatches.length;
    const querySet = this.device.createQuerySet({ type: 'timestamp', count: 2 * n });
    const resolved = this.device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    try {
      // the metrics go to the next free slot, unread: the next step writes there again
      this.writeInputs(lr, draw, keys);
      const encoder = this.device.createCommandEncoder();
      dispatches.forEach((d, i) => {
        const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
        encodeDispatches(pass, [d]);
        pass.end();
      });
      encoder.resolveQuerySet(querySet, 0, 2 * n, resolved, 0);
      this.device.queue.submit([encoder.finish()]);
      const times = new BigUint64Array(await this.read(resolved, 0, 16 * n));
      const byKind = new Map<string, { calls: number; ms: number }>();
      dispatches.forEach((d, i) => {
        const e = byKind.get(d.kind) ?? { calls: 0, ms: 0 };
        e.calls++;
        e.ms += Math.max(0, Number(times[2 * i + 1]! - times[2 * i]!)) / 1e6;
        byKind.set(d.kind, e);
      });
      return [...byKind].map(([kind, e]) => ({ kind, ...e })).sort((a, b) => b.ms - a.ms);
    } finally {
      querySet.destroy();
      resolved.destroy();
    }
  }

  /** Steps whose metrics are on the device, not yet read. */
  get unread(): number {
    return this.slotsUsed;
  }

  /**
   * Starts reading the metrics of the steps since the last read and frees their slots at once: the next step can be
   * encoded before the returned promise resolves. Null when there is nothing to read.
   */
  readMetrics(): Promise<MetricsReading> | null {
    this.assertLive();
    const n = this.slotsUsed;
    if (n === 0) return null;
    this.slotsUsed = 0;
    return this.whyFailed(
      this.withStaging(async (staging) => {
        const encoder = this.device.createCommandEncoder();
        encoder.copyBufferToBuffer(this.plan.buffers.metrics, 0, staging, 0, n * 8);
        this.device.queue.submit([encoder.finish()]);
        await staging.mapAsync(GPUMapMode.READ, 0, n * 8);
        const values = new Float32Array(staging.getMappedRange(0, n * 8).slice(0));
        staging.unmap();
        const losses = new Float32Array(n);
        const correct = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          losses[i] = values[2 * i]!;
          correct[i] = values[2 * i + 1]!;
        }
        return { losses, correct };
      }),
    );
  }

  /**
   * A read that failed because the device was lost fails with the device's own word (the 'device-lost' failure the
   * page shows as an interrupted run), not with the map's message.
   */
  private whyFailed<T>(p: Promise<T>): Promise<T> {
    return p.catch(async (err: unknown) => {
      const lost = await Promise.race([this.device.lost, new Promise<null>((resolve) => setTimeout(() => resolve(null), LOST_GRACE_MS))]);
      throw lost ? deviceLostFailure(lost) : err;
    });
  }

  private read(buffer: GPUBuffer, offset?: number, size?: number): Promise<ArrayBuffer> {
    return this.whyFailed(readBuffer(this.device, buffer, offset, size));
  }

  /** Runs `read` with a free staging buffer: the copy is encoded now (in queue order), only the map is awaited. */
  private withStaging<T>(read: (buffer: GPUBuffer) => Promise<T>): Promise<T> {
    const free = this.staging.find((s) => s.busy === null);
    if (free) {
      const result = read(free.buffer);
      free.busy = result.then(
        () => undefined,
        () => undefined,
      );
      void free.busy.then(() => (free.busy = null));
      return result;
    }
    // every staging buffer is mapped or waiting: the device is that far behind; wait for the oldest, then go on.
    // The slots were already freed, so the copy must be encoded now: use a one-off buffer (rare; destroyed after).
    const once = this.device.createBuffer({
      label: 'metrics staging (extra)',
      size: this.train.metricSlots * 8,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    return read(once).finally(() => once.destroy());
  }

  /** The training state as named arrays: every weight (trainable, then running statistics) and the momentum buffers. */
  async readState(): Promise<{ weights: NamedArray[]; momentum: NamedArray[] }> {
    this.assertLive();
    const { layout, buffers } = this.plan;
    const [w, r, m] = await Promise.all([this.read(buffers.weights), this.read(buffers.running), this.read(buffers.momentum)]);
    const pick = (data: ArrayBuffer, p: { name: string; shape: number[]; offset: number; size: number }, name = p.name): NamedArray => ({
      name,
      shape: p.shape.slice(),
      dtype: 'float32',
      data: new Float32Array(data, p.offset * 4, p.size).slice(),
    });
    return {
      weights: [...layout.trainable.map((p) => pick(w, p)), ...layout.running.map((p) => pick(r, p))],
      momentum: layout.trainable.map((p) => pick(m, p, `${p.name}/momentum`)),
    };
  }

  /**
   * Sets weights (by name: trainable and running statistics; all of them) and the momentum buffers (in the layout's
   * trainable order; none: zeros). Throws a RangeError on a missing name or a wrong size.
   */
  setState(weights: readonly NamedArray[], momentum: readonly NamedArray[] | null): void {
    this.assertLive();
    const { layout, buffers } = this.plan;
    const byName = new Map(weights.map((a) => [a.name, a]));
    const fill = (places: typeof layout.trainable, floats: number, source: (p: (typeof places)[number], i: number) => NamedArray | undefined) => {
      const host = new Float32Array(floats);
      places.forEach((p, i) => {
        const a = source(p, i);
        if (!a) throw new RangeError(`no values for ${p.name}`);
        if (a.data.length !== p.size) throw new RangeError(`${a.name} holds ${a.data.length} values; ${p.name} needs ${p.size}`);
        host.set(a.data, p.offset);
      });
      return host;
    };
    const q = this.device.queue;
    q.writeBuffer(
      buffers.weights,
      0,
      fill(layout.trainable, layout.trainableFloats, (p) => byName.get(p.name)),
    );
    q.writeBuffer(
      buffers.running,
      0,
      fill(layout.running, layout.runningFloats, (p) => byName.get(p.name)),
    );
    if (momentum?.length && momentum.length !== layout.trainable.length)
      throw new RangeError(`${momentum.length} momentum buffers for ${layout.trainable.length} weights`);
    const m = momentum?.length ? fill(layout.trainable, layout.trainableFloats, (_, i) => momentum[i]) : new Float32Array(layout.trainableFloats);
    q.writeBuffer(buffers.momentum, 0, m);
  }

  /** The gradients of the last step (or of `gradientsOnly`), by trainable weight name: for tests. */
  async readGradients(): Promise<Map<string, Float32Array>> {
    const g = await this.read(this.plan.buffers.grads);
    return new Map(this.plan.layout.trainable.map((p) => [p.name, new Float32Array(g, p.offset * 4, p.size).slice()]));
  }

  /** The forward and backward passes of a step without the optimizer's update (tests compare the gradients). */
  gradientsOnly(draw: AugmentDraw | null, keys: readonly DropoutKeys[] = []): void {
    const dispatches = this.plan.dispatches;
    const last = dispatches[dispatches.length - 1];
    if (last?.kind !== 'optimizer') throw new Error('the plan does not end with the optimizer');
    this.run(dispatches.slice(0, -1), 0, draw, keys);
  }

  /**
   * Test loss, accuracy, confusion matrix and predictions over records `from` .. `images` - 1 of `test` (the first
   * `images` without `from`), with the running statistics, in chunks of the plan's eval batch (the last chunk runs
   * whole; its extra images are ignored).
   */
  async evaluate(test: ImageSource, images: number, between: () => Promise<void> = async () => {}, from = 0): Promise<CompiledEvaluation> {
    this.assertLive();
    const plan = await this.plan.evaluation();
    const total = Math.max(0, Math.min(images, test.available()) - from);
    const E = plan.batch;
    if (!this.evalResults || this.evalResults.size < Math.max(total, 1) * 8) {
      if (this.evalResults) this.plan.pool.destroy(this.evalResults);
      this.evalResults = this.plan.pool.create('eval results (all)', Math.max(total, 1) * 8);
    }
    const L = batchLayout(E);
    const words = new Uint32Array(L.words);
    const pixels = new Uint8Array(words.buffer, L.pixels * 4, E * RECORD_PIXELS);
    const labels = new Int32Array(total);
    for (let start = 0; start < total; start += E) {
      const n = Math.min(E, total - start);
      const idx = new Int32Array(n).map((_, i) => from + start + i);
      const l = labels.subarray(start, start + n);
      test.gather(idx, pixels.subarray(0, n * RECORD_PIXELS), l);
      words.set(l, L.labels);
      this.device.queue.writeBuffer(plan.input, 0, words);
      const encoder = this.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      encodeDispatches(pass, plan.dispatches);
      pass.end();
      encoder.copyBufferToBuffer(plan.results, 0, this.evalResults, start * 8, n * 8);
      this.device.queue.submit([encoder.finish()]);
      await between();
    }
    const values = total > 0 ? new Float32Array(await this.read(this.evalResults, 0, total * 8)) : new Float32Array(0);
    const predictions = new Uint8Array(total);
    const confusion = new Array<number>(NUM_CLASSES * NUM_CLASSES).fill(0);
    let loss = 0;
    let right = 0;
    for (let i = 0; i < total; i++) {
      loss += values[2 * i]!;
      const p = values[2 * i + 1]!;
      predictions[i] = p;
      const t = labels[i]!;
      confusion[t * NUM_CLASSES + p]!++;
      if (t === p) right++;
    }
    return { testLoss: total ? loss / total : NaN, testAccuracy: total ? right / total : 0, testImages: total, confusion, predictions };
  }

  /** Frees every buffer of the plan (pipelines stay cached for the next plan on this device). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.plan.pool.destroyAll();
    this.evalResults = null;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('the compiled step was disposed');
  }
}
