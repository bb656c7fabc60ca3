import { describe, expect, it } from 'vitest';
import { formatRate } from './format';

describe('formatRate', () => {
  it('shows a learning rate as a link would hold it: no exponent, no float noise', () => {
    expect(formatRate(0.05)).toBe('0.05');
    expect(formatRate(0.001)).toBe('0.001');
    expect(formatRate(0.1 * 0.2 * 0.2 * 0.2)).toBe('0.0008'); // 0.0008000000000000003 in floating point
    expect(formatRate(1 / 3)).toBe('0.3333');
    expect(formatRate(1e-6)).toBe('0.000001');
    expect(formatRate(10)).toBe('10');
  });
});
