/** Backend planning (pure) and adapter classification. initBackend itself is exercised in cli/gpu.test.ts. */
import { describe, expect, it } from 'vitest';
import { BACKENDS } from './config';
import { describeAdapter, planBackends, type WebGpuProbe } from './backend';

const hardware: WebGpuProbe = { isSoftware: false, adapter: 'nvidia / ampere' };
const software: WebGpuProbe = { isSoftware: true, adapter: 'swiftshader' };

describe('planBackends', () => {
  it('auto with a hardware adapter: WebGPU first, then WebGL (same GPU), WASM, CPU', () => {
    const plan = planBackends('auto', hardware);
    expect(plan.order).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(plan.reason).toMatch(/hardware GPU/);
    expect(plan.reason).toContain('nvidia / ampere');
  });

  it('auto with a software adapter: WASM first, and the reason names the adapter', () => {
    const plan = planBackends('auto', software);
    expect(plan.order[0]).toBe('wasm');
    expect(plan.order).toEqual(['wasm', 'webgl', 'webgpu', 'cpu']);
    expect(plan.reason).toMatch(/swiftshader/);
    expect(plan.reason).toMatch(/software/);
  });

  it('auto with no adapter: WASM first, and WebGPU is not tried', () => {
    const plan = planBackends('auto', null);
    expect(plan.order).toEqual(['wasm', 'webgl', 'cpu']);
    expect(plan.reason).toMatch(/no WebGPU/);
  });

  it('an explicit webgpu is honoured even on a software adapter, with a warning in the reason', () => {
    const plan = planBackends('webgpu', software);
    expect(plan.order[0]).toBe('webgpu');
    expect(plan.reason).toMatch(/asked for/);
    expect(plan.reason).toMatch(/software/);
  });

  it.each([
    ['webgpu', null],
    ['webgl', hardware],
    ['wasm', hardware],
    ['webgl', software],
  ] as const)('explicit %s comes first whatever the adapter', (pref, probe) => {
    const plan = planBackends(pref, probe);
    expect(plan.order[0]).toBe(pref);
    expect(plan.reason).toBe(`${pref} was asked for`);
  });

  it('explicit cpu is just cpu', () => {
    expect(planBackends('cpu', hardware).order).toEqual(['cpu']);
  });

  it.each(BACKENDS.flatMap((pref) => [hardware, software, null].map((probe) => [pref, probe] as const)))(
    '%s / %o: ends at cpu, no repeats',
    (pref, probe) => {
      const { order } = planBackends(pref, probe);
      expect(order[order.length - 1]).toBe('cpu');
      expect(new Set(order).size).toBe(order.length);
    },
  );
});

describe('describeAdapter', () => {
  it('SwiftShader as Chromium and Dawn report it', () => {
    const info = { vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0' };
    expect(describeAdapter(info)).toEqual({ isSoftware: true, adapter: 'swiftshader' });
  });

  it('a flagged fallback adapter is software whatever its name (on the info or the adapter)', () => {
    expect(describeAdapter({ vendor: 'acme', architecture: 'x', isFallbackAdapter: true }).isSoftware).toBe(true);
    expect(describeAdapter({ vendor: 'acme', architecture: 'x' }, true).isSoftware).toBe(true);
  });

  it('Mesa llvmpipe from the description', () => {
    expect(describeAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toEqual({ isSoftware: true, adapter: 'llvmpipe' });
  });

  it('a hardware GPU: vendor / architecture, or the description', () => {
    expect(describeAdapter({ vendor: 'nvidia', architecture: 'ampere' })).toEqual({ isSoftware: false, adapter: 'nvidia / ampere' });
    expect(describeAdapter({ description: 'Apple M2' })).toEqual({ isSoftware: false, adapter: 'Apple M2' });
    expect(describeAdapter({})).toEqual({ isSoftware: false, adapter: 'unnamed adapter' });
  });
});
