/**
 * The public URL format of a configuration: `#v=2&depth=16&width=4&dropout=0.3&batch=128&...`.
 *
 * One declarative table (`FIELDS`) drives both directions, as in TensorFlow Playground's state.ts: a new knob is
 * one line. The keys are a public format documented in the README; never rename one, add a migration instead.
 *
 * `decodeConfig` never throws: whatever text it gets, it returns a valid Config plus the list of corrections it
 * made, so the page and the CLI can say what they changed. `decodeConfig(encodeConfig(c))` gives back `c` exactly.
 */
import {
  BACKENDS,
  DEFAULT_CONFIG,
  ENGINES,
  KERNEL_CHOICES,
  LIMITS,
  ORDERS,
  SCHEDULES,
  SOURCES,
  SUBSETS,
  blocksPerGroup,
  DEPTH_RULE,
  nearestValidDepth,
  type Budget,
  type Config,
  type ModelConfig,
} from './config';
import { SAMPLE } from './data/sampleInfo';
import { echo } from './echo';

/** The current version of the format, written as `v=2`. */
export const URL_FORMAT_VERSION = 2;

/**
 * What a missing key meant in each earlier version of the format, where its default has changed since: a link keeps
 * training what it trained. Version 1's subsets (10,000 training and 2,000 test images) did not fit the built-in
 * sample; version 2's defaults (config.ts) do.
 */
export const VERSION_DEFAULTS: Readonly<Record<number, Partial<Config>>> = Object.freeze({
  1: Object.freeze({ train: 10000, test: 2000 }),
  2: Object.freeze({}),
});

/** One change the decoder made to what it was given. */
export interface Correction {
  /** the URL key concerned ('' for an entry that is not key=value; `given` then holds the whole entry) */
  key: string;
  /** the text that was given ('' when the key was absent) */
  given: string;
  /** the text of the value used instead ('' when the key was ignored) */
  used: string;
  /** why, in a sentence a person can read */
  reason: string;
}

export interface Decoded {
  config: Config;
  corrections: Correction[];
}

type Bounds = { readonly min: number; readonly max: number };

type Field =
  | { key: string; prop: NumericProp; kind: 'int' | 'number'; bounds: Bounds; omitDefault?: true }
  | { key: string; prop: BooleanProp; kind: 'bool' }
  | { key: string; prop: EnumProp; kind: 'enum'; values: readonly string[]; omitDefault?: true }
  | { key: string; prop: 'data'; kind: 'url' }
  | { key: string; prop: 'compare'; kind: 'models' }
  | { key: string; prop: 'budget'; kind: 'budget' };

type PropsOfType<T> = { [K in keyof Config]: Config[K] extends T ? K : never }[keyof Config];
type NumericProp = PropsOfType<number>;
type BooleanProp = PropsOfType<boolean>;
type EnumProp = 'schedule' | 'subset' | 'backend' | 'kernels' | 'engine' | 'source' | 'order';

