/**
 * SGD with (Nesterov) momentum and the paper's weight decay as one dispatch over the flat weights, gradients and
 * momentum buffers: the update of tfjs's MomentumOptimizer fed g + wd * w (trainer.ts), op for op as the fused
 * WebGPU kernel (kernels/webgpu/momentum.ts) does it:
 *   g' = g + w * wd;  a' = a * momentum + g';  w' = w + -lr * (nesterov ? g' + a' * momentum : a')
 * The learning rate comes from the step's uniform block (a schedule or a rate set by hand changes nothing else);
 * momentum, decay and Nesterov are constants of the plan.
 */
import type { Kernel, Slice } from './gpu';
import { grid1d } from './gpu';
import { f32, FLAT_MAIN, flatIndex, stepUniformStruct } from './wgsl';

export interface Recipe {
  momentum: number;
  nesterov: boolean;
  wd: number;
}

const WG = 64;

export function sgdKernel(
  label: string,
  floats: number,
  r: Recipe,
  io: { weights: Slice; grads: Slice; momentum: Slice; uniform: Slice },
  keyCount: number,
  maxPerDim?: number,
): Kernel {
  if (floats % 4 !== 0) throw new Error(`${label}: the flat buffers hold a multiple of 4 floats, got ${floats}`);
  const n4 = floats / 4;
  const code = /* wgsl */ `// optimizer: ${floats} parameters
${stepUniformStruct(keyCount)}
@group(0) @binding(0) var<storage, read_write> w : array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> grads : array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> acc : array<vec4<f32>>;
@group(0) @binding(3) var<uniform> step : Step;
@compute @workgroup_size(${WG})
fn main(${FLAT_MAIN}) {
  ${flatIndex(WG)}
  if (index >= ${n4}) { return; }
  let wi = w[index];
  let g = grads[index] + wi * ${f32(r.wd)};
  let a = acc[index] * ${f32(r.momentum)} + g;
  acc[index] = a;
  w[index] = wi + -step.lr * ${r.nesterov ? `(g + a * ${f32(r.momentum)})` : 'a'};
}
`;
  return {
    kind: 'optimizer',
    label,
    code,
    bindings: [
      { slice: io.weights, access: 'read_write' },
      { slice: io.grads, access: 'read' },
      { slice: io.momentum, access: 'read_write' },
      { slice: io.uniform, access: 'uniform' },
    ],
    workgroups: grid1d(n4, WG, maxPerDim),
  };
}
