/**
 * Exported metrics, and reading them back: CSV (one row per metric point, for spreadsheets and pandas) and JSON
 * (the same points grouped by run, plus the config link). Both carry every field of StepPoint, EvalPoint and
 * BlockPoint, so an import draws exactly the curves and block views that were exported; files written before
 * blocks points existed (no blocks columns, no `blocks` lists) read as before. Imports also read the JSON Lines `metrics.jsonl` that
 * `wrn train --out` and the exported PyTorch `train.py --out` write.
 */
import { wrnCost } from '../../core/cost';
import { BLOCK_CSV_COLUMNS, blockCsvCells, blockFromCsv, readBlockPoint, type BlockCsvColumn } from '../../core/insight/blockPoints';
import type { BlockPoint, EvalPoint, RunSummary, StepPoint } from '../../core/metrics';
import { parseCsv, toCsv, type CsvCell } from './csv';
import type { RunRecord } from './runRecord';

export const METRICS_FORMAT = 'wrn-playground-metrics';
export const METRICS_VERSION = 1;

const STEP_FIELDS = ['loss', 'trainAccuracy', 'lr', 'imagesPerSec', 'stepMs', 'numTensors', 'deviceBytes'] as const;
const EVAL_FIELDS = ['testLoss', 'testAccuracy', 'testImages'] as const;
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
  ...STEP_FIELDS,
  ...EVAL_FIELDS,
  'confusion',
  ...BLOCK_CSV_COLUMNS,
] as const;
type Column = (typeof CSV_COLUMNS)[number];
/** Columns a file written before blocks points existed lacks; it reads the same without them. */
const OPTIONAL_COLUMNS: readonly Column[] = BLOCK_CSV_COLUMNS;

/** All runs' points as CSV, steps and evaluations interleaved in the order they happened. */
export function encodeMetricsCsv(runs: readonly RunRecord[]): string {
  const rows: CsvCell[][] = [[...CSV_COLUMNS]];
  runs.forEach((run, index) => {
    // at one step: the step, its evaluation, then the blocks point measured with it
    const order = { step: 0, eval: 1, blocks: 2 } as const;
    const points = [...run.steps, ...run.evals, ...(run.blocks ?? [])].sort((a, b) => a.step - b.step || order[a.kind] - order[b.kind]);
    for (const p of points) {
      const row: Record<Column, CsvCell> = {
        run: index,
        name: run.name,
        params: run.params,
        macs: run.macs,
        kind: p.kind,
        step: p.step,
        epoch: p.epoch,
        seconds: p.seconds,
        flops: p.flops,
        loss: null,
        trainAccuracy: null,
        lr: null,
        imagesPerSec: null,
        stepMs: null,
        numTensors: null,
        deviceBytes: null,
        testLoss: null,
        testAccuracy: null,
        testImages: null,
        confusion: null,
        blocks: null,
        residualRatio: null,
        probeImages: null,
        layers: null,
        weightNorm: null,
        gradNorm: null,
      };
      if (p.kind === 'step') for (const f of STEP_FIELDS) row[f] = p[f];
      else if (p.kind === 'eval') {
        for (const f of EVAL_FIELDS) row[f] = p[f];
        row.confusion = p.confusion.join(' ');
      } else Object.assign(row, blockCsvCells(p));
      rows.push(CSV_COLUMNS.map((c) => row[c]));
    }
  });
  return toCsv(rows);
}

interface JsonRun {
  name: string;
  params: number;
  macs: number;
  totalSteps: number | null;
  steps: StepPoint[];
  evals: EvalPoint[];
  blocks: BlockPoint[];
  summary: Omit<RunSummary, 'predictions'> | null;
}

/** All runs as one JSON document; `config` is the URL text of the config they were trained with. */
export function encodeMetricsJson(runs: readonly RunRecord[], config: string, exportedAt: Date): string {
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
        steps: [...r.steps],
        evals: [...r.evals],
        blocks: [...(r.blocks ?? [])],
        // predictions are per test image and belong with the weights, not the curves
        summary: r.summary ? withoutPredictions(r.summary) : null,
      }),
    ),
  };
  return JSON.stringify(doc, null, 1);
}

function withoutPredictions(s: RunSummary): Omit<RunSummary, 'predictions'> {
  const { predictions: _unused, ...rest } = s;
  void _unused;
  return rest;
}

