/**
 * Inline validation of one control's text, with the URL codec's own rules (bounds, whole numbers, depth 6N+4),
 * so that a control can never accept a value that a link would then correct.
 */
import { decodeConfig, FIELDS } from '../../core/url';
import type { Config } from '../../core/config';

export type FieldResult<K extends keyof Config> = { ok: true; value: Config[K] } | { ok: false; message: string };

/** Validates `text` for the config property `prop`; the message says what a valid value looks like. */
export function validateField<K extends keyof Config>(prop: K, text: string): FieldResult<K> {
  const field = FIELDS.find((f) => f.prop === prop);
  if (!field) return { ok: false, message: `unknown field ${String(prop)}` };
  const { config, corrections } = decodeConfig(`${field.key}=${encodeURIComponent(text.trim())}`);
  const problem = corrections.find((c) => c.key === field.key);
  if (problem) return { ok: false, message: readable(problem.reason) };
  return { ok: true, value: config[prop] };
}

/** "outside 1..16; capped" -> "must be from 1 to 16": the codec's reason says what it did; a control says what to do. */
function readable(reason: string): string {
  const first = reason.split(';')[0] ?? reason;
  const range = /^outside (\S+)\.\.(\S+)$/.exec(first);
  if (range) return `must be from ${range[1]} to ${range[2]}`;
  if (first === 'not a number') return 'enter a number';
  return first;
}
