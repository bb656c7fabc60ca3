import { describe, expect, it } from 'vitest';
import { CifarFormatError, CifarSourceError } from './data/errors';
import { classifyError, RunFailure } from './runErrors';

describe('classifyError', () => {
  it.each([
    [new RunFailure('device-lost', 'gone'), 'device-lost'],
    [new CifarFormatError('data_batch_1.bin: 100 bytes is not a multiple of 3073'), 'bad-data'],
    [new CifarSourceError('GET x: HTTP 404'), 'bad-data'],
    [new Error('Device is lost'), 'device-lost'],
    [new Error('WebGL context lost'), 'device-lost'],
    [new RangeError('Array buffer allocation failed'), 'out-of-memory'],
    [new Error('Buffer size (4294967296) exceeds the max buffer size limit (268435456).'), 'out-of-memory'],
    [new Error('RuntimeError: Aborted(Cannot enlarge memory arrays)'), 'out-of-memory'],
    [new RangeError('WRN depth must be 6N+4 with N >= 1; got 11'), 'bad-config'],
    [new TypeError('x is undefined'), 'internal'],
    ['a string', 'internal'],
  ])('%s -> %s', (err, code) => {
    const c = classifyError(err);
    expect(c.code).toBe(code);
    expect(c.suggestion.length).toBeGreaterThan(10);
  });

  it('suggests a smaller batch or width for out-of-memory', () => {
    expect(classifyError(new Error('GPUOutOfMemoryError')).suggestion).toMatch(/smaller batch or width/);
  });
});
