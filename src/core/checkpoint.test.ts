/** The checkpoint's file format and shape check, on a small hand-made checkpoint (the real ones: runner.test.ts). */
import { describe, expect, it } from 'vitest';
import { checkpointBuffers, checkpointProblem, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint';

function sample(): Checkpoint {
  return {
    version: 1,
    config: 'v=1&depth=10&width=1',
    modelIndex: 0,
    modelName: 'WRN-10-1',
    step: 3,
    epoch: 0.75,
    trainImages: 32,
    seconds: 1.5,
    flops: 123456,
    weights: [
      { name: 'conv0/kernel', shape: [3, 3, 3, 2], dtype: 'float32', data: Float32Array.from({ length: 54 }, (_, i) => i / 7 - 3) },
      { name: 'logits/bias', shape: [10], dtype: 'float32', data: new Float32Array(10).fill(-0.5) },
    ],
    optimizer: [{ name: 'conv0/kernel/momentum', shape: [3, 3, 3, 2], dtype: 'float32', data: Float32Array.from({ length: 54 }, (_, i) => Math.sin(i)) }],
    dataOrder: { perm: Int32Array.from([5, 2, 7, 0, 1, 3, 6, 4]), next: 6 },
    rng: { dropoutMasks: [3, 3] },
    lastEval: null,
    savedAt: '2026-11-29T09:00:00.000Z',
  };
}

describe('checkpoint file', () => {
  it('round-trips every field and every value exactly', () => {
    const c = sample();
    expect(checkpointProblem(c)).toBeNull();
    expect(decodeCheckpoint(encodeCheckpoint(c))).toEqual(c);
  });

  it('refuses other files, cut-short files and arrays that do not match their shape, saying which', () => {
    const bytes = encodeCheckpoint(sample());
    expect(() => decodeCheckpoint(new TextEncoder().encode('{"not":"a checkpoint"}'))).toThrow(/not a checkpoint file/);
    expect(() => decodeCheckpoint(bytes.subarray(0, 20))).toThrow(/cut short/);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 1))).toThrow(/damaged: its checksum does not match/);
    expect(() => decodeCheckpoint(olderFile(sample()).subarray(0, -1))).toThrow(/cut short \(array/);
    const bad = sample();
    bad.weights[1]!.shape = [11];
    expect(checkpointProblem(bad)).toMatch(/logits\/bias does not match its shape/);
    expect(checkpointProblem({ ...sample(), version: 2 })).toMatch(/version 2/);
    expect(checkpointProblem(null)).toBe('not an object');
  });

  it('keeps a hand-set learning rate (null: the schedule), reads files without one, and refuses a rate that is none', () => {
    expect(decodeCheckpoint(encodeCheckpoint({ ...sample(), lrOverride: 0.002 })).lrOverride).toBe(0.002);
    expect(decodeCheckpoint(encodeCheckpoint({ ...sample(), lrOverride: null })).lrOverride).toBeNull();
    expect(decodeCheckpoint(encodeCheckpoint(sample())).lrOverride).toBeUndefined(); // an older file: the schedule
    for (const bad of [0, -0.1, Number.NaN, Number.POSITIVE_INFINITY, '0.1'])
      expect(checkpointProblem({ ...sample(), lrOverride: bad })).toMatch(/lrOverride .* is not a learning rate/);
  });

  it('refuses a file with any bit flipped, and still reads the older files that carry no checksum', () => {
    const bytes = encodeCheckpoint(sample());
    // Every byte of the file, header and payload alike: a flipped bit anywhere is seen.
    for (let at = 0; at < bytes.length; at += 7) {
      const flipped = bytes.slice();
      flipped[at]! ^= 1 << (at % 8);
      expect(() => decodeCheckpoint(flipped), `bit flipped at byte ${at}`).toThrow(/damaged|not a checkpoint/);
    }
    expect(decodeCheckpoint(olderFile(sample()))).toEqual(sample());
  });

  it('lists each array buffer once for a transfer', () => {
    expect(checkpointBuffers(sample())).toHaveLength(4);
  });
});

/** The file as checkpoints were written before they carried a checksum: magic WRNCKPT1, no CRC-32 at the end. */
function olderFile(c: Checkpoint): Uint8Array {
  const bytes = encodeCheckpoint(c).slice(0, -4);
  bytes.set(new TextEncoder().encode('WRNCKPT1'), 0);
  return bytes;
}
