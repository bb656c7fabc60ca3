/** For the history's unit tests: a small, valid checkpoint of model 0 at `step` (its weight holds the step). */
import type { Checkpoint } from '../../core/checkpoint';

export function checkpointAt(step: number, modelIndex = 0): Checkpoint {
  return {
    version: 1,
    config: 'depth=10&width=1',
    modelIndex,
    modelName: 'WRN-10-1',
    step,
    epoch: step / 10,
    trainImages: 80,
    seconds: step,
    flops: step,
    lastEval: null,
    savedAt: '2026-11-29T09:00:00.000Z',
    weights: [{ name: 'conv0/kernel', shape: [3], dtype: 'float32', data: Float32Array.of(1, 2, step) }],
    optimizer: [{ name: 'conv0/kernel/momentum', shape: [1], dtype: 'float32', data: Float32Array.of(step) }],
    dataOrder: { perm: Int32Array.of(2, 0, 1), next: step % 3 },
    rng: { dropoutMasks: [] },
  };
}
