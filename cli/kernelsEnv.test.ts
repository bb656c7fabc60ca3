import { describe, expect, it } from 'vitest';
import { cliKernels, parseKernelChoice } from './kernelsEnv';

describe('WRN_KERNELS (the CLI only)', () => {
  it('reads ours or tfjs from text; anything else is no choice', () => {
    expect(parseKernelChoice('tfjs')).toBe('tfjs');
    expect(parseKernelChoice(' OURS ')).toBe('ours');
    expect(parseKernelChoice('fast')).toBeNull();
    expect(parseKernelChoice(undefined)).toBeNull();
  });

  it("gives tfjs's kernels when the config or the environment asks for them, else ours", () => {
    expect(cliKernels('ours', {})).toBe('ours');
    expect(cliKernels('tfjs', {})).toBe('tfjs');
    expect(cliKernels('ours', { WRN_KERNELS: 'tfjs' })).toBe('tfjs');
    expect(cliKernels('tfjs', { WRN_KERNELS: 'ours' })).toBe('tfjs');
    expect(cliKernels('ours', { WRN_KERNELS: 'nonsense' })).toBe('ours');
  });
});
