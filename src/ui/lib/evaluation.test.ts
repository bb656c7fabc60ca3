import { describe, expect, it } from 'vitest';
import { chwToRgba, perClassAccuracy, selectSamples } from './evaluation';

describe('evaluation helpers', () => {
  it('perClassAccuracy divides the diagonal by each row, NaN for empty rows', () => {
    const confusion = new Array<number>(100).fill(0);
    confusion[0] = 3; // airplane right
    confusion[1] = 1; // airplane taken for automobile
    confusion[11] = 2; // automobile right
    const acc = perClassAccuracy(confusion);
    expect(acc[0]).toBe(0.75);
    expect(acc[1]).toBe(1);
    expect(acc[2]).toBeNaN();
  });

  it('chwToRgba interleaves the R, G and B planes', () => {
    const pixels = new Uint8Array(2 * 3072);
    pixels[3072] = 10; // record 1, R of pixel 0
    pixels[3072 + 1024] = 20; // G
    pixels[3072 + 2048] = 30; // B
    expect([...chwToRgba(pixels, 1).slice(0, 4)]).toEqual([10, 20, 30, 255]);
  });

  it('selectSamples filters the mistakes on one true class', () => {
    const labels = new Uint8Array([3, 3, 5, 3]);
    const predictions = new Uint8Array([3, 5, 5, 1]);
    expect(selectSamples(labels, predictions, null)).toHaveLength(4);
    expect(selectSamples(labels, predictions, 3).map((s) => s.index)).toEqual([1, 3]);
    expect(selectSamples(labels, null, 3)).toEqual([]);
  });
});
