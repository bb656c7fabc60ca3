/**
 * The official CIFAR-10 tarball (`cifar-10-binary.tar.gz`) as a stream of its `.bin` members.
 *
 * gzip is undone by gunzip.ts (member after member, each checked, as `gzip -d` does), the tar framing by
 * modern-tar's streaming decoder, so neither the archive nor a member is ever held whole in memory. The official archive holds
 * `cifar-10-batches-bin/data_batch_1.bin` .. `data_batch_5.bin` (train), `test_batch.bin` (test) and two text
 * files, which are skipped.
 */
import { createTarDecoder, type ParsedTarEntry } from 'modern-tar';
import { CifarFormatError, CifarSourceError } from './errors';
import { gunzip } from './gunzip';
import { concat } from './streams';
import { messageOf } from '../errors';

export type Split = 'train' | 'test';

/** One CIFAR-10 binary file inside an archive. Read its body to the end or leave it; never keep it for later. */
export interface ArchiveMember {
  /** path inside the archive, e.g. "cifar-10-batches-bin/data_batch_1.bin" */
  name: string;
  /** which split its name says it holds */
  split: Split;
  /** bytes, from the tar header */
  size: number;
  /** the member's bytes; valid until the generator is resumed */
  body: ReadableStream<Uint8Array>;
}

/**
 * The split a CIFAR-10 binary file holds, from its name: `test_batch*.bin` or any `*test*.bin` is test, any other
 * `.bin` (data_batch_1.bin, train_subset.bin) is train; null for files that are not `.bin` at all.
 */
export function splitOfName(name: string): Split | null {
  const base = (name.split('/').pop() ?? name).toLowerCase();
  if (!base.endsWith('.bin')) return null;
  return base.includes('test') ? 'test' : 'train';
}

/**
 * Streams the `.bin` members of a tar archive, gzip-compressed when `gzip` is set, in archive order.
 *
 * Members the consumer does not read are skipped (their bytes still pass through the decompressor). Stopping early
 * cancels the source. Errors name the archive: "x.tar.gz: gzip data ended early (truncated download?)".
 * Throws `CifarFormatError` when the archive holds no `.bin` member at all.
 */
export async function* readArchive(
  stream: ReadableStream<Uint8Array>,
  options: { gzip: boolean; name?: string },
): AsyncGenerator<ArchiveMember, void, undefined> {
  const name = options.name ?? 'archive';
  const tarBytes = joinArchives(options.gzip ? gunzip(stream, name) : stream);
  // strict: a header with a bad checksum is an error rather than a silently garbled entry.
  const reader = tarBytes.pipeThrough(createTarDecoder({ strict: true })).getReader();
  let members = 0;
  let finished = false;
  try {
    for (;;) {
      let entry: ParsedTarEntry;
      try {
        const next = await reader.read();
        if (next.done) break;
        entry = next.value;
      } catch (err) {
        throw describeArchiveError(name, err);
      }
      const split = entry.header.type === 'file' || entry.header.type === undefined ? splitOfName(entry.header.name) : null;
      const bodyReader = entry.body.getReader();
      try {
        if (split) {
          members++;
          yield { name: entry.header.name, split, size: entry.header.size, body: memberBody(name, bodyReader) };
        }
        // Whatever the consumer left unread is drained here, never cancelled: in modern-tar 0.8.6 cancelling an
        // entry's body once the decoder has moved on detaches the *next* entry's body, which then stalls forever.
        // The bytes have to pass through the decompressor anyway, so draining costs little.
        for (;;) {
          const next = await bodyReader.read().catch((err: unknown) => {
            throw describeArchiveError(name, err);
          });
          if (next.done) break;
        }
      } finally {
        bodyReader.releaseLock();
      }
    }
    finished = true;
    if (members === 0) throw new CifarFormatError(`${name}: the archive holds no CIFAR-10 .bin files`);
  } finally {
    // Errors from cancel do not matter: we are abandoning the archive either way.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

const BLOCK = 512;

/**
 * Tar archives one after another (`cat a.tar.gz b.tar.gz`, which gzip reads as one stream) as one archive: the
 * end-of-archive zero blocks between them are dropped, as `tar --ignore-zeros` does, so that every member of every
 * archive is read (a tar reader that stops at the first end would lose the second archive's files, and modern-tar
 * reports "Invalid EOF"). Zero blocks at the very end stay, at most two. Everything else passes as it is.
 */
export function joinArchives(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  /** member bytes (body and padding) to pass before the next header */
  let body = 0;
  /** the start of a header block still arriving */
  let partial = new Uint8Array(0);
  /** zero blocks met at a header's place since the last header: an archive's end, unless another header follows */
  let zeros = 0;
  return source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        let at = 0;
        while (at < chunk.length) {
          if (body > 0) {
            const n = Math.min(body, chunk.length - at);
            controller.enqueue(chunk.subarray(at, at + n));
            body -= n;
            at += n;
            continue;
          }
          const n = Math.min(BLOCK - partial.length, chunk.length - at);
          const block = partial.length ? concat([partial, chunk.subarray(at, at + n)]) : chunk.subarray(at, at + n);
          at += n;
          if (block.length < BLOCK) {
            partial = block.slice();
            break;
          }
          partial = new Uint8Array(0);
          if (block.every((b) => b === 0)) {
            zeros++;
            continue;
          }
          // A header: the zero blocks before it ended an archive that another one follows (dropped); or, when it is
          // the first, there were none. Garbage here is the tar decoder's to refuse (its header checksum).
          zeros = 0;
          controller.enqueue(block);
          body = Math.ceil(memberSize(block) / BLOCK) * BLOCK;
        }
      },
      flush(controller) {
        for (let i = 0; i < Math.min(zeros, 2); i++) controller.enqueue(new Uint8Array(BLOCK));
        if (partial.length) controller.enqueue(partial);
      },
    }),
  );
}

/** The size field of a tar header: octal digits, or base-256 for sizes past 8 GiB (first byte's high bit set). */
function memberSize(header: Uint8Array): number {
  const field = header.subarray(124, 136);
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = new TextDecoder().decode(field).replace(/\0.*$/s, '').trim();
  const n = Number.parseInt(text || '0', 8);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * A member's body for the consumer. Its errors name the archive; cancelling it only stops the consumer's reads (the
 * archive reader drains the rest, see above).
 */
function memberBody(archive: string, reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (cancelled) return;
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (err) {
          if (!cancelled) controller.error(describeArchiveError(archive, err));
          return;
        }
        if (cancelled) return; // the read raced a cancel: the stream is gone, the drain will see the rest
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Turns gzip and tar decoder messages into ones a person can act on. Errors that already carry a clear message
 * (a broken download, a bad record) pass unchanged.
 */
export function describeArchiveError(archive: string, err: unknown): Error {
  if (err instanceof CifarFormatError || err instanceof CifarSourceError) return err;
  const msg = messageOf(err);
  if (/incorrect header check|not in gzip format|invalid gzip/i.test(msg)) {
    return new CifarFormatError(`${archive}: not a gzip file (expected cifar-10-binary.tar.gz)`);
  }
  if (/unexpected end of file|unexpected end/i.test(msg)) {
    return new CifarFormatError(`${archive}: gzip data ended early (truncated download?)`);
  }
  if (/truncated/i.test(msg)) return new CifarFormatError(`${archive}: tar archive is truncated`);
  if (/checksum|invalid tar|tar number|ustar/i.test(msg)) {
    return new CifarFormatError(`${archive}: not a valid tar archive (${msg.replace(/\.$/, '')})`);
  }
  return new CifarFormatError(`${archive}: cannot read archive: ${msg}`);
}
