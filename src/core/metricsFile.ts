/**
 * The metrics file formats, written and read here only: the CLI writes with this module, the page reads with it,
 * the tests use it, and a test holds the exported train.py's lines to its field lists.
 *
 * - `metrics.jsonl` (JSON Lines): what `wrn train` prints on stdout and appends to `--out DIR/metrics.jsonl`, and
 *   what the exported train.py writes. One line per metrics point, `{"model", "seed", "kind": "step" | "eval" |
 *   "blocks", ...the point's fields}` (a `blocks` line follows each evaluation: inside the net, src/core/insight); a `{"model", "seed", "kind": "summary", ...}` line when a model ends; with seeds=N
 *   (N > 1) a last `{"kind": "summary", "models": [...]}` line over each net's finished seeds. train.py trains one
 *   seed: its lines have no "seed", and there is no last line.
 * - The page's exports: CSV (one row per point, for spreadsheets and pandas) and JSON (the points grouped by run,
 *   plus the config link). Both carry every field of StepPoint, EvalPoint and BlockPoint, so an import draws exactly
 *   the curves and block views that were exported (files from before blocks points read as before).
 *
 * The field lists below are the formats: writers write these fields in this order, and readers read each of them
 * (a point's field that is missing or not a finite number is an error naming the line and the field). Readers take
 * every file an earlier version wrote.
 */
import { costOfName } from './cost';
import { parseCsv, toCsv, type CsvCell } from './csv';
import { echo, echoValue } from './echo';
import type { BlockPoint, EvalPoint, MetricPoint, RunSummary, StepPoint } from './metrics';
import { summarize } from './stats';

/** A step's own measurements (the CSV's step columns). */
const STEP_MEASURES = ['loss', 'trainAccuracy', 'lr', 'imagesPerSec', 'stepMs', 'numTensors', 'deviceBytes'] as const;
/** An evaluation's own numbers (the CSV's evaluation columns; its confusion counts are a column of their own). */
const EVAL_MEASURES = ['testLoss', 'testAccuracy', 'testImages'] as const;

/** A step point's fields after its `kind`, in the order they are written. */
export const STEP_FIELDS = ['step', 'epoch', ...STEP_MEASURES, 'seconds', 'flops'] as const satisfies readonly (keyof StepPoint)[];

/** An evaluation point's fields after its `kind`: numbers, but `confusion` (10x10 counts). */
export const EVAL_FIELDS = ['step', 'epoch', ...EVAL_MEASURES, 'confusion', 'seconds', 'flops'] as const satisfies readonly (keyof EvalPoint)[];
const EVAL_NUMBERS = EVAL_FIELDS.filter((f): f is Exclude<(typeof EVAL_FIELDS)[number], 'confusion'> => f !== 'confusion');

/** A blocks point's own lists and numbers (the CSV's blocks columns; lists as space-separated values). */
const BLOCK_MEASURES = ['blocks', 'residualRatio', 'probeImages', 'layers', 'weightNorm', 'gradNorm'] as const;

/** A blocks point's fields after its `kind`. */
export const BLOCK_FIELDS = ['step', 'epoch', ...BLOCK_MEASURES, 'seconds', 'flops'] as const satisfies readonly (keyof BlockPoint)[];

/** How a model ended, as its summary line and its folder's summary.json hold it. */
export interface SummaryRecord extends Omit<RunSummary, 'predictions'> {
  /** the final evaluation's test accuracy; null without one */
  testAccuracy: number | null;
}

/** A summary's fields (after `kind` in a line). */
export const SUMMARY_FIELDS = [
  'status',
  'steps',
  'seconds',
  'flops',
  'firstStepMs',
  'finalEval',
  'testAccuracy',
] as const satisfies readonly (keyof SummaryRecord)[];

/** The fields of each kind of a model's line in metrics.jsonl, after "model", "seed" and "kind". */
export const LINE_FIELDS = { step: STEP_FIELDS, eval: EVAL_FIELDS, blocks: BLOCK_FIELDS, summary: SUMMARY_FIELDS } as const;

/** Whose line it is: the model's name, and its seed (train.py writes none). */
export interface LineOwner {
  model: string;
  seed?: number;
}

