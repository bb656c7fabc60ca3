/**
 * Inputs: byte streams that are a CIFAR-10 `.bin` file or a (gzipped) tar of them, recognised by their first bytes;
 * how one is opened and split into `.bin` streams, and the order the loader reads them in.
 */
import { sniffFormat } from './cifarStream';
import { openUrl } from './http';
import { countBytes, peek } from './streams';
import { readArchive, splitOfName, type Split } from './tarball';

/** One byte stream to read: a `.bin` file or a `.tar(.gz)` of them. */
export interface CifarInput {
  /** file name or URL; names the input in messages and, for a `.bin`, gives its split (see `splitOfName`) */
  name: string;
  /** the split, when known better than from the name (the server's manifest says) */
  split?: Split;
  /** size in bytes when known before opening, else null */
  bytes: number | null;
  /** opens the bytes; rejects with a clear Error (HTTP 404, missing file) */
  open(signal: AbortSignal): Promise<{ stream: ReadableStream<Uint8Array>; bytes: number | null }>;
}

/** One CIFAR-10 binary stream: an input that is a `.bin` file, or one `.bin` member of an archive input. */
export interface CifarMember {
  /** the input's name, plus the member's path for an archive: "cifar-10-binary.tar.gz: cifar-10-batches-bin/test_batch.bin" */
  name: string;
  split: Split;
  /** size in bytes if known (file size, Content-Length, tar header) */
  bytes: number | null;
  /** its bytes: read them (or leave them) before asking for the next member */
  stream: ReadableStream<Uint8Array>;
}

/**
 * Opens an input and yields its CIFAR-10 binary streams: the input itself, or each `.bin` member when its first
 * bytes say gzip or tar (whatever its name). A stream left unread is skipped. `onBytes(n, size?)` counts the
 * input's raw bytes as they are read (compressed ones for a .tar.gz), with the input's size on the first call when
 * opening revealed it.
 */
export async function* readMembers(
  input: CifarInput,
  signal: AbortSignal,
  onBytes: (n: number, size?: number | null) => void = () => undefined,
): AsyncGenerator<CifarMember, void, undefined> {
  const opened = await input.open(signal);
  if (input.bytes === null) onBytes(0, opened.bytes);
  const counted = countBytes(opened.stream, (n) => onBytes(n));
  // 512 bytes: a tar header's "ustar" magic sits at offset 257.
  const { head, stream } = await peek(counted, 512);
  const format = sniffFormat(head);
  if (format === 'gzip' || format === 'tar') {
    for await (const m of readArchive(stream, { gzip: format === 'gzip', name: input.name })) {
      yield { name: `${input.name}: ${m.name}`, split: m.split, bytes: m.size, stream: m.body };
    }
    return;
  }
  const split = input.split ?? splitOfName(input.name) ?? 'train';
  try {
    yield { name: input.name, split, bytes: input.bytes ?? opened.bytes, stream };
  } finally {
    // Skipped or stopped early: release the file or connection. (A stream read to the end is unlocked and
    // closed, and cancelling it does nothing.)
    if (!stream.locked) await stream.cancel().catch(() => undefined);
  }
}

/**
 * Groups inputs into lanes read side by side. With only `.bin` inputs: one lane per split, each in natural name
 * order. With any archive or unrecognised input: one lane in the given order (an archive feeds both splits, and
 * two writers into one split would make the record order depend on timing).
 */
export function planLanes(inputs: readonly CifarInput[]): CifarInput[][] {
  const splitOf = (i: CifarInput) => i.split ?? splitOfName(i.name);
  if (inputs.some((i) => splitOf(i) === null)) return [inputs.slice()];
  const byName = new Intl.Collator('en', { numeric: true }).compare;
  const lane = (s: Split) => inputs.filter((i) => splitOf(i) === s).sort((a, b) => byName(baseName(a.name), baseName(b.name)));
  return [lane('train'), lane('test')].filter((l) => l.length > 0);
}

/** An input over a URL; `name` defaults to the URL. */
export function urlInput(url: string, name = url, split?: Split, bytes: number | null = null): CifarInput {
  return { name, bytes, ...(split ? { split } : {}), open: (signal) => openUrl(url, signal) };
}

/** An input over a Blob or File (its `name` when it has one). */
export function blobInput(blob: Blob, index = 0): CifarInput {
  const named = (blob as Blob & { name?: unknown }).name;
  const name = typeof named === 'string' && named ? named : `file ${index + 1}`;
  return { name, bytes: blob.size, open: async () => ({ stream: blob.stream(), bytes: blob.size }) };
}

/** The file name of a path or URL, without query or fragment. */
export function baseName(name: string): string {
  return name.split(/[?#]/)[0]!.split('/').pop() ?? name;
}
