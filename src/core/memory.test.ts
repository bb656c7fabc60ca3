/**
 * The memory check before training: a net that cannot fit its backend is refused in words before any data moves
 * (in the page's worker and the CLI alike, through the run driver), with a batch that fits.
 */
import { describe, expect, it } from 'vitest';
import { decodeConfig } from './url';
import { capacityOf, memoryProblem, WASM_MEMORY_BYTES } from './memory';
import { estimateTrainingBytes } from './cost';
import { Runner } from './runner';
import type { RunEvent } from './runEvents';

const config = (text: string) => decodeConfig(text).config;

describe('memoryProblem', () => {
  const wasm = capacityOf('wasm')!;

  it('lets the nets people train pass, and refuses WRN-100-16 at batch 512 with the estimate, the room and a batch that fits', () => {
    expect(memoryProblem(config('depth=16&width=4&batch=128'), wasm)).toBeNull();
    expect(memoryProblem(config('depth=28&width=10&batch=32'), wasm)).toBeNull();
    const problem = memoryProblem(config('depth=16&width=8&batch=512&train=50000'), wasm)!;
    expect(problem).toMatch(
      /^WRN-16-8 at batch 512 needs about 12 GiB to train .* more than the WASM backend's 4 GiB memory\. At batch (\d+) it needs about .*: try batch=\1, or a smaller net\.$/,
    );
    const fits = Number(/try batch=(\d+)/.exec(problem)![1]);
    const net = { depth: 16, width: 8, dropout: 0 };
    expect(estimateTrainingBytes(net, fits)).toBeLessThanOrEqual(WASM_MEMORY_BYTES);
    expect(estimateTrainingBytes(net, fits + 1)).toBeGreaterThan(WASM_MEMORY_BYTES);
    expect(memoryProblem(config('depth=100&width=16&batch=512&train=50000'), wasm)).toMatch(
      /Even a batch of 1 needs about 4\.7 GiB: choose a smaller net/,
    );
    // a compared net counts as much as the main one; a small subset caps the batch as the run does
    expect(memoryProblem(config('depth=10&width=1&compare=16-8&batch=512&train=50000'), wasm)).toMatch(/^WRN-16-8 at batch 512/);
    expect(memoryProblem(config('depth=16&width=8&batch=512&train=64'), wasm)).toBeNull();
  });

  it("knows each backend's room: WASM's address space, a WebGPU binding, the machine's memory, or nothing", () => {
    expect(capacityOf('wasm')).toMatchObject({ kind: 'total', bytes: 4 * 2 ** 30 });
    expect(capacityOf('webgpu', { gpuBindingBytes: 128 * 2 ** 20 })).toMatchObject({ kind: 'buffer', bytes: 128 * 2 ** 20 });
    expect(memoryProblem(config('depth=16&width=16&batch=512&train=50000'), capacityOf('webgpu', { gpuBindingBytes: 128 * 2 ** 20 }))).toMatch(
      /needs about 512 MiB for one activation tensor, more than the largest buffer this WebGPU device binds \(128 MiB\)\. At batch 128/,
    );
    expect(capacityOf('cpu', { systemBytes: 8 * 2 ** 30 })).toMatchObject({ kind: 'total', bytes: 8 * 2 ** 30 });
    expect(capacityOf('cpu')).toBeNull();
    expect(capacityOf('webgl')).toBeNull();
    expect(memoryProblem(config('depth=100&width=16&batch=512'), null)).toBeNull();
  });

  it('the run driver refuses such a run before it loads any data (the page gets the reason as an out-of-memory error)', async () => {
    const events: RunEvent[] = [];
    let loaded = false;
    const runner = new Runner({ config: config('depth=16&width=8&batch=512&train=50000'), onEvent: (e) => events.push(e) });
    const status = await runner.run({
      memory: capacityOf('wasm'),
      data: async () => {
        loaded = true;
        throw new Error('no data here');
      },
    });
    expect(status).toBe('failed');
    expect(loaded).toBe(false);
    const ended = events.find((e): e is Extract<RunEvent, { type: 'runEnded' }> => e.type === 'runEnded')!;
    expect(ended.error).toMatchObject({ code: 'out-of-memory', message: expect.stringMatching(/^WRN-16-8 at batch 512 needs about 12 GiB/) });
  });
});
