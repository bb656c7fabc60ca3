/**
 * The built-in CIFAR-10 sample as a loader source: PNG sprites of 32x32 tiles plus a manifest (`sample.json`) with
 * the labels, where each image came from and the SHA-256 of the decoded records.
 *
 * Decoded with `fast-png` in the page's worker and in Node alike, into records of the official binary format
 * (label byte + R, G, B planes), so everything after this module (parser, subset selector, trainer) is the same as
 * for the full data set. PNG because it is exact and its filters (Paeth, Up...) halve what gzip of the raw records
 * leaves (see `scripts/make-sample.ts`).
 */
import { decode } from 'fast-png';
import { RECORD_BYTES } from './dataset';
import { CifarFormatError, CifarSourceError } from './errors';
import { absoluteUrl, openUrl } from './http';
import type { CifarInput } from './inputs';
import type { Split } from './tarball';
import { SAMPLE } from './sampleInfo';

const TILE = 32;
const SPLITS: readonly Split[] = ['train', 'test'];

/** Where one split's images came from. */
export interface SampleSource {
  /** the shared subset file the records were taken from, e.g. "train_subset.bin" */
  file: string;
  /** that file's SHA-256 (hex) */
  sha256: string;
  /** for each sample image, its record index in `file` */
  records: number[];
}

/** One split of the sample, as `sample.json` describes it. */
export interface SampleSplit {
  /** the sprite, relative to the manifest, e.g. "train.png" */
  file: string;
  /** images in the sprite */
  count: number;
  /** tiles per sprite row; image i is the tile at (i % columns, floor(i / columns)) */
  columns: number;
  /** one digit 0..9 per image */
  labels: string;
  /** SHA-256 (hex) of the decoded split as CIFAR-10 binary records (count * 3073 bytes) */
  sha256: string;
  /** "exact CIFAR-10 pixels" or "JPEG-decoded (quality 75, 4:2:0)" */
  fidelity: string;
  source: SampleSource;
}

export interface SampleManifest {
  format: 1;
  splits: Record<Split, SampleSplit>;
}

/** Reads the sample's files by name (relative to the manifest): fetch in the page, the disk in Node. */
export interface SampleReader {
  /** for messages: "https://example.org/app/cifar10-sample/" or "public/cifar10-sample" */
  where: string;
  read(name: string, signal: AbortSignal): Promise<Uint8Array>;
}

/** A reader over HTTP: `base` is the sample folder's URL (relative URLs resolve against the page or worker). */
export function urlSampleReader(base: string): SampleReader {
  const root = absoluteUrl(base.endsWith('/') ? base : base + '/');
  return {
    where: root,
    async read(name, signal) {
      const { stream } = await openUrl(absoluteUrl(name, root), signal);
      return new Uint8Array(await new Response(stream).arrayBuffer());
    },
  };
}

/** Checks the shape of `sample.json`; throws `CifarFormatError` naming what is wrong. */
export function parseSampleManifest(json: unknown): SampleManifest {
  const bad = (what: string) => new CifarFormatError(`not a CIFAR-10 sample manifest: ${what}`);
  const o = asRecord(json);
  if (o?.['format'] !== 1) throw bad(`format is ${JSON.stringify(o?.['format'])}, expected 1`);
  const splits = asRecord(o['splits']);
  const read = (split: Split): SampleSplit => {
    const s = asRecord(splits?.[split]);
    const src = asRecord(s?.['source']);
    if (!s || !src) throw bad(`splits.${split} is missing`);
    const { file, count, columns, labels, sha256, fidelity } = s;
    const records = src['records'];
    if (typeof file !== 'string' || typeof labels !== 'string' || typeof sha256 !== 'string' || typeof fidelity !== 'string') {
      throw bad(`splits.${split} lacks file, labels, sha256 or fidelity`);
    }
    if (!isCount(count) || !isCount(columns) || columns === 0) throw bad(`splits.${split}.count/columns must be whole numbers`);
    if (labels.length !== count || !/^[0-9]*$/.test(labels)) throw bad(`splits.${split}.labels must be ${count} digits`);
    if (!Array.isArray(records) || records.length !== count || !records.every(isCount))
      throw bad(`splits.${split}.source.records must be ${count} indices`);
    if (typeof src['file'] !== 'string' || typeof src['sha256'] !== 'string') throw bad(`splits.${split}.source lacks file or sha256`);
    return { file, count, columns, labels, sha256, fidelity, source: { file: src['file'], sha256: src['sha256'], records: records as number[] } };
  };
  return { format: 1, splits: { train: read('train'), test: read('test') } };
}

