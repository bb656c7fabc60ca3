/** Stop signals: copies of one Ctrl-C (or one kill of a process group) are one; a later one is a second. */
import { afterEach, describe, expect, it } from 'vitest';
import { onStopSignals, signalExitCode, STOP_SIGNALS } from './interrupt';

let dispose: (() => void) | null = null;
afterEach(() => dispose?.());

describe('onStopSignals', () => {
  it('counts signals that arrive together as one, and a later one as the second, whichever of SIGINT, SIGTERM, SIGHUP', async () => {
    const calls: string[] = [];
    dispose = onStopSignals(
      (s) => calls.push(`first ${s}`),
      (s) => calls.push(`again ${s}`),
      100,
    );
    process.emit('SIGTERM', 'SIGTERM'); // a scheduler's, to the process group
    process.emit('SIGTERM', 'SIGTERM'); // npm's forwarded copy of the same
    process.emit('SIGINT', 'SIGINT');
    expect(calls).toEqual(['first SIGTERM']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    process.emit('SIGINT', 'SIGINT'); // a person pressing Ctrl-C after reading "stopping"
    expect(calls).toEqual(['first SIGTERM', 'again SIGINT']);
  });

  it('removes its handlers when disposed', () => {
    const before = STOP_SIGNALS.map((s) => process.listenerCount(s));
    const off = onStopSignals(
      () => undefined,
      () => undefined,
    );
    expect(STOP_SIGNALS.map((s) => process.listenerCount(s))).toEqual(before.map((n) => n + 1));
    off();
    expect(STOP_SIGNALS.map((s) => process.listenerCount(s))).toEqual(before);
  });

  it('gives the exit status a shell reports for each signal', () => {
    expect(STOP_SIGNALS.map(signalExitCode)).toEqual([130, 143, 129]);
  });
});
