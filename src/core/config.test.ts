import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, LIMITS, blocksPerGroup, nearestValidDepth, type Config } from './config';
import { decodeConfig, encodeConfig, fitToSample } from './url';
import { mulberry32 } from './rng';

function isValid(c: Config): boolean {
  const inRange = (v: number, b: { min: number; max: number }) => Number.isFinite(v) && v >= b.min && v <= b.max;
  return (
    blocksPerGroup(c.depth) !== null &&
    inRange(c.depth, LIMITS.depth) &&
    Number.isInteger(c.width) &&
    inRange(c.width, LIMITS.width) &&
    inRange(c.dropout, LIMITS.dropout) &&
    Number.isInteger(c.batch) &&
    inRange(c.batch, LIMITS.batch) &&
    inRange(c.lr, LIMITS.lr) &&
    inRange(c.train, LIMITS.train) &&
    inRange(c.test, LIMITS.test) &&
    c.compare.length <= LIMITS.compare.max &&
    c.compare.every((m) => blocksPerGroup(m.depth) !== null && inRange(m.width, LIMITS.width))
  );
}

describe('URL codec', () => {
  it('round-trips the defaults and a config with every field changed', () => {
    expect(decodeConfig(encodeConfig(DEFAULT_CONFIG))).toEqual({ config: DEFAULT_CONFIG, corrections: [] });
    const c: Config = {
      depth: 28,
      width: 10,
      dropout: 0.3,
      batch: 64,
      epochs: 200,
      lr: 0.05,
      schedule: 'cosine',
      warmup: 0.5,
      momentum: 0.85,
      nesterov: false,
      wd: 0.0001,
      train: 50000,
      test: 10000,
      subset: 'balanced',
      augment: false,
      seed: 123456789,
      backend: 'wasm',
      kernels: 'tfjs',
      engine: 'tfjs',
      evalEvery: 25,
      probe: 64,
      source: 'full',
      data: 'https://example.org/cifar-10-binary.tar.gz?x=1&y=2',
      compare: [
        { depth: 40, width: 4, dropout: 0 },
        { depth: 16, width: 8, dropout: 0.3 },
      ],
      seeds: 3,
      order: 'interleaved',
      budget: { kind: 'flops', flops: 2.5e15 },
    };
    const text = encodeConfig(c);
    expect(decodeConfig(text)).toEqual({ config: c, corrections: [] });
    expect(decodeConfig('#' + text).config).toEqual(c);
  });

  it('writes kernels only when not the default (older links read the same), and reads it back', () => {
    expect(encodeConfig(DEFAULT_CONFIG)).not.toContain('kernels');
    expect(encodeConfig({ ...DEFAULT_CONFIG, kernels: 'tfjs' })).toContain('&kernels=tfjs');
    expect(decodeConfig('depth=16&kernels=tfjs').config.kernels).toBe('tfjs');
    const bad = decodeConfig('kernels=fast');
    expect(bad.config.kernels).toBe('ours');
    expect(bad.corrections[0]).toMatchObject({ key: 'kernels', given: 'fast', used: 'ours' });
  });

  it('writes engine only when not the default (compiled), and reads it back', () => {
    expect(encodeConfig(DEFAULT_CONFIG)).not.toContain('engine');
    expect(encodeConfig({ ...DEFAULT_CONFIG, engine: 'tfjs' })).toContain('&engine=tfjs');
    expect(decodeConfig('depth=16&engine=tfjs').config.engine).toBe('tfjs');
    expect(decodeConfig('engine=COMPILED').config.engine).toBe('compiled');
    const bad = decodeConfig('engine=fast');
    expect(bad.config.engine).toBe('compiled');
    expect(bad.corrections[0]).toMatchObject({ key: 'engine', given: 'fast', used: 'compiled' });
  });

  it('reads the short readable form and leaves the rest at defaults', () => {
    const { config, corrections } = decodeConfig('#depth=16&width=4&dropout=0.3&batch=128');
    expect(corrections).toEqual([]);
    expect(config).toMatchObject({ depth: 16, width: 4, dropout: 0.3, batch: 128, lr: DEFAULT_CONFIG.lr });
  });

  it('moves an impossible depth to the nearest 6N+4 and says so', () => {
    const { config, corrections } = decodeConfig('depth=17');
    expect(config.depth).toBe(16);
    expect(corrections).toHaveLength(1);
    expect(corrections[0]).toMatchObject({ key: 'depth', given: '17', used: '16' });
    expect(corrections[0]!.reason).toMatch(/6N\+4/);
    expect(decodeConfig('depth=3').config.depth).toBe(10);
    expect(decodeConfig('depth=100000').config.depth).toBe(100);
  });

  it('a corrected depth is the nearest valid one: every whole depth from -50 to 1,000 against a brute-force search', () => {
    // the valid depths 6N+4 in range, searched one by one; ties go to the shallower net (the first found)
    const nearest = (d: number) => {
      let best = Number.NaN;
      for (let v = LIMITS.depth.min; v <= LIMITS.depth.max; v++) {
        if ((v - 4) % 6 === 0 && (Number.isNaN(best) || Math.abs(v - d) < Math.abs(best - d))) best = v;
      }
      return best;
    };
    for (let d = -50; d <= 1000; d++) {
      const { config, corrections } = decodeConfig(`depth=${d}&compare=${Math.max(d, 0)}-2`);
      expect(config.depth, `depth=${d}`).toBe(nearest(d));
      expect(
        corrections.some((c) => c.key === 'depth'),
        `depth=${d}: corrected`,
      ).toBe(config.depth !== d);
      expect(config.compare[0]?.depth, `compare=${Math.max(d, 0)}-2`).toBe(nearest(Math.max(d, 0)));
    }
    // and between whole numbers (the codec rounds first; the rule itself takes any number)
    for (let i = 0; i <= 1200; i++) expect(nearestValidDepth(i / 10), String(i / 10)).toBe(nearest(i / 10));
    expect([nearestValidDepth(13), nearestValidDepth(19), nearestValidDepth(13.01)]).toEqual([10, 16, 16]); // ties: the shallower
  });

  it('caps an absurd width, defaults a non-number, ignores unknown keys', () => {
    const { config, corrections } = decodeConfig('width=1000&dropout=abc&colour=blue');
    expect(config.width).toBe(LIMITS.width.max);
    expect(config.dropout).toBe(DEFAULT_CONFIG.dropout);
    expect(corrections.map((c) => c.key).sort()).toEqual(['colour', 'dropout', 'width']);
  });

  it('reads comparison lists and drops what is not a net', () => {
    const { config, corrections } = decodeConfig('compare=40-4,WRN-16-8-0.3,banana,17-2');
    expect(config.compare).toEqual([
      { depth: 40, width: 4, dropout: 0 },
      { depth: 16, width: 8, dropout: 0.3 },
      { depth: 16, width: 2, dropout: 0 },
    ]);
    expect(corrections).toHaveLength(2);
  });

  it('never throws and always yields a valid config on 2,000 random and malformed strings', () => {
    const rand = mulberry32(42);
    const keys = [
      'depth',
      'width',
      'dropout',
      'batch',
      'epochs',
      'lr',
      'schedule',
      'seed',
      'compare',
      'data',
      'source',
      'train',
      'v',
      'x',
      '',
      'seeds',
      'order',
      'budget',
    ];
    const junk = [
      '',
      '%',
      '%E0%A4%A',
      '=',
      '&&',
      'NaN',
      'Infinity',
      '-1',
      '1e999',
      '0x10',
      '17',
      '3.7',
      'abc',
      '1,2',
      'ok',
      '40-4,16-8',
      'sample',
      'full',
      '4000',
      'https://a.b/c',
      'javascript:alert(1)',
      '\u0000',
      '🙂',
      '1e-9',
      '-0',
      '  5 ',
      'time:600',
      'flops:2e15',
      'time:',
      'flops:-1',
      'time:1e99',
      'epochs:3',
      'interleaved',
      'TIME:0.5',
    ];
    const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)]!;
    for (let i = 0; i < 2000; i++) {
      let s = rand() < 0.5 ? '#' : '';
      const parts = 1 + Math.floor(rand() * 6);
      for (let p = 0; p < parts; p++) {
        if (rand() < 0.15) s += String.fromCharCode(...Array.from({ length: 8 }, () => Math.floor(rand() * 0x3000)));
        else s += `${pick(keys)}${rand() < 0.9 ? '=' : ''}${pick(junk)}${rand() < 0.9 ? '&' : '='}`;
      }
      const { config } = decodeConfig(s);
      expect(isValid(config), s).toBe(true);
      // and what it decoded re-encodes to a clean link
      expect(decodeConfig(encodeConfig(config))).toEqual({ config, corrections: [] });
    }
  });

  it('reads seeds, order and budget, and corrects what is off', () => {
    const { config, corrections } = decodeConfig('seeds=3&order=interleaved&budget=time:600');
    expect(corrections).toEqual([]);
    expect(config).toMatchObject({ seeds: 3, order: 'interleaved', budget: { kind: 'time', seconds: 600 } });
    expect(decodeConfig('budget=flops:2e15').config.budget).toEqual({ kind: 'flops', flops: 2e15 });
    expect(encodeConfig({ ...DEFAULT_CONFIG, budget: { kind: 'flops', flops: 2e15 } })).toContain('&budget=flops:2e15');
    expect(encodeConfig(DEFAULT_CONFIG)).toContain('&seeds=1&order=sequential&budget=epochs');

    const bad = decodeConfig('seeds=9&order=random&budget=time&x=1');
    expect(bad.config).toMatchObject({ seeds: 5, order: 'sequential', budget: { kind: 'epochs' } });
    expect(bad.corrections.map((c) => [c.key, c.used])).toEqual([
      ['seeds', '5'],
      ['order', 'sequential'],
      ['budget', 'epochs'],
      ['x', ''],
    ]);
    expect(bad.corrections[2]!.reason).toMatch(/time:600/);
    const capped = decodeConfig('budget=time:0.2');
    expect(capped.config.budget).toEqual({ kind: 'time', seconds: 1 });
    expect(capped.corrections[0]).toMatchObject({ key: 'budget', given: 'time:0.2', used: 'time:1' });
    expect(decodeConfig('budget=flops:abc').corrections[0]).toMatchObject({ key: 'budget', used: 'epochs' });
  });

  it('source=sample caps the subset sizes at the sample and says so; sizes left to the default just fit', () => {
    const given = decodeConfig('source=sample&train=4000&test=500');
    expect(given.config).toMatchObject({ source: 'sample', train: 2000, test: 500 });
    expect(given.corrections).toEqual([{ key: 'train', given: '4000', used: '2000', reason: 'the built-in sample holds 2,000 training images; capped' }]);
    const defaults = decodeConfig('#source=sample');
    expect(defaults).toEqual({ config: { ...DEFAULT_CONFIG, source: 'sample', train: 2000, test: 1000 }, corrections: [] });
    expect(encodeConfig(defaults.config)).toMatch(/&train=2000&test=1000&.*&source=sample/);
    expect(decodeConfig(encodeConfig(defaults.config))).toEqual(defaults);
    // 'auto' (the default) is not written, so links made before the key existed read the same
    expect(encodeConfig(DEFAULT_CONFIG)).not.toMatch(/source=/);
    expect(decodeConfig('source=full&train=50000').config).toMatchObject({ source: 'full', train: 50000 });
    expect(decodeConfig('source=disk').corrections[0]).toMatchObject({ key: 'source', used: 'auto' });
    // the defaults fit the sample: a first visit on a host without CIFAR-10 needs no correction
    expect(fitToSample(DEFAULT_CONFIG).corrections).toEqual([]);
    // the page's runtime fallback (auto on a host without CIFAR-10) reports every cap of a config that does not fit
    const big = decodeConfig('v=2&train=10000&test=2000').config;
    expect(fitToSample(big).corrections.map((c) => `${c.key}:${c.given}->${c.used}`)).toEqual(['train:10000->2000', 'test:2000->1000']);
  });

  it('versions: v=2 is written; a v=1 link, or one without v, reads with the defaults it was made with', () => {
    expect(encodeConfig(DEFAULT_CONFIG)).toMatch(/^v=2&/);
    expect(DEFAULT_CONFIG).toMatchObject({ train: 2000, test: 1000 });
    // version 1's subsets were 10,000 + 2,000: a link that left them out still trains those
    for (const text of ['v=1&depth=28&width=10', 'depth=28&width=10', '#depth=28&width=10']) {
      const d = decodeConfig(text);
      expect(d.corrections).toEqual([]);
      expect(d.config).toEqual({ ...DEFAULT_CONFIG, depth: 28, width: 10, train: 10000, test: 2000 });
    }
    // a version 1 link written by the page (every key) reads the same, and so does its version 2 rewrite
    const v1 =
      'v=1&depth=16&width=4&dropout=0&batch=128&epochs=5&lr=0.1&schedule=step&warmup=0&momentum=0.9&nesterov=1&wd=0.0005&train=10000&test=2000&subset=first&augment=1&seed=0&backend=auto&eval=0&seeds=1&order=sequential&budget=epochs';
    const old = decodeConfig(v1);
    expect(old).toEqual({ config: { ...DEFAULT_CONFIG, train: 10000, test: 2000 }, corrections: [] });
    expect(decodeConfig(encodeConfig(old.config))).toEqual(old);
    // a bad value in a version 1 link falls back to version 1's default
    expect(decodeConfig('v=1&train=lots').config.train).toBe(10000);
    expect(decodeConfig('v=2&train=lots').config.train).toBe(2000);
    // today's version, and an empty text, take today's defaults; an unknown version says so and reads as today's
    expect(decodeConfig('v=2&depth=28').config).toEqual({ ...DEFAULT_CONFIG, depth: 28 });
    expect(decodeConfig('')).toEqual({ config: DEFAULT_CONFIG, corrections: [] });
    for (const v of ['3', '0', 'x', 'toString']) {
      const d = decodeConfig(`v=${v}&depth=28`);
      expect(d.config).toEqual({ ...DEFAULT_CONFIG, depth: 28 });
      expect(d.corrections).toEqual([{ key: 'v', given: v, used: '2', reason: 'unknown format version; read as version 2' }]);
    }
    // on the sample, a version 1 link that left the sizes out fits silently, as it always did
    expect(decodeConfig('source=sample&depth=10')).toEqual({ config: { ...DEFAULT_CONFIG, source: 'sample', depth: 10 }, corrections: [] });
  });

  it('nearestValidDepth maps onto 6N+4', () => {
    for (let d = 0; d < 120; d++) expect(blocksPerGroup(nearestValidDepth(d))).not.toBeNull();
  });
});