/** A metrics point of a model. */
export type PointLine = LineOwner & MetricPoint;
/** A model's end. */
export type SummaryLine = LineOwner & { kind: 'summary' } & SummaryRecord;

/** A net's final test accuracy over its finished seeds (mean, sample std, 95% t interval; null where undefined). */
export interface SeedsSummary {
  name: string;
  seeds: number[];
  testAccuracy: { mean: number | null; std: number | null; ci95: [number, number] | null };
}
/** The last line of a run with seeds=N (N > 1). */
export interface SeedsSummaryLine {
  kind: 'summary';
  models: SeedsSummary[];
}

export type MetricsLine = PointLine | SummaryLine | SeedsSummaryLine;

/** One model of a metrics file: its name and size, its points, and how it ended. */
export interface MetricsRun {
  /** the paper's name, e.g. "WRN-40-4" or "WRN-16-4 (dropout 0.3)" */
  name: string;
  /** trainable parameters */
  params: number;
  /** forward multiply-accumulates per image */
  macs: number;
  /** planned SGD steps of this model's run, when known */
  totalSteps: number | null;
  steps: readonly StepPoint[];
  evals: readonly EvalPoint[];
  /** inside the net at each evaluation (residual ratio per block, layer norms); absent or empty when not measured */
  blocks?: readonly BlockPoint[];
  /** how the run ended, once it has (an exported file holds no predictions) */
  summary: RunSummary | null;
  /** the seed it trained with, where the file says (metrics.jsonl of `wrn train`) */
  seed?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** A point with its fields in the written order (a decoded or restored point may hold them in another). */
export function pointRecord(p: StepPoint): StepPoint;
export function pointRecord(p: EvalPoint): EvalPoint;
export function pointRecord(p: BlockPoint): BlockPoint;
export function pointRecord(p: MetricPoint): MetricPoint;
export function pointRecord(p: MetricPoint): MetricPoint {
  if (p.kind === 'step') return { kind: 'step', ...pick(p, STEP_FIELDS) };
  return p.kind === 'eval' ? { kind: 'eval', ...pick(p, EVAL_FIELDS) } : { kind: 'blocks', ...pick(p, BLOCK_FIELDS) };
}

/**
 * A summary as its line and summary.json hold it: no predictions (they belong with the weights), and the final
 * test accuracy (a summary read back keeps its own).
 */
export function summaryRecord(s: RunSummary | SummaryRecord): SummaryRecord {
  return {
    status: s.status,
    steps: s.steps,
    seconds: s.seconds,
    flops: s.flops,
    firstStepMs: s.firstStepMs,
    finalEval: s.finalEval && pointRecord(s.finalEval),
    testAccuracy: 'testAccuracy' in s ? s.testAccuracy : (s.finalEval?.testAccuracy ?? null),
  };
}

/** A summary read back from a file, as the run's summary (a file holds no predictions). */
function runSummaryOf(s: SummaryRecord): RunSummary {
  return { status: s.status, steps: s.steps, seconds: s.seconds, flops: s.flops, firstStepMs: s.firstStepMs, finalEval: s.finalEval, predictions: null };
}

/** A metrics point's line. */
export function pointLine(model: string, seed: number | undefined, p: MetricPoint): PointLine {
  return { model, ...(seed === undefined ? {} : { seed }), ...pointRecord(p) };
}

/** A model's summary line. */
export function summaryLine(model: string, seed: number | undefined, s: RunSummary | SummaryRecord): SummaryLine {
  return { model, ...(seed === undefined ? {} : { seed }), kind: 'summary', ...summaryRecord(s) };
}

/** A finished model's final test accuracy, for the last line of a run with seeds. */
export interface SeedResult {
  /** which net of the config (runJobs' `net`) */
  net: number;
  name: string;
  seed: number;
  accuracy: number;
}

/**
 * The last line of a run with seeds: per net, the seeds that finished and the summary of their final test
 * accuracies (mean, sample standard deviation, 95% interval of the mean from Student's t; null where a single
 * seed leaves them undefined). Stopped models are left out by the caller: their accuracy is of a shorter run.
 */
export function seedsSummaryLine(finals: readonly SeedResult[]): SeedsSummaryLine {
  const byNet = new Map<number, { name: string; seeds: number[]; accuracies: number[] }>();
  for (const f of finals) {
    const g = byNet.get(f.net) ?? { name: f.name, seeds: [], accuracies: [] };
    g.seeds.push(f.seed);
    g.accuracies.push(f.accuracy);
    byNet.set(f.net, g);
  }
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    kind: 'summary',
    models: [...byNet.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, g]) => {
        const s = summarize(g.accuracies);
        return { name: g.name, seeds: g.seeds, testAccuracy: { mean: finite(s.mean), std: finite(s.std), ci95: s.ci95 } };
      }),
  };
}