/**
 * Reads an exported file (CSV or JSON, told apart by the first character) back into runs marked imported.
 * Throws an Error that says what is wrong and where (line or run), for the page to show.
 * @param idPrefix makes the ids unique across several imports, e.g. "imported-2"
 */
export function decodeMetricsFile(text: string, idPrefix: string): RunRecord[] {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') throw new Error('the file is empty');
  const runs = !body.startsWith('{') ? decodeCsv(body) : isJsonLines(body) ? decodeJsonLines(body) : decodeJson(body);
  if (runs.length === 0) throw new Error('the file holds no runs');
  return runs.map((r, i) => ({ ...r, id: `${idPrefix}-${i}`, imported: true }));
}

type Decoded = Omit<RunRecord, 'id' | 'imported'>;

function decodeCsv(text: string): Decoded[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new Error('the CSV has no header');
  const index = new Map(header.map((h, i) => [h.trim(), i]));
  const missing = CSV_COLUMNS.filter((c) => !index.has(c) && !OPTIONAL_COLUMNS.includes(c));
  if (missing.length) throw new Error(`not a metrics CSV: missing column(s) ${missing.join(', ')}`);
  const runs = new Map<string, Decoded & { steps: StepPoint[]; evals: EvalPoint[]; blocks: BlockPoint[] }>();
  rows.forEach((row, r) => {
    const line = r + 2; // 1-based, after the header
    const text = (c: Column) => (index.has(c) ? (row[index.get(c)!] ?? '') : '');
    const num = (c: Column) => {
      const v = Number(text(c));
      if (text(c).trim() === '' || !Number.isFinite(v)) throw new Error(`line ${line}: ${c} is "${text(c)}", not a number`);
      return v;
    };
    const key = text('run');
    let run = runs.get(key);
    if (!run) {
      run = { name: text('name'), params: num('params'), macs: num('macs'), steps: [], evals: [], blocks: [], totalSteps: null, summary: null };
      runs.set(key, run);
    }
    const common = { step: num('step'), epoch: num('epoch'), seconds: num('seconds'), flops: num('flops') };
    const kind = text('kind');
    if (kind === 'step') {
      run.steps.push({
        kind,
        ...common,
        loss: num('loss'),
        trainAccuracy: num('trainAccuracy'),
        lr: num('lr'),
        imagesPerSec: num('imagesPerSec'),
        stepMs: num('stepMs'),
        numTensors: num('numTensors'),
        deviceBytes: num('deviceBytes'),
      });
    } else if (kind === 'eval') {
      const confusion = text('confusion').trim() === '' ? [] : text('confusion').trim().split(/\s+/).map(Number);
      run.evals.push({
        kind,
        ...common,
        testLoss: num('testLoss'),
        testAccuracy: num('testAccuracy'),
        testImages: num('testImages'),
        confusion,
      });
    } else if (kind === 'blocks') {
      run.blocks.push(blockFromCsv(common, (c: BlockCsvColumn) => text(c), `line ${line}`));
    } else throw new Error(`line ${line}: kind is "${kind}", expected step, eval or blocks`);
  });
  return [...runs.values()];
}

function decodeJson(text: string): Decoded[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON: ${(e as Error).message}`);
  }
  if (!isRecord(doc) || doc['format'] !== METRICS_FORMAT) throw new Error(`not a ${METRICS_FORMAT} JSON file`);
  if (doc['version'] !== METRICS_VERSION) throw new Error(`unknown metrics file version ${String(doc['version'])}`);
  const runs = doc['runs'];
  if (!Array.isArray(runs)) throw new Error('the JSON has no "runs" list');
  return runs.map((r: unknown, i): Decoded => {
    if (!isRecord(r) || typeof r['name'] !== 'string' || !Array.isArray(r['steps']) || !Array.isArray(r['evals'])) {
      throw new Error(`run ${i} lacks a name, steps or evals`);
    }
    const summary = isRecord(r['summary']) ? readSummary(r['summary']) : null;
    return {
      name: r['name'],
      params: Number(r['params']) || 0,
      macs: Number(r['macs']) || 0,
      totalSteps: typeof r['totalSteps'] === 'number' ? r['totalSteps'] : null,
      steps: (r['steps'] as unknown[]).map((p, j) => readStep(p, `run ${i}, steps[${j}]`)),
      evals: (r['evals'] as unknown[]).map((p, j) => readEval(p, `run ${i}, evals[${j}]`)),
      blocks: Array.isArray(r['blocks']) ? (r['blocks'] as unknown[]).map((p, j) => readBlockPoint(p, `run ${i}, blocks[${j}]`)) : [],
      summary,
    };
  });
}

const COMMON_FIELDS = ['step', 'epoch', 'seconds', 'flops'] as const;

/** The named fields of `o` as finite numbers; throws naming the first that is not. */
function numbers<K extends string>(o: unknown, fields: readonly K[], where: string): Record<K, number> {
  if (!isRecord(o)) throw new Error(`${where} is not an object`);
  const out = {} as Record<K, number>;
  for (const f of fields) {
    const v = o[f];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: ${f} is ${JSON.stringify(v)}, not a number`);
    out[f] = v;
  }
  return out;
}

