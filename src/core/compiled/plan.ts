/**
 * The plan of a compiled training step for a (net, batch, recipe), made once: every buffer, pipeline and bind group,
 * and the step as a list of dispatches, written layer by layer over the flat buffers as llm.c writes its GPT-2
 * (forward, then backward in reverse, then the optimizer; no autograd). `wrnArchitecture` gives the layers; this
 * file gives each its kernels and the buffers they read and write.
 *
 * Buffers:
 *  - weights, gradients, momentum: the trainable weights, flat (layout.ts), one buffer each; running statistics one
 *    more; the batch statistics of each batch norm (mean, variance) in one.
 *  - saved activations, per block: a1 = relu(bn1(x)), h1 = conv1(a1), a2 = dropout(relu(bn2(h1))), and the block's
 *    output (the next block's x); plus the normalised input, the stem's output and the final activation.
 *  - gradients of activations: three buffers of the largest activation's size, taken in turns (a block needs its
 *    output's gradient, the gradient of a2 then of h1 in place, and the gradient of a1 then of x in place).
 *  - scratch: the batch norms' partial sums and the filter gradients' split-K partials (each reused layer after
 *    layer: dispatches in one pass run in order, each seeing the previous one's writes).
 *  - the batch (uint8 records, labels, augmentation draws), the step's uniform block, the metrics ring.
 * Evaluation has its own small plan at its chunk size over five activation buffers, with the running statistics.
 */
import { BATCH_NORM, IMAGE_SIZE, NUM_CLASSES, type BatchNormLayer, type ConvLayer, type WrnArchitecture } from '../shape';
import {
  bnApply,
  bnBackwardFinish,
  bnBackwardInput,
  bnBackwardStats,
  bnFinish,
  bnInfer,
  bnStats,
  partialFloats,
  type BnGeometry,
  type ParamSlice,
  type RunningSlice,
} from './batchNorm';
import { convFilterGrad, convForward, convInputGrad, filterGradShape, splitKReduce, type ConvGeometry, type Epilogue } from './conv';
import { BufferPool, type Dispatch, type Kernel, PipelineCache, PlanError, planDispatch, type Slice } from './gpu';
import { headBackward, headEval, headForward, type HeadGeometry } from './head';
import { batchLayout, inputKernel } from './input';
import { ALIGN_FLOATS, type ParamLayout, paramLayout, placeOf } from './layout';
import { type Recipe, sgdKernel } from './optimizer';
import { stepUniformBytes, sub } from './wgsl';

export interface PlanSpec {
  arch: WrnArchitecture;
  batch: number;
  recipe: Recipe;
  /** crop + flip in training */
  augment: boolean;
  /** test images per evaluation chunk */
  evalBatch: number;
  /** steps the metrics ring holds before it must be read */
  metricSlots: number;
}

/** The dropout threshold and scale of a rate, as dropoutHash.ts derives them (they do not depend on the seed). */
function dropoutConstants(rate: number): { threshold: number; scale: number } {
  const keep = 1 - rate;
  return { threshold: Math.round(keep * 65536), scale: Math.fround(1 / keep) };
}

const alignUp = (n: number, a = ALIGN_FLOATS) => Math.ceil(n / a) * a;

/** One batch norm's places: its gamma..beta slice in weights and gradients, running statistics, batch statistics. */
interface BnPlaces {
  params: ParamSlice;
  grads: ParamSlice;
  running: RunningSlice;
  batchStats: Slice;
}

export interface TrainingPlan {
  spec: PlanSpec;
  layout: ParamLayout;
  pool: BufferPool;
  /** the step: forward, backward, optimizer */
  dispatches: Dispatch[];
  buffers: {
    weights: GPUBuffer;
    grads: GPUBuffer;
    momentum: GPUBuffer;
    running: GPUBuffer;
    batch: GPUBuffer;
    uniform: GPUBuffer;
    metrics: GPUBuffer;
  };
  /** the dropout blocks, in order: the keys of the step's uniform block follow it */
  dropoutBlocks: number;
  /** evaluation at `spec.evalBatch`, made on first use */
  evaluation(): Promise<EvalPlan>;
}

