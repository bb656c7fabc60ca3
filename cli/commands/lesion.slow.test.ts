/**
 * Inside the nets, headless: `wrn train`'s `blocks` lines (one after every evaluation, 3N values for a net of depth
 * 6N+4) and `wrn lesion` on the folder it wrote (one entry per block, each an accuracy).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_DIR } from '../../test/fixtures/data';
import { cli } from '../cliHarness';

const scratch = mkdtempSync(path.join(tmpdir(), 'wrn-lesion-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Line = Record<string, unknown> & { model: string; kind?: string; step?: number };

/** Runs the CLI to its end (cliHarness.ts), its JSON Lines parsed. */
async function wrn(args: string[]): Promise<{ code: number | string; lines: Line[]; stderr: string }> {
  const r = await cli(args);
  const lines = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
  return { code: r.code, lines, stderr: r.stderr };
}

describe('blocks lines and wrn lesion', () => {
  it('train writes a blocks line with 3N values after every evaluation; lesion gives one entry per block in [0, 1]', async () => {
    const out = path.join(scratch, 'run');
    const recipe = 'depth=10&width=1&compare=16-1&batch=8&epochs=1&train=32&test=40&eval=2&probe=16&backend=wasm';
    const r = await wrn(['train', recipe, '--data', DATA_DIR, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    for (const [model, n] of [
      ['WRN-10-1', 1],
      ['WRN-16-1', 2],
    ] as const) {
      const lines = r.lines.filter((l) => l.model === model);
      const evals = lines.filter((l) => l.kind === 'eval');
      const blocks = lines.filter((l) => l.kind === 'blocks');
      expect(evals.map((e) => e.step)).toEqual([2, 4]);
      expect(blocks.map((b) => b.step)).toEqual(evals.map((e) => e.step));
      for (const b of blocks) {
        expect(b).toMatchObject({ seed: 0, probeImages: 16 });
        expect(b['blocks']).toHaveLength(3 * n);
        expect((b['blocks'] as string[])[0]).toBe('g1b1');
        expect(b['residualRatio']).toHaveLength(3 * n);
        expect((b['residualRatio'] as number[]).every((v) => v > 0 && Number.isFinite(v))).toBe(true);
        expect((b['weightNorm'] as number[]).length).toBe((b['layers'] as string[]).length);
        expect((b['gradNorm'] as number[]).length).toBe((b['layers'] as string[]).length);
      }
    }

    const lesion = await wrn(['lesion', out, '--images', '40', '--backend', 'wasm', '--data', DATA_DIR]);
    expect(lesion.code, lesion.stderr).toBe(0);
    expect(lesion.lines.map((l) => l.model)).toEqual(['WRN-10-1', 'WRN-16-1']);
    for (const [i, l] of lesion.lines.entries()) {
      const n = i === 0 ? 1 : 2;
      expect(l).toMatchObject({ seed: 0, testImages: 40 });
      const blocks = l['blocks'] as { block: string; testAccuracy: number }[];
      expect(blocks.map((b) => b.block)).toEqual(n === 1 ? ['g1b1', 'g2b1', 'g3b1'] : ['g1b1', 'g1b2', 'g2b1', 'g2b2', 'g3b1', 'g3b2']);
      const random = l['random'] as { k: number; testAccuracy: number; draws: number }[];
      expect(random.map((x) => x.k)).toEqual(n === 1 ? [1, 2, 3] : [1, 2, 3, 4, 5]);
      const intact = (l['intact'] as { testAccuracy: number }).testAccuracy;
      for (const a of [intact, ...blocks.map((b) => b.testAccuracy), ...random.map((x) => x.testAccuracy)]) {
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThanOrEqual(1);
      }
    }
    // the intact accuracy is the run's own last evaluation of the same images
    const lastEval = r.lines.filter((l) => l.model === 'WRN-10-1' && l.kind === 'eval').at(-1)!;
    expect((lesion.lines[0]!['intact'] as { testAccuracy: number }).testAccuracy).toBe(lastEval['testAccuracy']);

    expect((await wrn(['lesion', scratch])).code).toBe(2); // not a run folder
    expect((await wrn(['lesion', out, '--images', 'x'])).code).toBe(2);
  });
});