/**
 * One split's sprite (PNG bytes) as CIFAR-10 binary records: `count` records of 3073 bytes, label then CHW planes.
 * Throws `CifarFormatError` for a PNG that is not 8-bit RGB(A) or too small for `count` tiles.
 */
export function decodeSampleSplit(png: Uint8Array, split: SampleSplit, name = split.file): Uint8Array {
  let image;
  try {
    image = decode(png);
  } catch (err) {
    throw new CifarFormatError(`${name}: not a readable PNG (${err instanceof Error ? err.message : String(err)})`);
  }
  const { width, height, channels, depth, data } = image;
  const rows = Math.ceil(split.count / split.columns);
  if (depth !== 8 || (channels !== 3 && channels !== 4) || width !== split.columns * TILE || height < rows * TILE) {
    throw new CifarFormatError(
      `${name}: expected an 8-bit RGB sprite of ${split.columns}x${rows} tiles of 32x32, got ${width}x${height}, ${channels} channels, ${depth} bits`,
    );
  }
  const out = new Uint8Array(split.count * RECORD_BYTES);
  for (let i = 0; i < split.count; i++) {
    const record = i * RECORD_BYTES;
    out[record] = split.labels.charCodeAt(i) - 48;
    const x0 = (i % split.columns) * TILE;
    const y0 = Math.floor(i / split.columns) * TILE;
    for (let y = 0; y < TILE; y++) {
      let p = ((y0 + y) * width + x0) * channels;
      for (let x = 0; x < TILE; x++, p += channels) {
        const o = record + 1 + y * TILE + x;
        out[o] = data[p]!;
        out[o + 1024] = data[p + 1]!;
        out[o + 2048] = data[p + 2]!;
      }
    }
  }
  return out;
}

/** SHA-256 (hex) of `bytes`, or null where Web Crypto is missing (a page served over plain http from another host). */
export async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Decodes one split and checks it against the manifest's SHA-256 (where Web Crypto exists). */
export async function readSampleSplit(reader: SampleReader, manifest: SampleManifest, split: Split, signal: AbortSignal): Promise<Uint8Array> {
  const info = manifest.splits[split];
  const records = decodeSampleSplit(await reader.read(info.file, signal), info, `${reader.where}${info.file}`);
  const hash = await sha256Hex(records);
  if (hash !== null && hash !== info.sha256) {
    throw new CifarFormatError(`${reader.where}${info.file}: decoded images do not match sample.json (SHA-256 ${hash}, expected ${info.sha256})`);
  }
  return records;
}

/** Reads and checks `sample.json`. */
export async function readSampleManifest(reader: SampleReader, signal: AbortSignal): Promise<SampleManifest> {
  const bytes = await reader.read(SAMPLE.manifest, signal);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new CifarSourceError(`${reader.where}${SAMPLE.manifest}: not JSON (is the sample folder deployed with the site?)`);
  }
  return parseSampleManifest(json);
}

/**
 * The loader inputs for the sample: one per split, each a stream of CIFAR-10 binary records of known size, so the
 * loader plans epochs before any image is decoded.
 */
export async function sampleInputs(reader: SampleReader, signal: AbortSignal): Promise<CifarInput[]> {
  const manifest = await readSampleManifest(reader, signal);
  return SPLITS.map((split): CifarInput => {
    const info = manifest.splits[split];
    const bytes = info.count * RECORD_BYTES;
    return {
      name: `${reader.where}${info.file}`,
      split,
      bytes,
      open: async (openSignal) => {
        const records = await readSampleSplit(reader, manifest, split, openSignal);
        return { stream: new Blob([records as Uint8Array<ArrayBuffer>]).stream(), bytes };
      },
    };
  });
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