/** The public keys, in the order they are written. */
export const FIELDS: readonly Field[] = [
  { key: 'depth', prop: 'depth', kind: 'int', bounds: LIMITS.depth },
  { key: 'width', prop: 'width', kind: 'int', bounds: LIMITS.width },
  { key: 'dropout', prop: 'dropout', kind: 'number', bounds: LIMITS.dropout },
  { key: 'batch', prop: 'batch', kind: 'int', bounds: LIMITS.batch },
  { key: 'epochs', prop: 'epochs', kind: 'int', bounds: LIMITS.epochs },
  { key: 'lr', prop: 'lr', kind: 'number', bounds: LIMITS.lr },
  { key: 'schedule', prop: 'schedule', kind: 'enum', values: SCHEDULES },
  { key: 'warmup', prop: 'warmup', kind: 'number', bounds: LIMITS.warmup },
  { key: 'momentum', prop: 'momentum', kind: 'number', bounds: LIMITS.momentum },
  { key: 'nesterov', prop: 'nesterov', kind: 'bool' },
  { key: 'wd', prop: 'wd', kind: 'number', bounds: LIMITS.wd },
  { key: 'train', prop: 'train', kind: 'int', bounds: LIMITS.train },
  { key: 'test', prop: 'test', kind: 'int', bounds: LIMITS.test },
  { key: 'subset', prop: 'subset', kind: 'enum', values: SUBSETS },
  { key: 'augment', prop: 'augment', kind: 'bool' },
  { key: 'seed', prop: 'seed', kind: 'int', bounds: LIMITS.seed },
  { key: 'backend', prop: 'backend', kind: 'enum', values: BACKENDS },
  { key: 'eval', prop: 'evalEvery', kind: 'int', bounds: LIMITS.evalEvery },
  // written only when not the default, so links made before the key existed read the same
  { key: 'kernels', prop: 'kernels', kind: 'enum', values: KERNEL_CHOICES, omitDefault: true },
  // likewise only when not the default (compiled): links and checkpoints made before the key read the same
  { key: 'engine', prop: 'engine', kind: 'enum', values: ENGINES, omitDefault: true },
  { key: 'source', prop: 'source', kind: 'enum', values: SOURCES },
  // written only when not the default, like kernels
  { key: 'probe', prop: 'probe', kind: 'int', bounds: LIMITS.probe, omitDefault: true },
  { key: 'data', prop: 'data', kind: 'url' },
  { key: 'compare', prop: 'compare', kind: 'models' },
  { key: 'seeds', prop: 'seeds', kind: 'int', bounds: LIMITS.seeds },
  { key: 'order', prop: 'order', kind: 'enum', values: ORDERS },
  { key: 'budget', prop: 'budget', kind: 'budget' },
];

const VERSION_KEY = 'v';
// Written so that no digit can be matched two ways: `\d+\.?\d*` could split a run of digits anywhere, which made
// a long number followed by one bad character take quadratic time (100,000 digits: 12 s on the page's main thread).
const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
/** depth-width[-dropout]; the same care: each digit has one place to go. */
const MODEL_RE = /^(?:wrn-)?(\d+)-(\d+)(?:-(\d+(?:\.\d+)?|\.\d+))?$/i;
const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

/** The text of a config, without the leading '#'. Every key is written so that a link survives new defaults. */
export function encodeConfig(c: Config): string {
  const parts = [`${VERSION_KEY}=${URL_FORMAT_VERSION}`];
  for (const f of FIELDS) {
    switch (f.kind) {
      case 'int':
      case 'number':
        if (f.omitDefault && c[f.prop] === DEFAULT_CONFIG[f.prop]) break;
        parts.push(`${f.key}=${String(c[f.prop])}`);
        break;
      case 'bool':
        parts.push(`${f.key}=${c[f.prop] ? 1 : 0}`);
        break;
      case 'enum':
        // 'auto' is what a link without `source` always meant (the key came later), so it is left out; likewise
        // kernels=ours (omitDefault)
        if (f.omitDefault && c[f.prop] === DEFAULT_CONFIG[f.prop]) break;
        if (f.prop !== 'source' || c.source !== 'auto') parts.push(`${f.key}=${c[f.prop]}`);
        break;
      case 'url':
        if (c.data) parts.push(`${f.key}=${encodeURIComponent(c.data)}`);
        break;
      case 'models':
        if (c.compare.length) parts.push(`${f.key}=${c.compare.map(encodeModel).join(',')}`);
        break;
      case 'budget':
        parts.push(`${f.key}=${encodeBudget(c.budget)}`);
        break;
    }
  }
  return parts.join('&');
}

/** "epochs", "time:600" (seconds of active training per net) or "flops:2e+15" (training FLOPs per net). */
export function encodeBudget(b: Budget): string {
  switch (b.kind) {
    case 'epochs':
      return 'epochs';
    case 'time':
      return `time:${b.seconds}`;
    case 'flops':
      return `flops:${b.flops.toExponential().replace('e+', 'e')}`; // 2e15, not 2000000000000000
  }
}

/** "16-8" or "16-8-0.3": depth-width[-dropout], the paper's WRN-d-k naming. */
export function encodeModel(m: ModelConfig): string {
  return m.dropout > 0 ? `${m.depth}-${m.width}-${m.dropout}` : `${m.depth}-${m.width}`;
}

