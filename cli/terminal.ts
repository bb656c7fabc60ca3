/**
 * What the CLI writes reaches a terminal (or a log a person will `cat` later): no control character that came from
 * input may act on it (`wrn info 'depth=%1B]0;pwned%07%1B[2J'` must not retitle the window or clear the screen).
 * Messages quote input through core/echo.ts; this guard is the last line, on everything the process writes:
 * - stderr (messages): every C0/C1 control and DEL becomes visible text (`\x1b`), except newlines, tabs and the
 *   carriage return that starts a progress-bar update;
 * - stdout (JSON Lines): raw C1 controls and DEL, which JSON.stringify leaves as they are, become `\u009b` escapes,
 *   which read back as the same JSON; C0 controls other than newline and tab the same way.
 * A closed pipe or a terminal that went away (EPIPE, EIO: `| head`, a closed ssh session) must not end a training
 * run before it saves: such write errors are dropped, the run's files still get everything.
 */
import { escapeControls } from '../src/core/echo';

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const JSON_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** stderr's text with controls escaped; a leading carriage return (a progress bar's redraw) is kept. */
export function safeMessage(text: string): string {
  return text.startsWith('\r') ? `\r${escapeControls(text.slice(1), '\n\t')}` : escapeControls(text, '\n\t');
}

/** stdout's text with controls as JSON escapes (the same value to a JSON reader, inert on a terminal). */
export function safeJsonText(text: string): string {
  return text.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

type Write = NodeJS.WriteStream['write'];

/** Installs the guard on process.stdout and process.stderr (once). */
export function guardTerminal(): void {
  wrap(process.stdout, safeJsonText);
  wrap(process.stderr, safeMessage);
}

const guarded = new WeakSet<NodeJS.WriteStream>();

function wrap(stream: NodeJS.WriteStream, clean: (text: string) => string): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? clean(chunk) : chunk, ...rest)) as Write;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
  });
}
