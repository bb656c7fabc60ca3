/**
 * `blocks` points in the metrics files: read back from JSON (JSON Lines and the exported JSON document), and as CSV
 * columns (lists as space-separated values, as the confusion matrix). Checked on the way in: a file names each
 * block and layer once, with a finite value each.
 */
import type { BlockPoint } from '../metrics';

/** The CSV columns of a blocks row, after the columns every point has (and empty in other rows). */
export const BLOCK_CSV_COLUMNS = ['blocks', 'residualRatio', 'probeImages', 'layers', 'weightNorm', 'gradNorm'] as const;
export type BlockCsvColumn = (typeof BLOCK_CSV_COLUMNS)[number];

const COMMON = ['step', 'epoch', 'seconds', 'flops'] as const;

/** A blocks point's own CSV cells. */
export function blockCsvCells(p: BlockPoint): Record<BlockCsvColumn, string | number> {
  return {
    blocks: p.blocks.join(' '),
    residualRatio: p.residualRatio.join(' '),
    probeImages: p.probeImages,
    layers: p.layers.join(' '),
    weightNorm: p.weightNorm.join(' '),
    gradNorm: p.gradNorm ? p.gradNorm.join(' ') : '',
  };
}

/** A blocks point from its CSV cells (`common`: step, epoch, seconds, flops, already read). */
export function blockFromCsv(common: Pick<BlockPoint, (typeof COMMON)[number]>, cell: (c: BlockCsvColumn) => string, where: string): BlockPoint {
  const words = (c: BlockCsvColumn) => cell(c).trim().split(/\s+/).filter(Boolean);
  return readBlockPoint(
    {
      ...common,
      blocks: words('blocks'),
      residualRatio: words('residualRatio').map(Number),
      probeImages: Number(cell('probeImages')),
      layers: words('layers'),
      weightNorm: words('weightNorm').map(Number),
      gradNorm: cell('gradNorm').trim() === '' ? null : words('gradNorm').map(Number),
    },
    where,
  );
}

/** A blocks point from parsed JSON; throws an Error naming `where` and the field that is wrong. */
export function readBlockPoint(p: unknown, where: string): BlockPoint {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new Error(`${where} is not an object`);
  const o = p as Record<string, unknown>;
  const num = (f: string): number => {
    const v = o[f];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: ${f} is ${JSON.stringify(v)}, not a number`);
    return v;
  };
  const names = (f: string): string[] => {
    const v = o[f];
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(x))) {
      throw new Error(`${where}: ${f} is not a list of layer names`);
    }
    return v as string[];
  };
  const values = (f: string, n: number): number[] => {
    const v = o[f];
    if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`${where}: ${f} must hold ${n} numbers, one per ${f === 'residualRatio' ? 'block' : 'layer'}`);
    }
    return v as number[];
  };
  const blocks = names('blocks');
  const layers = names('layers');
  return {
    kind: 'blocks',
    step: num('step'),
    // train.py's --eval-only line and older writers may leave these out
    epoch: typeof o['epoch'] === 'number' ? o['epoch'] : 0,
    seconds: typeof o['seconds'] === 'number' ? o['seconds'] : 0,
    flops: typeof o['flops'] === 'number' ? o['flops'] : 0,
    blocks,
    residualRatio: values('residualRatio', blocks.length),
    probeImages: num('probeImages'),
    layers,
    weightNorm: values('weightNorm', layers.length),
    gradNorm: o['gradNorm'] === null || o['gradNorm'] === undefined ? null : values('gradNorm', layers.length),
  };
}
