/**
 * Repeating what a person gave in a message, safely: never more than a short start of it, and never a control
 * character a terminal would act on (an escape sequence can retitle the window or clear the screen). The CLI, the
 * server's log, the page's notices and the metrics reader all quote input through here.
 */

/** How much of a given value a message repeats; the rest is cut with an ellipsis and its length. */
export const ECHO_LIMIT = 64;

/** C0 controls, DEL and C1 controls: what a terminal may take as a command rather than text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** True when `text` holds a control character (C0, DEL or C1). */
export function hasControls(text: string): boolean {
  CONTROLS.lastIndex = 0;
  return CONTROLS.test(text);
}

/** `\x1b`: a control character written as text a person can read (and no terminal acts on). */
function escapeOne(c: string): string {
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/**
 * `text` with every C0/C1 control character and DEL written as `\xNN`; those in `keep` (e.g. '\n') stay as they are.
 */
export function escapeControls(text: string, keep = ''): string {
  return text.replace(CONTROLS, (c) => (keep.includes(c) ? c : escapeOne(c)));
}

/**
 * A given value for a message: its first `limit` characters (then "... (N characters)"), control characters
 * escaped. Linear in `limit`, whatever the value's length.
 */
export function echo(text: string, limit = ECHO_LIMIT): string {
  const cut = text.length > limit;
  const shown = escapeControls(cut ? text.slice(0, limit) : text);
  return cut ? `${shown}... (${text.length.toLocaleString('en')} characters)` : shown;
}

/** `echo` of any value as JSON would show it (strings quoted), for "x is <value>" messages. */
export function echoValue(value: unknown, limit = ECHO_LIMIT): string {
  if (typeof value === 'string') return `"${echo(value, limit)}"`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return echo(text, limit);
}