/**
 * Reads encodeModel's form back: "16-8", "28-10-0.3", and "WRN-16-8" too; null when the text is not that form. The
 * numbers are as written (not checked against the limits: decodeConfig corrects them, the bench refuses them).
 */
export function parseModel(text: string): ModelConfig | null {
  const m = MODEL_RE.exec(text.trim());
  if (!m) return null;
  return { depth: Number(m[1]), width: Number(m[2]), dropout: m[3] === undefined ? 0 : Number(m[3]) };
}

/** Reads a URL hash, query or CLI argument ("#depth=16&width=4", "?depth=16", "depth=16 width=4"). Never throws. */
export function decodeConfig(text: string): Decoded {
  const corrections: Correction[] = [];
  const entries = splitEntries(String(text ?? ''), corrections);
  const givenTexts = new Map(entries);
  const given = (key: string) => givenTexts.get(key);

  const versionText = entries.get(VERSION_KEY);
  entries.delete(VERSION_KEY);
  let version = URL_FORMAT_VERSION;
  if (versionText === undefined) {
    // Links made before version 2 did not always carry `v` (hand-written ones, the README's); an empty text has
    // no keys whose meaning could have changed, so it takes today's defaults.
    if (entries.size > 0) version = 1;
  } else if (Object.hasOwn(VERSION_DEFAULTS, versionText) && /^\d+$/.test(versionText)) {
    version = Number(versionText);
  } else {
    corrections.push({
      key: VERSION_KEY,
      given: versionText,
      used: String(URL_FORMAT_VERSION),
      reason: `unknown format version; read as version ${URL_FORMAT_VERSION}`,
    });
  }
  const defaults: Readonly<Config> = { ...DEFAULT_CONFIG, ...VERSION_DEFAULTS[version] };
  const config: Config = { ...defaults, compare: [] };

  for (const f of FIELDS) {
    const given = entries.get(f.key);
    entries.delete(f.key);
    if (given === undefined) continue;
    decodeField(f, given, config, defaults, corrections);
  }
  for (const key of entries.keys()) {
    corrections.push({ key, given: entries.get(key) ?? '', used: '', reason: 'unknown key, ignored' });
  }
  if (config.source === 'sample') {
    const fitted = fitToSample(config, given);
    return { config: fitted.config, corrections: [...corrections, ...fitted.corrections] };
  }
  return { config, corrections };
}

/**
 * The config with its subset sizes capped at what the built-in sample holds (2,000 train, 1,000 test images). A
 * size the link gave beyond that is a correction; a size it left to the default (a version 1 link's 10,000 / 2,000, meant for the
 * full data set) simply becomes the sample's size. `given(key)` says what the link gave (undefined: nothing).
 */
export function fitToSample(config: Config, given: (key: string) => string | undefined = () => ''): Decoded {
  const corrections: Correction[] = [];
  const next = { ...config };
  for (const [key, prop, max] of [
    ['train', 'train', SAMPLE.train],
    ['test', 'test', SAMPLE.test],
  ] as const) {
    if (next[prop] <= max) continue;
    const text = given(key);
    if (text !== undefined) {
      corrections.push({
        key,
        given: text || String(next[prop]),
        used: String(max),
        reason: `the built-in sample holds ${max.toLocaleString('en')} ${key === 'train' ? 'training' : 'test'} images; capped`,
      });
    }
    next[prop] = max;
  }
  return { config: next, corrections };
}

/** Splits "a=1&b=2" into a map (last duplicate wins), undoing percent-escapes where they are well formed. */
function splitEntries(text: string, corrections: Correction[]): Map<string, string> {
  const entries = new Map<string, string>();
  const body = text.trim().replace(/^[#?]/, '');
  for (const part of body.split(/[&\s]+/)) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    const key = safeDecode(rawKey).trim();
    const value = safeDecode(rawValue.replace(/\+/g, ' ')).trim();
    if (key === '' || (value === '' && eq < 0)) {
      corrections.push({ key: '', given: part, used: '', reason: 'not a key=value pair, ignored' });
      continue;
    }
    entries.set(key, value);
  }
  return entries;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a stray '%' is kept as text; the field parser then rejects or accepts it on its own terms
  }
}