/** A line of metrics.jsonl, its newline included; the fields in the written order whatever order `line` has. */
export function encodeLine(line: MetricsLine): string {
  let ordered: MetricsLine;
  if ('models' in line) ordered = { kind: 'summary', models: line.models };
  else if (line.kind === 'summary') ordered = summaryLine(line.model, line.seed, line);
  else ordered = pointLine(line.model, line.seed, line);
  return JSON.stringify(ordered) + '\n';
}

/** A model folder's summary.json. */
export function encodeSummaryJson(s: RunSummary): string {
  return JSON.stringify(summaryRecord(s), null, 2);
}

/** Column order of the CSV; a point leaves the other kind's columns empty. */
export const CSV_COLUMNS = [
  'run',
  'name',
  'params',
  'macs',
  'kind',
  'step',
  'epoch',
  'seconds',
  'flops',
  ...STEP_MEASURES,
  ...EVAL_MEASURES,
  'confusion',
  // added with blocks points: a file written before them lacks these, and reads the same
  ...BLOCK_MEASURES,
] as const;
type Column = (typeof CSV_COLUMNS)[number];
const OPTIONAL_COLUMNS: readonly Column[] = BLOCK_MEASURES;

/** All runs' points as CSV: steps, evaluations and blocks points interleaved in the order they happened. */
export function encodeMetricsCsv(runs: readonly MetricsRun[]): string {
  const rows: CsvCell[][] = [[...CSV_COLUMNS]];
  // at one step: the step, its evaluation, then the blocks point measured with it
  const order = { step: 0, eval: 1, blocks: 2 } as const;
  runs.forEach((run, index) => {
    const points = [...run.steps, ...run.evals, ...(run.blocks ?? [])].sort((a, b) => a.step - b.step || order[a.kind] - order[b.kind]);
    for (const p of points) {
      const row = Object.fromEntries(CSV_COLUMNS.map((c) => [c, null])) as Record<Column, CsvCell>;
      Object.assign(row, { run: index, name: run.name, params: run.params, macs: run.macs, kind: p.kind });
      Object.assign(row, { step: p.step, epoch: p.epoch, seconds: p.seconds, flops: p.flops });
      if (p.kind === 'step') for (const f of STEP_MEASURES) row[f] = p[f];
      else if (p.kind === 'eval') {
        for (const f of EVAL_MEASURES) row[f] = p[f];
        row.confusion = p.confusion.join(' ');
      } else {
        for (const f of BLOCK_MEASURES) {
          const v = p[f];
          row[f] = Array.isArray(v) ? v.join(' ') : v;
        }
      }
      rows.push(CSV_COLUMNS.map((c) => row[c]));
    }
  });
  return toCsv(rows);
}

export const METRICS_FORMAT = 'wrn-playground-metrics';
export const METRICS_VERSION = 1;

/** A run in the JSON export. */
interface JsonRun {
  name: string;
  params: number;
  macs: number;
  totalSteps: number | null;
  steps: MetricPoint[];
  evals: MetricPoint[];
  blocks: MetricPoint[];
  summary: Omit<RunSummary, 'predictions'> | null;
}

/** All runs as one JSON document; `config` is the URL text of the config they were trained with. */
export function encodeMetricsJson(runs: readonly MetricsRun[], config: string, exportedAt: Date): string {
  const doc = {
    format: METRICS_FORMAT,
    version: METRICS_VERSION,
    exportedAt: exportedAt.toISOString(),
    config,
    runs: runs.map(
      (r): JsonRun => ({
        name: r.name,
        params: r.params,
        macs: r.macs,
        totalSteps: r.totalSteps,
        steps: r.steps.map(pointRecord),
        evals: r.evals.map(pointRecord),
        blocks: (r.blocks ?? []).map(pointRecord),
        // predictions are per test image and belong with the weights, not the curves
        summary: r.summary ? withoutAccuracy(summaryRecord(r.summary)) : null,
      }),
    ),
  };
  return JSON.stringify(doc, null, 1);
}