export interface EvalPlan {
  batch: number;
  dispatches: Dispatch[];
  /** the eval batch buffer (batchLayout(batch); no augmentation draws needed) */
  input: GPUBuffer;
  /** (loss, predicted class) per image */
  results: GPUBuffer;
}

const pipelineCaches = new WeakMap<GPUDevice, PipelineCache>();

/** The device's pipeline cache: plans on one device share their pipelines (compiling is the slow part of planning). */
export function pipelinesOf(device: GPUDevice): PipelineCache {
  let c = pipelineCaches.get(device);
  if (!c) {
    c = new PipelineCache(device);
    pipelineCaches.set(device, c);
  }
  return c;
}

/** Makes the plan; throws a PlanError (and frees what it made) when this device cannot hold it. */
export async function planTraining(device: GPUDevice, spec: PlanSpec): Promise<TrainingPlan> {
  const pool = new BufferPool(device);
  try {
    return await build(device, pool, spec);
  } catch (err) {
    pool.destroyAll();
    throw err;
  }
}

async function build(device: GPUDevice, pool: BufferPool, spec: PlanSpec): Promise<TrainingPlan> {
  const { arch, batch: B } = spec;
  if (!(Number.isInteger(B) && B >= 1)) throw new PlanError(`batch must be a whole number >= 1, got ${B}`);
  const limits = device.limits;
  if (limits.minStorageBufferOffsetAlignment > ALIGN_FLOATS * 4)
    throw new PlanError(`this device aligns storage bindings to ${limits.minStorageBufferOffsetAlignment} bytes; the plan needs 256 at most`);
  const pipelines = pipelinesOf(device);
  const layout = paramLayout(arch);
  const eps = BATCH_NORM.epsilon;
  const rate = 1 - BATCH_NORM.momentum;
  const whole = (b: GPUBuffer): Slice => ({ buffer: b, offset: 0, size: b.size });
  const checkBinding = (label: string, bytes: number) => {
    if (bytes > limits.maxStorageBufferBindingSize)
      throw new PlanError(
        `${label} needs a binding of ${(bytes / 2 ** 20).toFixed(1)} MiB; this device allows ${(limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(1)} MiB`,
      );
  };
  const buffer = (label: string, floats: number) => {
    checkBinding(label, floats * 4);
    return pool.create(label, floats * 4);
  };

  // ---- parameters
  const weights = buffer('weights', layout.trainableFloats);
  const grads = buffer('gradients', layout.trainableFloats);
  const momentum = buffer('momentum', layout.trainableFloats);
  const running = buffer('running statistics', layout.runningFloats);
  const W = whole(weights);
  const G = whole(grads);
  const R = whole(running);
  const tensor = (flat: Slice, name: string) => {
    const p = placeOf(layout, name);
    return sub(flat, p.offset, p.size);
  };
  const bnLayers: BatchNormLayer[] = [...arch.blocks.flatMap((b) => [b.bn1, b.bn2]), arch.finalBn];
  let statsFloats = 0;
  const statsOffset = new Map<string, number>();
  for (const l of bnLayers) {
    statsOffset.set(l.name, statsFloats);
    statsFloats += alignUp(2 * l.channels);
  }
  const batchStatsBuffer = buffer('batch statistics', statsFloats);
  const bnPlaces = (l: BatchNormLayer): BnPlaces => {
    const gamma = placeOf(layout, `${l.name}/gamma`);
    const beta = placeOf(layout, `${l.name}/beta`);
    const mean = placeOf(layout, `${l.name}/moving_mean`);
    const variance = placeOf(layout, `${l.name}/moving_variance`);
    const span = (flat: Slice) => sub(flat, gamma.offset, beta.offset + beta.size - gamma.offset);
    return {
      params: { slice: span(W), betaOffset: beta.offset - gamma.offset },
      grads: { slice: span(G), betaOffset: beta.offset - gamma.offset },
      running: { slice: sub(R, mean.offset, variance.offset + variance.size - mean.offset), varianceOffset: variance.offset - mean.offset },
      batchStats: sub(whole(batchStatsBuffer), statsOffset.get(l.name)!, 2 * l.channels),
    };
  };

  // ---- per-step inputs
  const dropoutBlocks = arch.blocks.filter((b) => b.dropout > 0).length;
  const L = batchLayout(B);
  const batchBuffer = pool.create('batch', L.words * 4);
  const uniform = pool.create('step uniforms', stepUniformBytes(dropoutBlocks), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const U = whole(uniform);
  const metrics = pool.create('metrics ring', spec.metricSlots * 2 * 4);

  // ---- activations
  const act = (label: string, size: number, channels: number) => buffer(label, B * size * size * channels);
  const input = act('input', IMAGE_SIZE, 3);
  const x0 = act('stem output', arch.stem.outSize, arch.stem.cout);
  const saved = arch.blocks.map((b) => ({
    a1: act(`${b.id} a1`, b.bn1.size, b.bn1.channels),
    h1: act(`${b.id} h1`, b.conv1.outSize, b.conv1.cout),
    a2: act(`${b.id} a2`, b.conv1.outSize, b.conv1.cout),
    out: act(`${b.id} output`, b.conv2.outSize, b.conv2.cout),
  }));
  const F = arch.finalBn;
  const aF = act('final activation', F.size, F.channels);
  const C = F.channels;
  const headFloats = { pooled: B * C, dlogits: B * NUM_CLASSES, dpool: B * C, perImage: 2 * B };
  const pooled = buffer('pooled', headFloats.pooled);
  const dlogits = buffer('dlogits', headFloats.dlogits);
  const dpool = buffer('dpool', headFloats.dpool);
  const perImage = buffer('per-image loss', headFloats.perImage);
  const actFloats = Math.max(...arch.blocks.map((b) => B * Math.max(b.bn1.size ** 2 * b.bn1.channels, b.conv1.outSize ** 2 * b.conv1.cout)));
  const gradBuffers = [0, 1, 2].map((i) => buffer(`activation gradient ${i}`, actFloats));

  // ---- scratch
  const geometry = (c: ConvLayer): ConvGeometry => ({
    batch: B,
    inSize: c.inSize,
    outSize: c.outSize,
    cin: c.cin,
    cout: c.cout,
    kernel: c.kernel,
    stride: c.stride,
  });
  const convs = [arch.stem, ...arch.blocks.flatMap((b) => [b.conv1, b.conv2, ...(b.shortcut ? [b.shortcut] : [])])];
  const splitFloats = Math.max(
    ALIGN_FLOATS,
    ...convs.map((c) => filterGradShape(geometry(c))).map((f) => (f.split.slices > 1 ? f.split.slices * f.M * f.N : 0)),
  );
  const splitScratch = buffer('filter gradient partials', splitFloats);
  const bnGeom = (l: BatchNormLayer): BnGeometry => ({ rows: B * l.size * l.size, channels: l.channels });
  const bnScratch = buffer('batch norm partials', Math.max(...bnLayers.map((l) => partialFloats(bnGeom(l)))));

  // ---- the step, layer by layer
  const kernels: Kernel[] = [];
  const slice = (b: GPUBuffer, floats: number) => sub(whole(b), 0, floats);
  const actSlice = (b: GPUBuffer, size: number, channels: number) => slice(b, B * size * size * channels);

  const bnForward = (l: BatchNormLayer, x: GPUBuffer, out: GPUBuffer, dropout?: { rate: number; keyIndex: number }) => {
    const g = bnGeom(l);
    const p = bnPlaces(l);
    const xs = actSlice(x, l.size, l.channels);
    const partials = sub(whole(bnScratch), 0, partialFloats(g));
    kernels.push(bnStats(`${l.name} stats`, g, xs, partials));
    kernels.push(bnFinish(`${l.name} finish`, g, partials, p.batchStats, p.running, rate));
    const d = dropout ? { ...dropoutConstants(dropout.rate), keyIndex: dropout.keyIndex, keyCount: dropoutBlocks, uniform: U } : undefined;
    kernels.push(
      bnApply(
        `${l.name} apply`,
        g,
        { x: xs, out: actSlice(out, l.size, l.channels), params: p.params, batchStats: p.batchStats, ...(d ? { dropout: d } : {}) },
        eps,
      ),
    );
  };
  const convFwd = (c: ConvLayer, x: GPUBuffer, out: GPUBuffer, epilogue: Epilogue = 'set', residual?: GPUBuffer) => {
    const g = geometry(c);
    kernels.push(
      convForward(
        `${c.name} forward`,
        g,
        {
          a: actSlice(x, c.inSize, c.cin),
          b: tensor(W, `${c.name}/kernel`),
          out: actSlice(out, c.outSize, c.cout),
          ...(residual ? { residual: actSlice(residual, c.outSize, c.cout) } : {}),
        },
        epilogue,
      ),
    );
  };

  kernels.push(inputKernel('input', B, spec.augment, { batch: whole(batchBuffer), out: actSlice(input, IMAGE_SIZE, 3) }));
  convFwd(arch.stem, input, x0);
  let x = x0;
  let keyIndex = 0;
  arch.blocks.forEach((b, i) => {
    const s = saved[i]!;
    bnForward(b.bn1, x, s.a1);
    convFwd(b.conv1, s.a1, s.h1);
    const k = b.dropout > 0 ? keyIndex++ : null;
    bnForward(b.bn2, s.h1, s.a2, k === null ? undefined : { rate: b.dropout, keyIndex: k });
    if (b.shortcut) {
      convFwd(b.shortcut, s.a1, s.out);
      convFwd(b.conv2, s.a2, s.out, 'add');
    } else {
      convFwd(b.conv2, s.a2, s.out, 'residual', x);
    }
    x = s.out;
  });
  const xLast = x;
  bnForward(F, xLast, aF);
  const logitsKernel = placeOf(layout, `${arch.logits.name}/kernel`);
  const logitsBias = placeOf(layout, `${arch.logits.name}/bias`);
  const dense = (flat: Slice) => sub(flat, logitsKernel.offset, logitsBias.offset + logitsBias.size - logitsKernel.offset);
  const hg: HeadGeometry = { batch: B, pool: F.size * F.size, channels: C, classes: NUM_CLASSES, biasOffset: logitsBias.offset - logitsKernel.offset };
  const headW = dense(W);
  const headG = dense(G);
  kernels.push(
    headForward('head forward', hg, {
      act: actSlice(aF, F.size, C),
      params: headW,
      labels: sub(whole(batchBuffer), L.labels, B),
      pooled: slice(pooled, headFloats.pooled),
      dlogits: slice(dlogits, headFloats.dlogits),
      dpool: slice(dpool, headFloats.dpool),
      perImage: slice(perImage, headFloats.perImage),
    }),
  );

  // ---- backward
  kernels.push(
    headBackward('head backward', hg, {
      pooled: slice(pooled, headFloats.pooled),
      dlogits: slice(dlogits, headFloats.dlogits),
      perImage: slice(perImage, headFloats.perImage),
      grads: headG,
      metrics: whole(metrics),
      uniform: U,
      keyCount: dropoutBlocks,
    }),
  );
  const bnBackward = (
    l: BatchNormLayer,
    src: { dy: GPUBuffer } | { dpool: GPUBuffer },
    a: GPUBuffer,
    xIn: GPUBuffer,
    out: GPUBuffer | 'in-place',
    dropScale: number,
    residual?: GPUBuffer,
  ) => {
    const g = bnGeom(l);
    const p = bnPlaces(l);
    const partials = sub(whole(bnScratch), 0, partialFloats(g));
    const full = (b: GPUBuffer) => actSlice(b, l.size, l.channels);
    const source = 'dy' in src ? { dy: full(src.dy) } : { dpool: slice(src.dpool, B * l.channels), pool: l.size * l.size };
    kernels.push(bnBackwardStats(`${l.name} backward stats`, g, { src: source, a: full(a), x: full(xIn), batchStats: p.batchStats, partials }, dropScale));
    kernels.push(bnBackwardFinish(`${l.name} backward finish`, g, { partials, batchStats: p.batchStats, grads: p.grads }, eps));
    kernels.push(
      bnBackwardInput(
        `${l.name} backward input`,
        g,
        {
          src: source,
          out: out === 'in-place' ? 'in-place' : full(out),
          a: full(a),
          x: full(xIn),
          params: p.params,
          batchStats: p.batchStats,
          grads: p.grads,
          ...(residual ? { residual: full(residual) } : {}),
        },
        eps,
        dropScale,
      ),
    );
  };
  const filterGrad = (c: ConvLayer, xIn: GPUBuffer, dy: GPUBuffer) => {
    const g = geometry(c);
    const f = filterGradShape(g);
    const dw = tensor(G, `${c.name}/kernel`);
    const io = { a: actSlice(xIn, c.inSize, c.cin), b: actSlice(dy, c.outSize, c.cout) };
    if (f.split.slices === 1) {
      kernels.push(convFilterGrad(`${c.name} filter gradient`, g, { ...io, out: dw }));
      return;
    }
    const partials = sub(whole(splitScratch), 0, f.split.slices * f.M * f.N);
    kernels.push(convFilterGrad(`${c.name} filter gradient`, g, { ...io, out: partials }));
    kernels.push(splitKReduce(`${c.name} filter gradient sum`, f.M * f.N, f.split.slices, partials, dw));
  };
  const inputGrad = (c: ConvLayer, dy: GPUBuffer, out: GPUBuffer, epilogue: 'set' | 'add') =>
    kernels.push(
      convInputGrad(
        `${c.name} input gradient`,
        geometry(c),
        { a: actSlice(dy, c.outSize, c.cout), b: tensor(W, `${c.name}/kernel`), out: actSlice(out, c.inSize, c.cin) },
        epilogue,
      ),
    );

  let p = 0;
  bnBackward(F, { dpool }, aF, xLast, gradBuffers[p]!, 1);
  for (let i = arch.blocks.length - 1; i >= 0; i--) {
    const b = arch.blocks[i]!;
    const s = saved[i]!;
    const xIn = i === 0 ? x0 : saved[i - 1]!.out;
    const dOut = gradBuffers[p]!;
    const q = (p + 1) % 3;
    const r = (p + 2) % 3;
    const dA2 = gradBuffers[q]!;
    const dA1 = gradBuffers[r]!;
    inputGrad(b.conv2, dOut, dA2, 'set');
    filterGrad(b.conv2, s.a2, dOut);
    if (b.shortcut) filterGrad(b.shortcut, s.a1, dOut);
    bnBackward(b.bn2, { dy: dA2 }, s.a2, s.h1, 'in-place', b.dropout > 0 ? dropoutConstants(b.dropout).scale : 1);
    filterGrad(b.conv1, s.a1, dA2);
    if (b.shortcut) {
      inputGrad(b.shortcut, dOut, dA1, 'set');
      inputGrad(b.conv1, dA2, dA1, 'add');
      bnBackward(b.bn1, { dy: dA1 }, s.a1, xIn, 'in-place', 1);
    } else {
      inputGrad(b.conv1, dA2, dA1, 'set');
      bnBackward(b.bn1, { dy: dA1 }, s.a1, xIn, 'in-place', 1, dOut);
    }
    p = r;
  }
  filterGrad(arch.stem, input, gradBuffers[p]!);
  kernels.push(
    sgdKernel(
      'optimizer',
      layout.trainableFloats,
      spec.recipe,
      { weights: W, grads: G, momentum: whole(momentum), uniform: U },
      dropoutBlocks,
      limits.maxComputeWorkgroupsPerDimension,
    ),
  );

  const dispatches = await planAll(device, pipelines, kernels);

  let evalPlan: Promise<EvalPlan> | null = null;
  const evaluation = () => {
    evalPlan ??= planEvaluation(device, pool, pipelines, spec, { W, bnPlaces, tensor, headW, biasOffset: hg.biasOffset }).catch((err: unknown) => {
      evalPlan = null;
      throw err;
    });
    return evalPlan;
  };
  return {
    spec,
    layout,
    pool,
    dispatches,
    buffers: { weights, grads, momentum, running, batch: batchBuffer, uniform, metrics },
    dropoutBlocks,
    evaluation,
  };
}

/** Pipelines are compiled concurrently (a real GPU's driver compiles in parallel; the emulation is CPU-bound anyway). */
async function planAll(device: GPUDevice, pipelines: PipelineCache, kernels: Kernel[]): Promise<Dispatch[]> {
  // distinct shaders first, so that layers of the same shape wait for one compilation
  const distinct = new Map<string, Kernel>();
  for (const k of kernels) if (!distinct.has(k.code)) distinct.set(k.code, k);
  await Promise.all([...distinct.values()].map((k) => pipelines.pipeline(k.kind, k.code)));
  return Promise.all(kernels.map((k) => planDispatch(device, pipelines, k)));
}

interface SharedPlaces {
  W: Slice;
  bnPlaces: (l: BatchNormLayer) => BnPlaces;
  tensor: (flat: Slice, name: string) => Slice;
  headW: Slice;
  biasOffset: number;
}

/** Evaluation at the spec's eval batch: BN with the running statistics, no dropout, (loss, class) per image. */
async function planEvaluation(device: GPUDevice, pool: BufferPool, pipelines: PipelineCache, spec: PlanSpec, shared: SharedPlaces): Promise<EvalPlan> {
  const { arch } = spec;
  const E = spec.evalBatch;
  const eps = BATCH_NORM.epsilon;
  const L = batchLayout(E);
  const whole = (b: GPUBuffer): Slice => ({ buffer: b, offset: 0, size: b.size });
  const input = pool.create('eval batch', L.words * 4);
  const results = pool.create('eval results', E * 2 * 4);
  const maxAct = Math.max(
    IMAGE_SIZE * IMAGE_SIZE * 3,
    ...arch.blocks.map((b) => Math.max(b.bn1.size ** 2 * b.bn1.channels, b.conv1.outSize ** 2 * b.conv1.cout)),
  );
  const [X0, X1, A1, H1, A2] = ['x', 'x next', 'a1', 'h1', 'a2'].map((n) => pool.create(`eval ${n}`, E * maxAct * 4)) as [
    GPUBuffer,
    GPUBuffer,
    GPUBuffer,
    GPUBuffer,
    GPUBuffer,
  ];
  const act = (b: GPUBuffer, size: number, channels: number) => sub(whole(b), 0, E * size * size * channels);
  const geometry = (c: ConvLayer): ConvGeometry => ({
    batch: E,
    inSize: c.inSize,
    outSize: c.outSize,
    cin: c.cin,
    cout: c.cout,
    kernel: c.kernel,
    stride: c.stride,
  });
  const kernels: Kernel[] = [];
  const conv = (c: ConvLayer, x: GPUBuffer, out: GPUBuffer, epilogue: Epilogue = 'set', residual?: GPUBuffer) =>
    kernels.push(
      convForward(
        `eval ${c.name} forward`,
        geometry(c),
        {
          a: act(x, c.inSize, c.cin),
          b: shared.tensor(shared.W, `${c.name}/kernel`),
          out: act(out, c.outSize, c.cout),
          ...(residual ? { residual: act(residual, c.outSize, c.cout) } : {}),
        },
        epilogue,
      ),
    );
  const bn = (l: BatchNormLayer, x: GPUBuffer, out: GPUBuffer) => {
    const p = shared.bnPlaces(l);
    kernels.push(
      bnInfer(
        `eval ${l.name}`,
        { rows: E * l.size * l.size, channels: l.channels },
        { x: act(x, l.size, l.channels), out: act(out, l.size, l.channels), params: p.params, running: p.running },
        eps,
      ),
    );
  };
  // the normalised input goes to A1 (free until the first block), the stem's output to X0
  kernels.push(inputKernel('eval input', E, false, { batch: whole(input), out: act(A1, IMAGE_SIZE, 3) }));
  conv(arch.stem, A1, X0);
  let x = X0;
  let next = X1;
  for (const b of arch.blocks) {
    bn(b.bn1, x, A1);
    conv(b.conv1, A1, H1);
    bn(b.bn2, H1, A2);
    if (b.shortcut) {
      conv(b.shortcut, A1, next);
      conv(b.conv2, A2, next, 'add');
    } else {
      conv(b.conv2, A2, next, 'residual', x);
    }
    [x, next] = [next, x];
  }
  const F = arch.finalBn;
  bn(F, x, A1);
  kernels.push(
    headEval(
      'eval head',
      { batch: E, pool: F.size * F.size, channels: F.channels, classes: NUM_CLASSES, biasOffset: shared.biasOffset },
      { act: act(A1, F.size, F.channels), params: shared.headW, labels: sub(whole(input), L.labels, E), results: whole(results) },
    ),
  );
  return { batch: E, dispatches: await planAll(device, pipelines, kernels), input, results };
}
