/** `wrn export` as a person runs it (export.torch.test.ts runs what it writes against `wrn train`). */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/core/config';
import { TRAIN_TEMPLATE } from '../../src/core/export/trainTemplate.generated';
import { cli } from '../cliHarness';

const scratch = mkdtempSync(path.join(tmpdir(), 'wrn-export-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const wrn = (...args: string[]) => cli(args);

describe('wrn export', () => {
  it('writes train.py and config.json for the config, and refuses bad usage with exit code 2', async () => {
    const out = path.join(scratch, 'plain');
    const r = await wrn('export', 'depth=28&width=10&epochs=200&train=50000&test=10000', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ trainPy: path.join(out, 'train.py'), config: path.join(out, 'config.json') });
    const doc = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(doc.config).toMatchObject({ depth: 28, width: 10, epochs: 200, train: 50000 });
    expect(readFileSync(path.join(out, 'train.py'), 'utf8')).toContain('"url": "v=2&depth=28&width=10');

    const help = await wrn('export', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: npm run -s wrn -- export '<config>' --out DIR");
    expect((await wrn('export', 'depth=10')).code).toBe(2); // no --out
    const bad = await wrn('export', 'depth=11', '--out', path.join(scratch, 'bad'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/depth/);
    expect(existsSync(path.join(scratch, 'bad'))).toBe(false);
  }, 60_000);
});

describe("train.py's own checks", () => {
  it("holds the page's limits (config.ts LIMITS), number for number", () => {
    const block = /LIMITS = json\.loads\(r"""\n([\s\S]*?)\n"""\)/.exec(TRAIN_TEMPLATE);
    expect(block).not.toBeNull();
    expect(JSON.parse(block![1]!)).toEqual(JSON.parse(JSON.stringify(LIMITS)));
  });
});