function withoutAccuracy(s: SummaryRecord): Omit<RunSummary, 'predictions'> {
  const { testAccuracy: _unused, ...rest } = s;
  void _unused;
  return rest;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

/**
 * The most runs one file may hold (models x seeds): a run of the page trains at most 7 nets x 5 seeds, and an export
 * holds the runs shown together. A file naming more (a million model names) is refused rather than drawn.
 */
export const MAX_RUNS = 200;

/** The longest model name a file may give (the page's are "WRN-28-10 (dropout 0.3)"). */
export const MAX_NAME = 200;

/**
 * Reads a metrics file: the page's CSV or JSON export, or a metrics.jsonl (told apart by their first line).
 * Throws an Error that says what is wrong and where (line or run), for the page to show; it quotes no more than the
 * start of any value.
 */
export function decodeMetricsFile(text: string): MetricsRun[] {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') throw new Error('the file is empty');
  const runs = !body.startsWith('{') ? decodeCsv(body) : isJsonLines(body) ? decodeJsonLines(body) : decodeJson(body);
  if (runs.length === 0) throw new Error('the file holds no runs');
  return runs;
}

/**
 * One line of metrics.jsonl. Throws an Error naming `where` and what is wrong: a point's field that is not a
 * finite number (a diverged loss is written as null), a line with no model, an unknown kind.
 */
export function decodeLine(text: string, where: string): MetricsLine {
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not valid JSON (${echo((e as Error).message, 120)})`);
  }
  if (!isRecord(line)) throw new Error(`${where}: not a JSON object`);
  if (line['kind'] === 'summary' && Array.isArray(line['models'])) return readSeedsSummary(line, where);
  if (typeof line['model'] !== 'string') throw new Error(`${where}: no "model" name`);
  const model = checkName(line['model'], where);
  const seed = typeof line['seed'] === 'number' ? line['seed'] : undefined;
  switch (line['kind']) {
    case 'step':
    case 'eval':
    case 'blocks':
      return pointLine(model, seed, readPoint(line, where));
    case 'summary':
      return summaryLine(model, seed, readSummary(line, where));
    default:
      throw new Error(`${where}: kind is ${echoValue(line['kind'])}, expected step, eval, blocks or summary`);
  }
}

/**
 * The lines of metrics.jsonl that a checkpoint of model `modelIndex` at `step` covers: the lines of the models
 * before it, and its own up to `step` (a run resumed from it trains the later steps again and writes their lines
 * again). Lines come model by model, each model's ending with its summary line; a line cut short by a crash ends
 * what is kept.
 */
export function linesUpTo(text: string, modelIndex: number, step: number): string {
  const kept: string[] = [];
  let model = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    let p: { kind?: unknown; step?: unknown };
    try {
      p = JSON.parse(line) as typeof p;
    } catch {
      break;
    }
    // Only the kind and step are looked at: a diverged model's lines (a null loss) are kept as they are.
    const keep = model < modelIndex || (model === modelIndex && p.kind !== 'summary' && typeof p.step === 'number' && p.step <= step);
    if (keep) kept.push(line + '\n');
    if (p.kind === 'summary' && !('models' in p)) model++; // a model's summary, not the run's last line
  }
  return kept.join('');
}

/**
 * Whose lines a metrics.jsonl holds, model by model in the order of the run (a model's lines end with its summary
 * line): each model's name and seed as its first line gives them. Unreadable lines are skipped; a check that the
 * lines belong to the run being resumed, not a record of it.
 */
export function lineOwners(text: string): LineOwner[] {
  const owners: LineOwner[] = [];
  let model = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    let p: { kind?: unknown; model?: unknown; seed?: unknown; models?: unknown };
    try {
      p = JSON.parse(line) as typeof p;
    } catch {
      continue;
    }
    if (typeof p.model === 'string' && !owners[model]) owners[model] = { model: p.model, ...(typeof p.seed === 'number' ? { seed: p.seed } : {}) };
    if (p.kind === 'summary' && !('models' in p)) model++;
  }
  return owners;
}

type Decoded = MetricsRun & { steps: StepPoint[]; evals: EvalPoint[]; blocks: BlockPoint[] };

function decodeCsv(text: string): MetricsRun[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new Error('the CSV has no header');
  const index = new Map(header.map((h, i) => [h.trim(), i]));
  const missing = CSV_COLUMNS.filter((c) => !index.has(c) && !OPTIONAL_COLUMNS.includes(c));
  if (missing.length) throw new Error(`not a metrics CSV: missing column(s) ${missing.join(', ')}`);
  const runs = new Map<string, Decoded>();
  rows.forEach((row, r) => {
    const line = r + 2; // 1-based, after the header
    const text = (c: Column) => (index.has(c) ? (row[index.get(c)!] ?? '') : '');
    const num = (c: Column) => {
      const v = csvNumber(text(c));
      if (v === null) throw new Error(`line ${line}: ${c} is "${echo(text(c))}", not a number`);
      return v;
    };
    const key = text('run');
    let run = runs.get(key);
    if (!run) {
      if (runs.size >= MAX_RUNS) throw tooManyRuns();
      const name = checkName(text('name'), `line ${line}`);
      run = { name, params: num('params'), macs: num('macs'), steps: [], evals: [], blocks: [], totalSteps: null, summary: null };
      runs.set(key, run);
    }
    const kind = text('kind');
    if (kind === 'step') run.steps.push({ kind, ...fromEntries(STEP_FIELDS, num) });
    else if (kind === 'eval') {
      const cells = text('confusion').trim() === '' ? [] : text('confusion').trim().split(/\s+/);
      const confusion = readConfusion(
        cells.map((c) => csvNumber(c) ?? NaN),
        `line ${line}`,
      );
      run.evals.push(pointRecord({ kind, ...fromEntries(EVAL_NUMBERS, num), confusion }));
    } else if (kind === 'blocks') {
      const words = (c: Column) => text(c).trim().split(/\s+/).filter(Boolean);
      const numbers = (c: Column) => words(c).map((w) => csvNumber(w) ?? NaN);
      const fields = {
        step: num('step'),
        epoch: num('epoch'),
        blocks: words('blocks'),
        residualRatio: numbers('residualRatio'),
        probeImages: num('probeImages'),
        layers: words('layers'),
        weightNorm: numbers('weightNorm'),
        gradNorm: text('gradNorm').trim() === '' ? null : numbers('gradNorm'),
        seconds: num('seconds'),
        flops: num('flops'),
      };
      run.blocks.push(readBlock(fields, `line ${line}`));
    } else throw new Error(`line ${line}: kind is "${echo(kind)}", expected step, eval or blocks`);
  });
  return [...runs.values()];
}

function decodeJson(text: string): MetricsRun[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON: ${echo((e as Error).message, 120)}`);
  }
  if (!isRecord(doc) || doc['format'] !== METRICS_FORMAT) throw new Error(`not a ${METRICS_FORMAT} JSON file`);
  if (doc['version'] !== METRICS_VERSION) throw new Error(`unknown metrics file version ${echoValue(doc['version'])}`);
  const runs = doc['runs'];
  if (!Array.isArray(runs)) throw new Error('the JSON has no "runs" list');
  if (runs.length > MAX_RUNS) throw tooManyRuns();
  return runs.map((r: unknown, i): MetricsRun => {
    if (!isRecord(r) || typeof r['name'] !== 'string' || !Array.isArray(r['steps']) || !Array.isArray(r['evals'])) {
      throw new Error(`run ${i} lacks a name, steps or evals`);
    }
    const summary = isRecord(r['summary']) ? readSummaryLeniently(r['summary']) : null;
    return {
      name: checkName(r['name'], `run ${i}`),
      params: Number(r['params']) || 0,
      macs: Number(r['macs']) || 0,
      totalSteps: typeof r['totalSteps'] === 'number' ? r['totalSteps'] : null,
      steps: (r['steps'] as unknown[]).map((p, j) => readStep(p, `run ${i}, steps[${j}]`)),
      evals: (r['evals'] as unknown[]).map((p, j) => readEval(p, `run ${i}, evals[${j}]`)),
      blocks: Array.isArray(r['blocks']) ? (r['blocks'] as unknown[]).map((p, j) => readBlock(p, `run ${i}, blocks[${j}]`)) : [],
      summary: summary && runSummaryOf(summary),
    };
  });
}

