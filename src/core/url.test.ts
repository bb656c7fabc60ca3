/**
 * The URL codec against hostile input: a link is untrusted text decoded on the page's main thread at load, so its
 * cost must grow linearly with its length, and what it says back must stay readable.
 */
import { describe, expect, it } from 'vitest';
import { hasControls } from './echo';
import { LIMITS } from './config';
import { decodeConfig, describeCorrection, describeCorrections } from './url';

/** Milliseconds to decode `text`, the best of `repeats` tries (the machine is shared; the minimum is the honest one). */
function decodeMs(text: string, repeats = 3): number {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    decodeConfig(text);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

describe('URL codec on hostile input', () => {
  // Each of these made a backtracking pattern quadratic: a long run of digits that fails only at its end.
  const shapes: Record<string, (n: number) => string> = {
    'a number': (n) => `depth=${'1'.repeat(n)}x`,
    'a decimal': (n) => `lr=0.${'1'.repeat(n)}x`,
    'a compare dropout': (n) => `compare=16-4-${'1'.repeat(n)}x`,
    'a compare dropout with a point': (n) => `compare=16-4-1.${'1'.repeat(n)}x`,
  };

  for (const [what, make] of Object.entries(shapes)) {
    it(`decodes ${what} of 100,000 characters in linear time`, () => {
      decodeMs(make(1000)); // warm the regexp compiler
      const small = decodeMs(make(10_000));
      const large = decodeMs(make(100_000));
      // Quadratic code took about 12 s at 100,000 (x100 the 10,000 case); linear code takes a few ms. Both bounds
      // leave a loaded machine plenty of room and still fail the old code by far.
      expect(large).toBeLessThan(500);
      expect(large).toBeLessThan(20 * Math.max(small, 1));
      const { config, corrections } = decodeConfig(make(100_000));
      expect(corrections.length).toBeGreaterThan(0);
      expect(config.depth).toBeGreaterThanOrEqual(LIMITS.depth.min);
    });
  }

  it('says what an entry that is not key=value was, once', () => {
    const { corrections } = decodeConfig('=5&depth=16');
    expect(corrections).toHaveLength(1);
    expect(describeCorrection(corrections[0]!)).toBe('"=5": not a key=value pair, ignored');
    expect(describeCorrection(decodeConfig('banana').corrections[0]!)).toBe('"banana": not a key=value pair, ignored');
  });

  it('caps a number too large for a double like any other large number', () => {
    for (const text of ['1e30', '1e309', '9'.repeat(400)]) {
      const { config, corrections } = decodeConfig(`depth=${text}&seed=${text}`);
      expect(config.depth).toBe(100);
      expect(config.seed).toBe(LIMITS.seed.max);
      expect(corrections.map((c) => c.reason)).toEqual([expect.stringMatching(/capped/), expect.stringMatching(/capped/)]);
    }
    expect(decodeConfig('depth=-1e309').config.depth).toBe(LIMITS.depth.min);
    expect(decodeConfig('lr=1e-400').corrections[0]!.reason).toMatch(/capped/); // 0, below the minimum
  });

  it('cuts a long value short in its message, with an ellipsis and the length', () => {
    const value = 'x'.repeat(100_000);
    for (const text of [`depth=${value}`, `${value}=1`, value]) {
      const [c] = decodeConfig(text).corrections;
      const message = describeCorrection(c!);
      expect(message.length).toBeLessThan(200);
      expect(message).toMatch(/\.\.\. \(100,00\d characters\)/);
    }
  });

  it('quotes no more than the start of a compare item that is not a net, and escapes control characters', () => {
    const { corrections } = decodeConfig(`compare=${'x'.repeat(120_000)}`);
    const lines = describeCorrections(corrections);
    expect(lines.join('\n').length).toBeLessThan(600);
    expect(lines.join('\n')).toMatch(/120,000 characters/);
    const [c] = decodeConfig('depth=%1B]0;pwned%07%1B[2J').corrections;
    const message = describeCorrection(c!);
    expect(hasControls(message)).toBe(false);
    expect(message).toContain('\\x1b]0;pwned\\x07\\x1b[2J');
  });

  it('collapses a 1 MB compare list into a few corrections and lines', () => {
    const { config, corrections } = decodeConfig(`compare=${Array(200_000).fill('16-4').join(',')}`);
    expect(config.compare).toHaveLength(LIMITS.compare.max);
    expect(corrections.length).toBeLessThan(10);
    const lines = describeCorrections(corrections);
    expect(lines.at(-1)).toMatch(/at most 6 comparison runs; 199,991 more dropped/);
    // Corrections of any number read as a few lines, the rest counted.
    const many = decodeConfig(Array.from({ length: 50_000 }, (_, i) => `k${i}=1`).join('&')).corrections;
    expect(many).toHaveLength(50_000);
    expect(describeCorrections(many)).toEqual([...many.slice(0, 12).map(describeCorrection), '49,988 more like this: unknown key, ignored']);
  });
});
