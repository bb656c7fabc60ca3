/**
 * The CIFAR-10 binary record parser over a byte stream.
 *
 * The official format is a headerless sequence of 3073-byte records: 1 label byte (0..9), then 1024 R, 1024 G and
 * 1024 B bytes (each plane row-major 32x32). Chunks may split a record anywhere, so the parser is a small state
 * machine that copies each chunk straight into the pixel buffer of the batch being filled: one memcpy per piece,
 * no per-pixel loop, and the records keep the file's CHW layout (what `GrowingDataset` stores).
 *
 * A batch is only handed out after all of its label bytes were checked, so a consumer never sees a record from a
 * stretch of bytes that has already proved not to be CIFAR-10. Pure: no DOM, no node: imports.
 */
import { RECORD_BYTES, RECORD_PIXELS } from './dataset';
import { CifarFormatError } from './errors';

export { CifarFormatError };

/** Records per yielded batch unless told otherwise: 256 records = 786 KB of pixels. */
export const DEFAULT_BATCH_RECORDS = 256;

/** Counts so far in one parsed stream. */
export interface ParseProgress {
  /** bytes of the stream consumed (whole records only, so a multiple of 3073) */
  bytes: number;
  /** whole, validated records so far */
  records: number;
  /** records so far per class, [10] */
  perClass: number[];
}

/** A run of consecutive records, ready to append. */
export interface CifarBatch {
  /** records in this batch */
  count: number;
  /** [count] class indices 0..9 */
  labels: Uint8Array;
  /** [count, 3072] CHW bytes per record (1024 R, 1024 G, 1024 B) */
  pixels: Uint8Array;
  /** index in the stream of this batch's first record */
  first: number;
  /** totals including this batch (a fresh object each batch) */
  progress: ParseProgress;
}

export interface ParseOptions {
  /** names the stream in error messages, e.g. "data_batch_1.bin" */
  name?: string;
  /** the stream's size in bytes when known up front (file size, Content-Length, tar header): checked first and last */
  expectedBytes?: number | null;
  /** records per batch (default 256) */
  batchRecords?: number;
}

/**
 * Parses a CIFAR-10 binary stream into batches of whole, checked records.
 *
 * Throws `CifarFormatError` (after the batches that were fine) for an empty stream, a file that is some other
 * format (PNG, gzip, tar...), a label byte above 9, a truncated last record, or a size that differs from
 * `expectedBytes`. A size known up front to be no multiple of 3073 throws before any batch. Stopping early
 * (`break`) cancels the stream.
 */
