/** Backend planning (pure) and adapter classification. initBackend itself is exercised in src/node/gpu.webgpu.test.ts. */
import { describe, expect, it } from 'vitest';
import { BACKENDS } from './config';
import { describeAdapter, describeRenderer, planBackends, type WebGlProbe, type WebGpuProbe } from './backend';

const hardware: WebGpuProbe = { isSoftware: false, adapter: 'nvidia / ampere' };
const software: WebGpuProbe = { isSoftware: true, adapter: 'swiftshader' };
const glHardware: WebGlProbe = { isSoftware: false, renderer: 'NVIDIA GeForce RTX 3080' };
const glSoftware: WebGlProbe = { isSoftware: true, renderer: 'swiftshader' };

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

  it('auto, no WebGPU, WebGL on a hardware GPU: WebGL before WASM, and the reason says which GPU and why', () => {
    const plan = planBackends('auto', null, glHardware);
    expect(plan.order).toEqual(['webgl', 'wasm', 'cpu']);
    expect(plan.reason).toBe('no WebGPU; WebGL on NVIDIA GeForce RTX 3080 (a hardware GPU)');
  });

  it('auto, a software WebGPU adapter but WebGL on a hardware GPU: WebGL first, the emulated WebGPU last', () => {
    const plan = planBackends('auto', software, glHardware);
    expect(plan.order).toEqual(['webgl', 'wasm', 'webgpu', 'cpu']);
    expect(plan.reason).toMatch(/^WebGL on NVIDIA GeForce RTX 3080 \(a hardware GPU\)/);
    expect(plan.reason).toMatch(/swiftshader, a software emulation/);
  });

  it('auto with WebGL on a software renderer plans as before (WASM first: this machine), naming the renderer', () => {
    const none = planBackends('auto', null, glSoftware);
    expect(none.order).toEqual(['wasm', 'webgl', 'cpu']);
    expect(none.reason).toMatch(/no WebGPU/);
    expect(none.reason).toMatch(/WebGL's renderer is swiftshader, a software emulation/);
    const both = planBackends('auto', software, glSoftware);
    expect(both.order).toEqual(['wasm', 'webgl', 'webgpu', 'cpu']);
    expect(both.reason).toMatch(/WebGL's renderer is swiftshader, software too/);
  });

  it('a hardware WebGPU adapter wins over WebGL whatever its renderer', () => {
    expect(planBackends('auto', hardware, glHardware)).toEqual(planBackends('auto', hardware, null));
    expect(planBackends('auto', hardware, glSoftware).order[0]).toBe('webgpu');
  });

  it('an explicit backend still wins over a hardware WebGL, which then comes next', () => {
    expect(planBackends('wasm', null, glHardware)).toEqual({ order: ['wasm', 'webgl', 'cpu'], reason: 'wasm was asked for' });
    expect(planBackends('cpu', null, glHardware).order).toEqual(['cpu']);
  });

  it('an explicit webgl on a software renderer warns that it will be slow', () => {
    const plan = planBackends('webgl', null, glSoftware);
    expect(plan.order[0]).toBe('webgl');
    expect(plan.reason).toMatch(/asked for \(its renderer, swiftshader, is a software emulation/);
    expect(planBackends('webgl', null, glHardware).reason).toBe('webgl was asked for');
  });

  it('explicit cpu is just cpu', () => {
    expect(planBackends('cpu', hardware).order).toEqual(['cpu']);
  });

  it.each(
    BACKENDS.flatMap((pref) => [hardware, software, null].flatMap((probe) => [glHardware, glSoftware, null].map((gl) => [pref, probe, gl] as const))),
  )('%s / %o / %o: ends at cpu, no repeats', (pref, probe, gl) => {
    const { order } = planBackends(pref, probe, gl);
    expect(order[order.length - 1]).toBe('cpu');
    expect(new Set(order).size).toBe(order.length);
  });
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

describe('describeRenderer (WebGL unmasked renderer strings as browsers report them)', () => {
  it.each([
    ['ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver-5.0.0)', 'swiftshader'],
    ['Google SwiftShader', 'swiftshader'],
    ['llvmpipe (LLVM 15.0.6, 256 bits)', 'llvmpipe'],
    ['softpipe', 'softpipe'],
    ['ANGLE (Mesa, llvmpipe (LLVM 12.0.0, 256 bits), OpenGL 4.5)', 'llvmpipe'],
    ['ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0, D3D11)', 'microsoft basic render'],
    ['Apple Software Renderer', 'software renderer'],
  ])('%s is software (%s)', (raw, renderer) => {
    expect(describeRenderer(raw)).toEqual({ isSoftware: true, renderer });
  });

  it.each([
    ['ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 (0x00002206) Direct3D11 vs_5_0 ps_5_0, D3D11)', 'NVIDIA GeForce RTX 3080'],
    ['ANGLE (Intel, Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6)', 'Mesa Intel(R) UHD Graphics 620 (KBL GT2)'],
    ['ANGLE (Apple, ANGLE Metal Renderer: Apple M1, Unspecified Version)', 'Apple M1'],
    ['NVIDIA GeForce GTX 1080/PCIe/SSE2', 'NVIDIA GeForce GTX 1080/PCIe/SSE2'],
    ['Apple GPU', 'Apple GPU'],
  ])('%s is a hardware GPU, shown as %s', (raw, renderer) => {
    expect(describeRenderer(raw)).toEqual({ isSoftware: false, renderer });
  });

  it('a renderer the browser flags with a major performance caveat is software whatever its name', () => {
    expect(describeRenderer('Some GPU', true)).toEqual({ isSoftware: true, renderer: 'Some GPU' });
  });

  it('an empty renderer string (hidden by the browser) is named as such', () => {
    expect(describeRenderer('')).toEqual({ isSoftware: false, renderer: 'an unnamed renderer' });
  });
});
