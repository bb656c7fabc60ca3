/**
 * Our WebGPU kernels' planning, with no GPU: how the filter GEMM splits K, how batch norm splits rows, the input
 * gradient's program rule, and the claim the kernel tests rest on: the representative shape set
 * (test/fixtures/kernelCases.ts) takes every branch of every kernel, and the full sweep takes no other.
 * The comparisons on a GPU are webgpuKernels.webgpu.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  KERNEL_PATHS,
  KERNEL_TEST_NETS,
  type KernelKind,
  layerShapes,
  pathsTaken,
  REPRESENTATIVE_BATCHES,
  REPRESENTATIVE_BATCH_NORMS,
  REPRESENTATIVE_CONVS,
  representativeShapes,
} from '../../../../test/fixtures/kernelCases';
import { splitRows } from './batchNorm';
import { planFilterGemm } from './convFilterGrad';
import { pickInputGradProgram } from './convInputGrad';

const KINDS: readonly KernelKind[] = ['batchNorm', 'convFilterGrad', 'convInputGrad'];

describe('how the kernels split their work', () => {
  it('splits the filter GEMM along K into slices that cover K once, more of them for small filters', () => {
    for (const [M, N, K] of [
      [27, 16, 131072],
      [576, 64, 2048],
      [5760, 640, 512],
      [16, 32, 1],
      [864, 192, 128],
    ] as const) {
      const p = planFilterGemm(M, N, K);
      expect(p.kPerSlice % 16).toBe(0);
      expect(p.slices * p.kPerSlice).toBeGreaterThanOrEqual(K);
      expect((p.slices - 1) * p.kPerSlice).toBeLessThan(K);
    }
    expect(planFilterGemm(27, 16, 131072).slices).toBe(128); // the stem: one 32x32 tile, so K is split
    expect(planFilterGemm(5760, 640, 512).slices).toBe(1); // 3600 tiles already: no split, no finishing pass
  });

  it('splits rows into chunks that cover every row once', () => {
    for (const [rows, channels] of [
      [1, 16],
      [1024, 16],
      [131072, 16],
      [8192, 640],
      [33, 3],
    ] as const) {
      const s = splitRows(rows, channels);
      expect(s.chunks * s.chunk).toBeGreaterThanOrEqual(rows);
      expect((s.chunks - 1) * s.chunk).toBeLessThan(rows);
    }
  });

  it("the input gradient's rule: tfjs's implicit GEMM only at stride 1 on a hardware adapter", () => {
    expect(pickInputGradProgram(false, [1, 1])).toBe('mm');
    expect(pickInputGradProgram(false, [2, 2])).toBe('direct');
    expect(pickInputGradProgram(true, [1, 1])).toBe('direct');
  });
});

describe('the kernel test shapes, from the architecture', () => {
  it('the full sweep: 12 distinct batch norm and 35 convolution shapes over WRN-10-1, 16-4, 22-3 and 28-10', () => {
    const shapes = layerShapes(KERNEL_TEST_NETS);
    // per width k: [32,32,16], [32,32,16k], [16,16,32k], [8,8,64k]; k = 1 adds none beyond 16 at 32x32
    expect(shapes.batchNorm).toHaveLength(12);
    expect(shapes.batchNorm).toContainEqual([8, 8, 640]);
    expect(shapes.batchNorm).toContainEqual([32, 32, 16]);
    // the stem, and per group the first block's 3x3, the 3x3 after it and the 1x1 shortcut (9 per net; WRN-10-1's
    // first group has one shape and no shortcut: 7)
    expect(shapes.conv).toHaveLength(35);
    expect(shapes.conv).toContainEqual({ h: 32, w: 32, cin: 3, k: 3, stride: 1, cout: 16 });
    expect(shapes.conv).toContainEqual({ h: 8, w: 8, cin: 640, k: 3, stride: 1, cout: 640 });
  });

  it('the representative set: the stem, 16->48 3x3 and 1x1, 48->96 3x3/2, 64->128 1x1/2, 256->256 on 8x8, 128->256 3x3/2 on 16x16', () => {
    const shapes = representativeShapes();
    expect(shapes.conv).toEqual([
      { h: 32, w: 32, cin: 3, k: 3, stride: 1, cout: 16 },
      { h: 32, w: 32, cin: 16, k: 3, stride: 1, cout: 48 },
      { h: 32, w: 32, cin: 16, k: 1, stride: 1, cout: 48 },
      { h: 32, w: 32, cin: 48, k: 3, stride: 2, cout: 96 },
      { h: 32, w: 32, cin: 64, k: 1, stride: 2, cout: 128 },
      { h: 8, w: 8, cin: 256, k: 3, stride: 1, cout: 256 },
      { h: 16, w: 16, cin: 128, k: 3, stride: 2, cout: 256 },
    ]);
    expect(shapes.batchNorm).toEqual([
      [32, 32, 16],
      [32, 32, 192],
      [16, 16, 128],
      [8, 8, 640],
    ]);
    expect(REPRESENTATIVE_CONVS.every((l) => l.why.length > 0) && REPRESENTATIVE_BATCH_NORMS.every((l) => l.why.length > 0)).toBe(true);
    expect(REPRESENTATIVE_BATCHES).toEqual([1, 3]);
  });

  it('a layer the net does not have is an error, not a silently smaller set', () => {
    // WRN-10-k has one block per group: no g1b2
    expect(() => representativeShapes([{ net: [10, 1], layer: 'g1b2_conv1', why: '' }], [])).toThrow('WRN-10-1 has no layer g1b2_conv1');
    expect(() => representativeShapes([], [{ net: [10, 1], layer: 'g1b1_conv1', why: '' }])).toThrow('WRN-10-1 has no layer g1b1_conv1');
  });

  it('takes every branch of every kernel at batch 1 and 3, and at batch 3 alone (the Chromium spec’s batch)', () => {
    const shapes = representativeShapes();
    for (const batches of [REPRESENTATIVE_BATCHES, [3]]) {
      const taken = pathsTaken(shapes, batches);
      for (const kind of KINDS) expect([...taken[kind]].sort(), `${kind} at batch ${batches.join(', ')}`).toEqual([...KERNEL_PATHS[kind]].sort());
    }
  });

  it('the full sweep (batch 1, 3 and 8 over four nets) takes no branch the representative set misses', () => {
    const taken = pathsTaken(layerShapes(KERNEL_TEST_NETS), [1, 3, 8]);
    for (const kind of KINDS) {
      const unknown = [...taken[kind]].filter((p) => !KERNEL_PATHS[kind].includes(p));
      expect(unknown, kind).toEqual([]);
    }
  });
});