export async function* parseCifarStream(
  stream: ReadableStream<Uint8Array>,
  options: ParseOptions = {},
): AsyncGenerator<CifarBatch, ParseProgress, undefined> {
  const name = options.name ?? 'stream';
  const batchRecords = Math.max(1, Math.floor(options.batchRecords ?? DEFAULT_BATCH_RECORDS));
  const expected = options.expectedBytes ?? null;

  const reader = stream.getReader();
  const perClass = new Array<number>(10).fill(0);
  let records = 0; // whole records already in yielded batches or the batch being filled
  let pos = 0; // byte offset inside the record being filled, 0..3072
  let n = 0; // records complete in the current batch
  let labels = new Uint8Array(batchRecords);
  let pixels = new Uint8Array(batchRecords * RECORD_PIXELS);
  let head: Uint8Array | null = null; // the stream's first bytes, kept to explain a bad first label
  let finished = false;

  const take = (): CifarBatch => {
    const batch: CifarBatch = {
      count: n,
      labels: n === batchRecords ? labels : labels.slice(0, n),
      pixels: n === batchRecords ? pixels : pixels.slice(0, n * RECORD_PIXELS),
      first: records - n,
      progress: { bytes: records * RECORD_BYTES, records, perClass: perClass.slice() },
    };
    // Fresh buffers: the consumer may keep the batch it got.
    labels = new Uint8Array(batchRecords);
    pixels = new Uint8Array(batchRecords * RECORD_PIXELS);
    n = 0;
    return batch;
  };

  try {
    if (expected !== null && (expected === 0 || expected % RECORD_BYTES !== 0)) {
      // Wrong size for CIFAR-10: if the first bytes say what the file is instead, that is the clearer message.
      const first = await reader.read();
      const what = first.done ? null : describeFormat(first.value.subarray(0, 512));
      if (what) throw new CifarFormatError(`${name}: not a CIFAR-10 binary file: it looks like ${what}`);
      checkSize(name, expected);
    }
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      if (head === null) head = chunk.slice(0, 512);
      let i = 0;
      while (i < chunk.length) {
        if (pos === 0) {
          const label = chunk[i]!;
          if (label > 9) throw badLabel(name, records, label, records === 0 ? head : null);
          labels[n] = label;
          i++;
          pos = 1;
        }
        const k = Math.min(RECORD_BYTES - pos, chunk.length - i);
        pixels.set(chunk.subarray(i, i + k), n * RECORD_PIXELS + pos - 1);
        i += k;
        pos += k;
        if (pos === RECORD_BYTES) {
          perClass[labels[n]!]!++;
          pos = 0;
          n++;
          records++;
          if (n === batchRecords) yield take();
        }
      }
    }
    finished = true;
    const bytes = records * RECORD_BYTES + pos;
    if (bytes === 0) throw new CifarFormatError(`${name}: empty: no CIFAR-10 records (expected 3073-byte records)`);
    if (pos !== 0) {
      throw new CifarFormatError(
        `${name}: truncated last record: ${bytes} bytes is ${records} whole records + ${pos} bytes ` + `(each record is ${RECORD_BYTES} bytes)`,
      );
    }
    if (expected !== null && bytes !== expected) {
      throw new CifarFormatError(`${name}: stream ended after ${bytes} of ${expected} bytes`);
    }
    if (n > 0) yield take();
    return { bytes, records, perClass };
  } finally {
    // An early stop or an error: tell the source we are done so it stops fetching. Errors from cancel are
    // irrelevant here, the stream is being abandoned either way.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** Throws when a known byte size cannot be CIFAR-10 records. */
export function checkSize(name: string, bytes: number): void {
  if (bytes === 0) throw new CifarFormatError(`${name}: empty: no CIFAR-10 records (expected 3073-byte records)`);
  if (bytes % RECORD_BYTES !== 0) {
    throw new CifarFormatError(
      `${name}: size ${bytes} bytes is not a multiple of ${RECORD_BYTES} (one CIFAR-10 record): ` +
        `${Math.floor(bytes / RECORD_BYTES)} records + ${bytes % RECORD_BYTES} bytes`,
    );
  }
}

/** A format recognised by its first bytes, for errors that say what a file is instead of what it is not. */
export function sniffFormat(head: Uint8Array): 'gzip' | 'tar' | 'png' | 'jpeg' | 'zip' | 'text' | null {
  const at = (i: number) => head[i] ?? -1;
  if (at(0) === 0x1f && at(1) === 0x8b) return 'gzip';
  if (at(0) === 0x89 && at(1) === 0x50 && at(2) === 0x4e && at(3) === 0x47) return 'png';
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'jpeg';
  if (at(0) === 0x50 && at(1) === 0x4b && at(2) === 0x03 && at(3) === 0x04) return 'zip';
  // POSIX tar: "ustar" at offset 257 of the first header.
  if (at(257) === 0x75 && at(258) === 0x73 && at(259) === 0x74 && at(260) === 0x61 && at(261) === 0x72) return 'tar';
  let printable = head.length >= 4;
  for (let i = 0; i < Math.min(head.length, 16); i++) {
    const b = head[i]!;
    if (!(b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127))) printable = false;
  }
  return printable ? 'text' : null;
}

/** "a PNG file", "text"... for a recognised non-CIFAR format, else null. */
function describeFormat(head: Uint8Array): string | null {
  const kind = sniffFormat(head);
  if (kind === 'gzip') return 'gzip data (a .tar.gz archive?)';
  if (kind === 'text') return 'text';
  return kind ? `a ${kind.toUpperCase()} file` : null;
}

function badLabel(name: string, record: number, label: number, head: Uint8Array | null): CifarFormatError {
  if (head) {
    const what = describeFormat(head);
    if (what) return new CifarFormatError(`${name}: not a CIFAR-10 binary file: it looks like ${what}`);
    return new CifarFormatError(`${name}: not a CIFAR-10 binary file: first byte is ${label}, not a label 0..9`);
  }
  return new CifarFormatError(`${name}: record ${record} (byte ${record * RECORD_BYTES}) has label ${label}; CIFAR-10 labels are 0..9`);
}
