import { describe, expect, it } from 'vitest';
import { CifarFormatError } from '../../src/core/data/errors';
import { TRAIN_RECORDS, sharedBytes } from '../../test/fixtures/data';
import { measureParseThroughput } from './parseThroughput';

describe('measureParseThroughput', () => {
  it('parses the real train subset and reports MB/s', async () => {
    const r = await measureParseThroughput(sharedBytes('train_subset.bin'));
    expect(r.records).toBe(TRAIN_RECORDS);
    expect(r.bytes).toBe(TRAIN_RECORDS * 3073);
    expect(r.mbPerSec).toBeGreaterThan(0);
    expect(r.mbPerSec).toBeCloseTo(r.bytes / 1e6 / r.seconds, 6);
  });

  it('rejects bytes that are not CIFAR-10', async () => {
    await expect(measureParseThroughput(new Uint8Array(100))).rejects.toBeInstanceOf(CifarFormatError);
  });
});