function readStep(p: unknown, where: string): StepPoint {
  return { kind: 'step', ...numbers(p, [...COMMON_FIELDS, ...STEP_FIELDS], where) };
}

function readEval(p: unknown, where: string): EvalPoint {
  const confusion = isRecord(p) && Array.isArray(p['confusion']) ? p['confusion'].map(Number) : [];
  return { kind: 'eval', ...numbers(p, [...COMMON_FIELDS, ...EVAL_FIELDS], where), confusion };
}

function readSummary(s: Record<string, unknown>): RunSummary | null {
  const status = s['status'];
  if (status !== 'finished' && status !== 'stopped') return null;
  const n = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : 0);
  // The final evaluation is also the last of `evals`; predictions are not exported (see encodeMetricsJson).
  return { status, steps: n('steps'), seconds: n('seconds'), flops: n('flops'), firstStepMs: n('firstStepMs'), finalEval: null, predictions: null };
}

/** JSON Lines when the first line alone is a metrics point (an exported JSON document starts with a lone "{"). */
function isJsonLines(body: string): boolean {
  try {
    const first: unknown = JSON.parse(body.split('\n', 1)[0]!);
    return isRecord(first) && typeof first['kind'] === 'string';
  } catch {
    return false;
  }
}

/**
 * `metrics.jsonl` of `wrn train` or train.py: one point per line, each with its model's name; runs in the order
 * their first line comes. Params and MACs are not in the lines, so they come from the name (WRN-d-k).
 */
function decodeJsonLines(body: string): Decoded[] {
  const runs = new Map<string, Decoded & { steps: StepPoint[]; evals: EvalPoint[]; blocks: BlockPoint[] }>();
  body.split('\n').forEach((text, i) => {
    const where = `line ${i + 1}`;
    if (text.trim() === '') return;
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch (e) {
      throw new Error(`${where}: not valid JSON (${(e as Error).message})`);
    }
    if (!isRecord(line) || typeof line['model'] !== 'string') throw new Error(`${where}: no "model" name`);
    const name = line['model'];
    let run = runs.get(name);
    if (!run) {
      run = { name, ...costOfName(name), totalSteps: null, steps: [], evals: [], blocks: [], summary: null };
      runs.set(name, run);
    }
    if (line['kind'] === 'step') run.steps.push(readStep(line, where));
    else if (line['kind'] === 'eval') run.evals.push(readEval(line, where));
    else if (line['kind'] === 'blocks') run.blocks.push(readBlockPoint(line, where));
    else if (line['kind'] === 'summary') run.summary = readSummary(line);
    else throw new Error(`${where}: kind is ${JSON.stringify(line['kind'])}, expected step, eval, blocks or summary`);
  });
  return [...runs.values()];
}

/** Params and MACs of "WRN-d-k" or "WRN-d-k (dropout p)"; zeros for a name that is not one. */
function costOfName(name: string): { params: number; macs: number } {
  const m = /^WRN-(\d+)-(\d+)/.exec(name);
  if (!m) return { params: 0, macs: 0 };
  try {
    const c = wrnCost({ depth: Number(m[1]), width: Number(m[2]), dropout: 0 });
    return { params: c.params, macs: c.macs };
  } catch {
    return { params: 0, macs: 0 };
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
