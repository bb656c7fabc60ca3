/** Ctrl-C counting: copies of one press are one press; a later press is a second one. */
import { afterEach, describe, expect, it } from 'vitest';
import { onInterrupt } from './interrupt';

let dispose: (() => void) | null = null;
afterEach(() => dispose?.());

describe('onInterrupt', () => {
  it('counts SIGINTs that arrive together as one press, and a later one as the second', async () => {
    const calls: string[] = [];
    dispose = onInterrupt(
      () => calls.push('first'),
      () => calls.push('again'),
      100,
    );
    process.emit('SIGINT', 'SIGINT'); // the terminal's, to the process group
    process.emit('SIGINT', 'SIGINT'); // npm's forwarded copy of the same press
    expect(calls).toEqual(['first']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    process.emit('SIGINT', 'SIGINT'); // a person pressing again
    expect(calls).toEqual(['first', 'again']);
  });

  it('removes its handler when disposed', () => {
    const before = process.listenerCount('SIGINT');
    const off = onInterrupt(
      () => undefined,
      () => undefined,
    );
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    off();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});
