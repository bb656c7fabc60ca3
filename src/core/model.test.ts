import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { wrnCost } from './cost';
import { installKernels } from './kernels';
import { buildWrn, countTrainable } from './model';
import { type BatchNormLayer, type ConvLayer, wrnArchitecture } from './shape';

// Reference counts of the paper's architecture (Zagoruyko & Komodakis 2016) as its reference code builds it
// (github.com/szagoruyko/wide-residual-networks); WRN-40-4's equals the `n_parameters` of that code's own training log.
const REFERENCE = [
  { depth: 10, width: 1, params: 77_850, gmacs: 0.013 },
  { depth: 16, width: 4, params: 2_748_890, gmacs: 0.393 },
  { depth: 28, width: 10, params: 36_479_194, gmacs: 5.243 },
  { depth: 40, width: 4, params: 8_949_210, gmacs: 1.299 },
  { depth: 16, width: 8, params: 10_961_370, gmacs: 1.548 },
];

beforeAll(async () => {
  installKernels('cpu');
  await tf.setBackend('cpu');
});

describe('WRN builder', () => {
  for (const ref of REFERENCE) {
    it(`WRN-${ref.depth}-${ref.width} has ${ref.params.toLocaleString('en')} trainable parameters`, () => {
      const m = { depth: ref.depth, width: ref.width, dropout: 0 };
      const cost = wrnCost(m);
      expect(cost.params).toBe(ref.params);
      expect(cost.macs / 1e9).toBeCloseTo(ref.gmacs, 3);
      const model = buildWrn(m);
      expect(countTrainable(model)).toBe(ref.params);
      model.dispose();
    });
  }

  it('is described layer by layer by wrnArchitecture: every conv and batch norm, its shape and its order', () => {
    const m = { depth: 16, width: 3, dropout: 0.2 };
    const arch = wrnArchitecture(m);
    expect(arch.blocks.map((b) => b.id)).toEqual(['g1b1', 'g1b2', 'g2b1', 'g2b2', 'g3b1', 'g3b2']);
    const described: string[] = [];
    const convText = (c: ConvLayer) => `${c.name} ${c.inSize}x${c.inSize}x${c.cin} k${c.kernel}/${c.stride} -> ${c.outSize}x${c.outSize}x${c.cout}`;
    const bnText = (b: BatchNormLayer) => `${b.name} ${b.size}x${b.size}x${b.channels}`;
    described.push(convText(arch.stem));
    for (const b of arch.blocks) {
      described.push(bnText(b.bn1), convText(b.conv1), bnText(b.bn2), convText(b.conv2));
      if (b.shortcut) described.push(convText(b.shortcut));
    }
    described.push(bnText(arch.finalBn));

    const model = buildWrn(m);
    const built: string[] = [];
    for (const layer of model.layers) {
      const cls = layer.getClassName();
      if (cls !== 'Conv2D' && !layer.name.match(/_bn\d$|^final_bn$/)) continue;
      const [h, w, c] = (layer.input as tf.SymbolicTensor).shape.slice(1) as number[];
      if (cls !== 'Conv2D') {
        built.push(`${layer.name} ${h}x${w}x${c}`);
        continue;
      }
      const cfg = layer.getConfig() as { kernelSize: number[]; strides: number[] };
      const [, oh, ow, oc] = layer.outputShape as number[];
      built.push(`${layer.name} ${h}x${w}x${c} k${cfg.kernelSize[0]}/${cfg.strides[0]} -> ${oh}x${ow}x${oc}`);
    }
    // the model lists a block's shortcut after its conv2 as well (it is applied last)
    expect(built).toEqual(described);
    expect(arch.logits).toEqual({ name: 'logits', inputs: 192, outputs: 10 });
    expect(model.getLayer('logits').outputShape).toEqual([null, 10]);
    model.dispose();
  });

  it('dropout adds no parameters and sits only between the two convolutions of each block', () => {
    const model = buildWrn({ depth: 16, width: 2, dropout: 0.3 });
    expect(countTrainable(model)).toBe(wrnCost({ depth: 16, width: 2, dropout: 0 }).params);
    const names = model.layers.map((l) => l.name);
    const drops = names.filter((n) => n.endsWith('_dropout'));
    expect(drops).toHaveLength(6);
    for (const d of drops) {
      const i = names.indexOf(d);
      expect(names[i - 1]).toMatch(/_relu2$/);
      expect(names[i + 1]).toMatch(/_conv2$/);
    }
    model.dispose();
  });

  it('follows the paper layer by layer: strides, projections on the pre-activated input, no conv bias', () => {
    const model = buildWrn({ depth: 16, width: 4, dropout: 0 });
    const conv = (name: string) => model.getLayer(name) as unknown as { getConfig(): tf.serialization.ConfigDict };
    expect(model.getLayer('conv1').outputShape).toEqual([null, 32, 32, 16]);
    expect(model.getLayer('g1b1_conv1').outputShape).toEqual([null, 32, 32, 64]);
    expect(model.getLayer('g2b1_conv1').outputShape).toEqual([null, 16, 16, 128]);
    expect(model.getLayer('g3b1_conv1').outputShape).toEqual([null, 8, 8, 256]);
    expect(model.getLayer('final_relu').outputShape).toEqual([null, 8, 8, 256]);
    // k=4: group 1's first block changes 16 -> 64 channels, so it has a 1x1 projection too
    for (const s of ['g1b1_shortcut', 'g2b1_shortcut', 'g3b1_shortcut']) {
      expect(conv(s).getConfig()).toMatchObject({ kernelSize: [1, 1], useBias: false });
      const inbound = (model.getLayer(s) as unknown as { inboundNodes: { inboundLayers: { name: string }[] }[] }).inboundNodes[0]!;
      expect(inbound.inboundLayers[0]!.name).toMatch(/_relu1$/);
    }
    expect(() => model.getLayer('g1b2_shortcut')).toThrow();
    expect(conv('g2b1_shortcut').getConfig()).toMatchObject({ strides: [2, 2] });
    expect(conv('g2b1_conv1').getConfig()).toMatchObject({ strides: [2, 2], useBias: false });
    expect(conv('g2b1_conv2').getConfig()).toMatchObject({ strides: [1, 1] });
    expect(conv('g1b1_bn1').getConfig()).toMatchObject({ momentum: 0.9, epsilon: 1e-5 });
    model.dispose();
  });

  it('gives [batch, 10] logits', () => {
    const model = buildWrn({ depth: 10, width: 1, dropout: 0.3 });
    const y = model.predict(tf.zeros([3, 32, 32, 3])) as tf.Tensor;
    expect(y.shape).toEqual([3, 10]);
    y.dispose();
    model.dispose();
  });

  it('He-normal init: conv weights have std sqrt(2 / fan_in)', async () => {
    const model = buildWrn({ depth: 16, width: 4, dropout: 0 }, { seed: 3 });
    const w = model.getLayer('g2b1_conv2').getWeights()[0]!; // 3x3x128x128
    const { variance } = tf.moments(w);
    const std = Math.sqrt((await variance.data())[0]!);
    expect(std).toBeCloseTo(Math.sqrt(2 / (9 * 128)), 3);
    model.dispose();
  });

  it("the stem conv skips the image gradient, with the same values, gradients and saved form as tfjs's Conv2D", async () => {
    // On WASM (with our gradient kernels, as ./backend.ts installs them), where the step is fast.
    installKernels('wasm');
    await tf.setBackend('wasm');
    const model = buildWrn({ depth: 10, width: 1, dropout: 0 }, { seed: 2 });
    const stem = model.getLayer('conv1');
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 5);
    const labels = tf.oneHot(tf.tensor1d([3, 7, 0, 9], 'int32'), 10);
    const lossOf = () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    const run = async () => {
      const calls: number[][][] = [];
      let out: { value: number; grads: Float32Array[] } | undefined;
      const profile = await tf.profile(async () => {
        const { value, grads } = tf.variableGrads(lossOf);
        out = {
          value: (await value.data())[0]!,
          grads: await Promise.all(model.trainableWeights.map((w) => grads[w.name]!.data() as Promise<Float32Array>)),
        };
        tf.dispose([value, ...Object.values(grads)]);
      });
      for (const k of profile.kernels) if (k.name === 'Conv2DBackpropInput') calls.push(k.inputShapes);
      return { ...out!, stemInputGradients: calls.filter((shapes) => shapes.some((s) => s.join() === '3,3,3,16')).length };
    };
    const ours = await run();
    // tfjs-layers' own Conv2D call (the fused conv2d), for comparison.
    delete (stem as unknown as { call?: unknown }).call;
    const fused = await run();
    expect(fused.stemInputGradients).toBe(1);
    expect(ours.stemInputGradients).toBe(0);
    expect(ours.value).toBeCloseTo(fused.value, 6);
    ours.grads.forEach((g, i) => {
      const ref = fused.grads[i]!;
      const scale = Math.max(...ref.map(Math.abs));
      expect(Math.max(...g.map((v, j) => Math.abs(v - ref[j]!))) / scale).toBeLessThan(1e-5);
    });
    const saved = (model.toJSON(null, false) as unknown as { config: { layers: { class_name: string; name: string }[] } }).config.layers;
    expect(saved.find((l) => l.name === 'conv1')!.class_name).toBe('Conv2D');
    tf.dispose([x, labels]);
    model.dispose();
    await tf.setBackend('cpu');
  });

  it('refuses depths that are not 6N+4 with a clear error', () => {
    for (const depth of [0, 4, 9, 11, 17, 27, 10.5]) {
      expect(() => buildWrn({ depth, width: 1, dropout: 0 })).toThrow(/6N\+4/);
      expect(() => wrnCost({ depth, width: 1, dropout: 0 })).toThrow(/6N\+4/);
    }
    expect(() => buildWrn({ depth: 16, width: 0, dropout: 0 })).toThrow(/width/);
  });
});
