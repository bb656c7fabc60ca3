import { describe, expect, it } from 'vitest';
import { costOfName, wrnCost } from './cost';
import { wrnArchitecture } from './shape';

describe('costs from names', () => {
  it("reads the page's, the CLI's and train.py's model names", () => {
    expect(costOfName('WRN-10-1')).toEqual(wrnCost({ depth: 10, width: 1, dropout: 0 }));
    expect(costOfName('WRN-28-10 (dropout 0.3)')?.params).toBe(36479194);
    expect(costOfName('ResNet-18')).toBeNull();
    expect(costOfName('WRN-11-1')).toBeNull(); // no WRN has depth 11
  });

  it("leaves the cost of a net past the builder's limits unknown, without walking its layers", () => {
    // WRN-600004-1 has 100,000 blocks per group: counted layer by layer it was a cost; past the limits it is none.
    expect(costOfName('WRN-600004-1')).toBeNull();
    expect(costOfName('WRN-16-17')).toBeNull();
    // Walked block by block this name took days (a billion blocks): it is refused before any walk.
    expect(costOfName('WRN-6000000000004-1')).toBeNull();
    expect(costOfName(`WRN-${'9'.repeat(100_000)}-1`)).toBeNull();
    expect(() => wrnArchitecture({ depth: 6000000000004, width: 1, dropout: 0 })).toThrow(/at most 100/);
    expect(() => wrnArchitecture({ depth: 16, width: 1e9, dropout: 0 })).toThrow(/at most 16/);
  });
});