/** JSON Lines when the first line alone is a metrics line (an exported JSON document starts with a lone "{"). */
function isJsonLines(body: string): boolean {
  try {
    const first: unknown = JSON.parse(body.split('\n', 1)[0]!);
    return isRecord(first) && typeof first['kind'] === 'string';
  } catch {
    return false;
  }
}

/**
 * metrics.jsonl: one run per model and seed, in the order of their first lines. Params and MACs are not in the
 * lines, so they come from the name (WRN-d-k). The last line of a run with seeds repeats what the models' own
 * lines hold: it is read, not kept.
 */
function decodeJsonLines(body: string): MetricsRun[] {
  const runs = new Map<string, Decoded>();
  body.split('\n').forEach((text, i) => {
    if (text.trim() === '') return;
    const line = decodeLine(text, `line ${i + 1}`);
    if ('models' in line) return;
    const key = JSON.stringify([line.model, line.seed ?? null]);
    let run = runs.get(key);
    if (!run) {
      if (runs.size >= MAX_RUNS) throw tooManyRuns();
      const cost = costOfName(line.model);
      run = { name: line.model, params: cost?.params ?? 0, macs: cost?.macs ?? 0, totalSteps: null, steps: [], evals: [], blocks: [], summary: null };
      if (line.seed !== undefined) run.seed = line.seed;
      runs.set(key, run);
    }
    if (line.kind === 'step') run.steps.push(pointRecord(line));
    else if (line.kind === 'eval') run.evals.push(pointRecord(line));
    else if (line.kind === 'blocks') run.blocks.push(pointRecord(line));
    else run.summary = runSummaryOf(line);
  });
  return [...runs.values()];
}