function decodeField(f: Field, given: string, config: Config, defaults: Readonly<Config>, corrections: Correction[]): void {
  const fix = (used: string, reason: string) => corrections.push({ key: f.key, given, used, reason });
  switch (f.kind) {
    case 'int':
    case 'number': {
      const fallback = defaults[f.prop];
      const n = parseNumber(given);
      if (n === null) {
        fix(String(fallback), 'not a number; the default is used');
        config[f.prop] = fallback;
        return;
      }
      let value = (f.kind === 'int' ? Math.round(n) : n) || 0; // `|| 0` folds -0 into 0
      if (value !== n) fix(String(value), 'must be a whole number; rounded');
      if (value < f.bounds.min || value > f.bounds.max) {
        const clamped = Math.min(Math.max(value, f.bounds.min), f.bounds.max);
        fix(String(clamped), `outside ${f.bounds.min}..${f.bounds.max}; capped`);
        value = clamped;
      }
      if (f.prop === 'depth' && blocksPerGroup(value) === null) {
        const d = nearestValidDepth(value);
        fix(String(d), `${DEPTH_RULE}; the nearest valid depth is used`);
        value = d;
      }
      config[f.prop] = value;
      return;
    }
    case 'bool': {
      const lower = given.toLowerCase();
      if (TRUE_WORDS.has(lower)) config[f.prop] = true;
      else if (FALSE_WORDS.has(lower)) config[f.prop] = false;
      else fix(defaults[f.prop] ? '1' : '0', 'expected 1 or 0; the default is used');
      return;
    }
    case 'enum': {
      const lower = given.toLowerCase();
      const match = f.values.find((v) => v === lower);
      if (match) setEnum(config, f.prop, match);
      else fix(String(defaults[f.prop]), `expected one of ${f.values.join(', ')}; the default is used`);
      return;
    }
    case 'url': {
      if (given === '') return;
      if (isHttpUrl(given)) config.data = given;
      else fix('', 'data must be an http(s) URL; the built-in source is used');
      return;
    }
    case 'models': {
      config.compare = decodeModels(given, fix);
      return;
    }
    case 'budget': {
      config.budget = decodeBudget(given, fix);
      return;
    }
  }
}

/** Reads "epochs", "time:600" or "flops:2e15"; anything else falls back to equal epochs, with a correction. */
function decodeBudget(given: string, fix: (used: string, reason: string) => void): Budget {
  const fallback: Budget = { kind: 'epochs' };
  const m = /^(epochs|time|flops)(?::(.*))?$/i.exec(given);
  const kind = m?.[1]?.toLowerCase();
  if (!m || !kind) {
    fix('epochs', 'expected epochs, time:SECONDS or flops:FLOPS (e.g. time:600, flops:2e15); equal epochs are used');
    return fallback;
  }
  if (kind === 'epochs') {
    if (m[2] !== undefined) fix('epochs', 'an epochs budget takes no amount (the epochs key sets it); the amount is ignored');
    return fallback;
  }
  const bounds = kind === 'time' ? LIMITS.budgetSeconds : LIMITS.budgetFlops;
  const unit = kind === 'time' ? 'seconds' : 'training FLOPs';
  const n = m[2] === undefined ? null : parseNumber(m[2].trim());
  if (n === null) {
    fix('epochs', `${kind} needs an amount in ${unit}, e.g. ${kind === 'time' ? 'time:600' : 'flops:2e15'}; equal epochs are used`);
    return fallback;
  }
  const amount = Math.min(Math.max(n, bounds.min), bounds.max);
  const budget: Budget = kind === 'time' ? { kind: 'time', seconds: amount } : { kind: 'flops', flops: amount };
  if (amount !== n) fix(encodeBudget(budget), `${unit} outside ${bounds.min}..${bounds.max}; capped`);
  return budget;
}

