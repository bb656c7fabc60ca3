import { describe, expect, it } from 'vitest';
import { parseCsv, toCsv } from './csv';

describe('csv', () => {
  it('round-trips commas, quotes and newlines', () => {
    const rows = [
      ['a', 'b,c', 'say "hi"'],
      ['line\nbreak', '', '3.5'],
    ];
    expect(parseCsv(toCsv(rows))).toEqual(rows);
  });

  it('writes numbers and nulls plainly', () => {
    expect(toCsv([[1, null, 'x']])).toBe('1,,x\r\n');
  });

  it('accepts LF line ends, skips blank lines and a missing final newline', () => {
    expect(parseCsv('a,b\n\n1,2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('rejects an unterminated quote', () => {
    expect(() => parseCsv('"abc')).toThrow(/quoted/);
  });
});