/** The named fields of `o` as finite numbers; throws naming the first that is not. */
function numbers<K extends string>(o: unknown, fields: readonly K[], where: string): Record<K, number> {
  if (!isRecord(o)) throw new Error(`${where} is not an object`);
  return fromEntries(fields, (f) => {
    const v = o[f];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: ${f} is ${echoValue(v)}, not a number`);
    return v;
  });
}

function readStep(p: unknown, where: string): StepPoint {
  return { kind: 'step', ...numbers(p, STEP_FIELDS, where) };
}

function readEval(p: unknown, where: string): EvalPoint {
  const n = numbers(p, EVAL_NUMBERS, where);
  const given = isRecord(p) ? p['confusion'] : undefined;
  if (given !== undefined && given !== null && !Array.isArray(given)) throw new Error(`${where}: confusion is ${echoValue(given)}, not a list of counts`);
  const confusion = readConfusion(
    (given ?? []).map((c: unknown) => (typeof c === 'number' ? c : NaN)),
    where,
  );
  return pointRecord({ kind: 'eval', ...n, confusion });
}

/**
 * A blocks point: its numbers finite, its block and layer names words, one ratio per block and one norm per layer
 * (`gradNorm` may be null: not measured).
 */
function readBlock(p: unknown, where: string): BlockPoint {
  const n = numbers(p, ['step', 'epoch', 'probeImages', 'seconds', 'flops'], where);
  const o = p as Record<string, unknown>;
  const names = (f: 'blocks' | 'layers'): string[] => {
    const v = o[f];
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(x))) {
      throw new Error(`${where}: ${f} is not a list of layer names`);
    }
    return v as string[];
  };
  const values = (f: 'residualRatio' | 'weightNorm' | 'gradNorm', count: number, per: string): number[] => {
    const v = o[f];
    if (!Array.isArray(v) || v.length !== count || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`${where}: ${f} must hold ${count} numbers, one per ${per}`);
    }
    return v as number[];
  };
  const blocks = names('blocks');
  const layers = names('layers');
  return pointRecord({
    kind: 'blocks',
    ...n,
    blocks,
    residualRatio: values('residualRatio', blocks.length, 'block'),
    layers,
    weightNorm: values('weightNorm', layers.length, 'layer'),
    gradNorm: o['gradNorm'] === null ? null : values('gradNorm', layers.length, 'layer'),
  });
}

function readPoint(p: Record<string, unknown>, where: string): MetricPoint {
  if (p['kind'] === 'blocks') return readBlock(p, where);
  return p['kind'] === 'step' ? readStep(p, where) : readEval(p, where);
}

/** A summary line's fields; its status must be one a run ends with. */
function readSummary(s: Record<string, unknown>, where: string): SummaryRecord {
  const summary = readSummaryLeniently(s);
  if (!summary) throw new Error(`${where}: status is ${echoValue(s['status'])}, expected finished or stopped`);
  return summary;
}

/**
 * A summary as files have held it: its numbers where they are numbers (else 0), its final evaluation where it is
 * one; null when its status is not one a run ends with.
 */
function readSummaryLeniently(s: Record<string, unknown>): SummaryRecord | null {
  const status = s['status'];
  if (status !== 'finished' && status !== 'stopped') return null;
  const n = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : 0);
  let finalEval: EvalPoint | null = null;
  try {
    finalEval = isRecord(s['finalEval']) ? readEval(s['finalEval'], 'finalEval') : null;
  } catch {
    // a summary is read for its status and totals; the curves have the evaluations
  }
  const testAccuracy = typeof s['testAccuracy'] === 'number' ? s['testAccuracy'] : null;
  return { status, steps: n('steps'), seconds: n('seconds'), flops: n('flops'), firstStepMs: n('firstStepMs'), finalEval, testAccuracy };
}

function readSeedsSummary(line: Record<string, unknown>, where: string): SeedsSummaryLine {
  const models = (line['models'] as unknown[]).map((m, i): SeedsSummary => {
    if (!isRecord(m) || typeof m['name'] !== 'string' || !Array.isArray(m['seeds']) || !isRecord(m['testAccuracy'])) {
      throw new Error(`${where}: models[${i}] lacks a name, seeds or testAccuracy`);
    }
    const a = m['testAccuracy'];
    const num = (v: unknown) => (typeof v === 'number' ? v : null);
    const ci = a['ci95'];
    const ci95 = Array.isArray(ci) && ci.length === 2 && ci.every((x) => typeof x === 'number') ? (ci as [number, number]) : null;
    return { name: m['name'], seeds: m['seeds'].map(Number), testAccuracy: { mean: num(a['mean']), std: num(a['std']), ci95 } };
  });
  return { kind: 'summary', models };
}

/** Refuses a file with more runs than MAX_RUNS. */
function tooManyRuns(): Error {
  return new Error(`the file holds more than ${MAX_RUNS} runs (models x seeds); split it, or import the runs you want to see`);
}

/** A model's name as given, when it is a name: text of at most MAX_NAME characters. */
function checkName(name: string, where: string): string {
  if (name.length > MAX_NAME) throw new Error(`${where}: the model name "${echo(name)}" is longer than ${MAX_NAME} characters`);
  return name;
}

/** A CSV cell as the CSV writer writes numbers (decimal, e-notation), or null: no hex, binary, "Infinity" or blanks. */
function csvNumber(text: string): number | null {
  const t = text.trim();
  if (!CSV_NUMBER.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}
const CSV_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/** An evaluation's confusion counts: none (older files), or 10x10 whole numbers >= 0. */
function readConfusion(cells: readonly number[], where: string): number[] {
  if (cells.length === 0) return [];
  if (cells.length !== CONFUSION_CELLS)
    throw new Error(`${where}: confusion has ${cells.length.toLocaleString('en')} counts, expected ${CONFUSION_CELLS} (10x10)`);
  const bad = cells.findIndex((c) => !(Number.isInteger(c) && c >= 0));
  if (bad >= 0) throw new Error(`${where}: confusion count ${bad} is not a whole number >= 0`);
  return cells.slice();
}
const CONFUSION_CELLS = 100;

/** `fields` as an object's keys, in order, with their values from `value`. */
function fromEntries<K extends string, V>(fields: readonly K[], value: (f: K) => V): Record<K, V> {
  const out = {} as Record<K, V>;
  for (const f of fields) out[f] = value(f);
  return out;
}

function pick<T extends object, K extends keyof T>(o: T, fields: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const f of fields) out[f] = o[f];
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
