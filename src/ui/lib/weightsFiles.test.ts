import { describe, expect, it } from 'vitest';
import { readWeightsFiles } from './weightsFiles';

const modelJson = (paths: string[]) =>
  JSON.stringify({ modelTopology: { class_name: 'Model', config: { name: 'WRN-10-1' } }, weightsManifest: [{ paths, weights: [] }] });

describe('opening weights files', () => {
  it('pairs model.json with the .bin files its manifest names, in manifest order', async () => {
    const w = await readWeightsFiles([
      new File([new Uint8Array([3, 4])], 'group2.bin'),
      new File([modelJson(['group1.bin', 'group2.bin'])], 'model.json'),
      new File([new Uint8Array([1, 2])], 'group1.bin'),
    ]);
    expect(w.name).toBe('WRN-10-1');
    expect([...new Uint8Array(w.weights)]).toEqual([1, 2, 3, 4]);
  });

  it("takes a lone .bin under another name, as the page's own download 'WRN-10-1-model.json' + 'weights (1).bin'", async () => {
    const w = await readWeightsFiles([new File([modelJson(['weights.bin'])], 'WRN-10-1-model.json'), new File([new Uint8Array([9])], 'weights (1).bin')]);
    expect(new Uint8Array(w.weights)).toEqual(new Uint8Array([9]));
  });

  it('says what is missing or wrong', async () => {
    await expect(readWeightsFiles([new File([new Uint8Array(4)], 'weights.bin')])).rejects.toThrow(/choose one model.json/);
    await expect(readWeightsFiles([new File([modelJson(['a.bin', 'b.bin'])], 'model.json'), new File([new Uint8Array(1)], 'a.bin')])).rejects.toThrow(
      'choose b.bin too',
    );
    await expect(readWeightsFiles([new File(['{"x":1}'], 'model.json')])).rejects.toThrow(/not a tfjs model.json/);
    await expect(readWeightsFiles([new File(['nope'], 'model.json')])).rejects.toThrow(/not JSON/);
  });

  it('quotes no more than the start of a long name or path, and refuses a name that is a payload', async () => {
    const long = 'x'.repeat(1_000_000);
    const named = JSON.stringify({ modelTopology: { config: { name: `WRN-10-1${long}` } }, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] });
    const err = await readWeightsFiles([new File([named], 'model.json'), new File([new Uint8Array(1)], 'weights.bin')]).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/is longer than 200 characters/);
    expect((err as Error).message.length).toBeLessThan(300);
    const paths = Array.from({ length: 1000 }, (_, i) => `${long.slice(0, 1000)}${i}.bin`);
    const missing = await readWeightsFiles([new File([modelJson(paths)], 'model.json')]).catch((e: Error) => e);
    expect((missing as Error).message.length).toBeLessThan(1000);
  });
});
