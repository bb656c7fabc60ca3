import { describe, expect, it } from 'vitest';
import { failureOfGpuError } from './deviceWatch';

describe('failureOfGpuError', () => {
  it('calls buffer allocations past the limits out of memory', () => {
    expect(failureOfGpuError('Buffer size (4294967296) exceeds the max buffer size limit (268435456).').code).toBe('out-of-memory');
    expect(failureOfGpuError('Binding size (300000000) is larger than the maximum storage buffer binding size (maxStorageBufferBindingSize)').code).toBe(
      'out-of-memory',
    );
    expect(failureOfGpuError('anything', true).code).toBe('out-of-memory');
  });

  it('calls other validation errors a backend failure, not memory (a shader binding too many buffers is a bug)', () => {
    // Dawn's message for tfjs-webgpu's AddN over 9 tensors, as seen on SwiftShader and an H200.
    const f = failureOfGpuError('The number of storage buffers (10) in the Compute stage exceeds the maximum per-stage limit (8).');
    expect(f.code).toBe('backend');
    expect(f.message).toMatch(/can no longer be trusted/);
  });
});
