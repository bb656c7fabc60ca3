import { describe, expect, it } from 'vitest';
import { validateField } from './fieldValidation';

describe('validateField', () => {
  it('accepts valid values with the codec’s parsing', () => {
    expect(validateField('width', '10')).toEqual({ ok: true, value: 10 });
    expect(validateField('dropout', '0.3')).toEqual({ ok: true, value: 0.3 });
    expect(validateField('data', 'https://example.org/cifar.tar.gz')).toMatchObject({ ok: true });
  });

  it('explains bounds, whole numbers and the depth rule', () => {
    expect(validateField('width', '1000')).toEqual({ ok: false, message: 'must be from 1 to 16' });
    expect(validateField('batch', '2.5')).toEqual({ ok: false, message: 'must be a whole number' });
    expect(validateField('dropout', 'abc')).toEqual({ ok: false, message: 'enter a number' });
    expect(validateField('depth', '17')).toMatchObject({ ok: false, message: expect.stringMatching(/6N\+4/) });
    expect(validateField('data', 'ftp://x')).toMatchObject({ ok: false });
  });
});