function setEnum(config: Config, prop: EnumProp, value: string): void {
  // Each EnumProp's values are the matching tuple in config.ts; FIELDS pairs them, so this narrowing is safe.
  (config as unknown as Record<EnumProp, string>)[prop] = value;
}

function decodeModels(given: string, fix: (used: string, reason: string) => void): ModelConfig[] {
  const models: ModelConfig[] = [];
  // A list of any length costs one correction per kind of problem past the first few, not one per item: a 1 MB
  // list is 200,000 items.
  let unreadable = 0;
  let extra = 0;
  for (const item of given
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const raw = parseModel(item);
    if (!raw) {
      if (++unreadable <= LISTED_PROBLEMS) fix('', `"${echo(item)}" is not depth-width[-dropout] (e.g. 16-8 or 28-10-0.3); dropped`);
      continue;
    }
    if (models.length >= LIMITS.compare.max) {
      if (++extra <= LISTED_PROBLEMS) fix('', `at most ${LIMITS.compare.max} comparison runs; "${echo(item)}" dropped`);
      continue;
    }
    const model = {
      depth: nearestValidDepth(Math.min(Math.max(raw.depth, LIMITS.depth.min), LIMITS.depth.max)),
      width: Math.min(Math.max(raw.width, LIMITS.width.min), LIMITS.width.max),
      dropout: Math.min(Math.max(raw.dropout, LIMITS.dropout.min), LIMITS.dropout.max),
    };
    if (model.depth !== raw.depth || model.width !== raw.width || model.dropout !== raw.dropout) {
      fix(encodeModel(model), `"${echo(item)}" is outside the allowed nets; ${encodeModel(model)} is used`);
    }
    models.push(model);
  }
  if (unreadable > LISTED_PROBLEMS) fix('', `${count(unreadable - LISTED_PROBLEMS)} more entries are not depth-width[-dropout]; dropped`);
  if (extra > LISTED_PROBLEMS) fix('', `at most ${LIMITS.compare.max} comparison runs; ${count(extra - LISTED_PROBLEMS)} more dropped`);
  return models;
}

/** Problems of one kind in a list that are named one by one; the rest are counted. */
const LISTED_PROBLEMS = 3;

const count = (n: number) => n.toLocaleString('en');

/** A number in plain or e-notation; one too large for a double (1e309) is +-Infinity, so the bounds cap it. */
function parseNumber(s: string): number | null {
  if (!NUMBER_RE.test(s)) return null;
  const n = Number(s);
  return Number.isNaN(n) ? null : n || 0;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * A one-line description of a correction, for notices and CLI warnings. A long value is cut to its start and an
 * ellipsis (a 100 KB value is not worth repeating), control characters are escaped; an entry that was not key=value
 * is quoted as it was given.
 */
export function describeCorrection(c: Correction): string {
  const used = c.used === '' ? '' : ` -> ${echo(c.used)}`;
  const what = c.key === '' ? `"${echo(c.given)}"` : `${echo(c.key)}=${echo(c.given)}`;
  return `${what}${used}: ${echo(c.reason, REASON_LIMIT)}`;
}

/** Reasons are ours, but may quote a value: they get more room than a value. */
const REASON_LIMIT = 240;

/**
 * The corrections as lines for people: the first `max` described one by one, the rest collapsed into one line per
 * kind (key and reason, quoted values aside): "199,990 more like this: unknown key, ignored". A list of any length
 * stays a few lines.
 */
export function describeCorrections(corrections: readonly Correction[], max = 12): string[] {
  const lines = corrections.slice(0, max).map(describeCorrection);
  const rest = new Map<string, number>();
  for (let i = max; i < corrections.length; i++) {
    const c = corrections[i]!;
    const kind = `${c.key === '' || c.reason.startsWith('unknown key') ? '' : `${echo(c.key)}: `}${echo(c.reason, REASON_LIMIT).replace(/"[^"]*"/g, '"..."')}`;
    rest.set(kind, (rest.get(kind) ?? 0) + 1);
  }
  for (const [kind, n] of rest) lines.push(`${count(n)} more like this: ${kind}`);
  return lines;
}
