/**
 * gzip, undone as `gzip -d` does it: a file of several gzip members (bgzip, pigz --independent, `cat a.gz b.gz`)
 * is their contents one after another, every member's CRC-32 and length are checked, and bytes after the last member
 * that are not gzip are named as trailing garbage rather than "not a gzip file".
 *
 * The platforms' DecompressionStream cannot do this: browsers refuse anything after the first member ("junk"), and a
 * second member and trailing garbage look alike to it. fflate's streaming inflater (pure JavaScript, the same in the
 * page's worker and in Node) reads member after member and says where each begins; the framing checks are ours.
 */
import { Gunzip } from 'fflate';
import { crc32 } from '../crc32';
import { CifarFormatError } from './errors';

/** Input kept for the trailer checks: a member's trailer sits just before the next member's header. */
const WINDOW = 1 << 18;
/** A gzip trailer: CRC-32 and length (mod 2^32) of the member's contents, little-endian. */
const TRAILER = 8;

/** Decompresses a gzip stream of one or more members; errors are CifarFormatErrors that name `name`. */
export function gunzip(source: ReadableStream<Uint8Array>, name = 'archive'): ReadableStream<Uint8Array> {
  let controller!: TransformStreamDefaultController<Uint8Array>;
  const inflater = new Gunzip();
  /** the last WINDOW bytes of input (at least), and the input offset of window[0] */
  let window = new Uint8Array(0);
  let windowStart = 0;
  let received = 0;
  /** the current member's contents so far: CRC-32 and length */
  let crc = 0;
  let size = 0;
  let members = 0;
  let failure: Error | null = null;

  const fail = (message: string) => new CifarFormatError(`${name}: ${message}`);
  /** The 8 input bytes before `offset`, or null when they are no longer kept. */
  const trailerBefore = (offset: number): Uint8Array | null => {
    const at = offset - TRAILER - windowStart;
    return at >= 0 && offset - windowStart <= window.length ? window.subarray(at, at + TRAILER) : null;
  };
  const matches = (t: Uint8Array) => {
    const v = new DataView(t.buffer, t.byteOffset, TRAILER);
    return v.getUint32(0, true) === crc && v.getUint32(4, true) === size >>> 0;
  };
  /** A member ended where the next one begins (`offset`): its trailer must match what it held. */
  const endMember = (offset: number) => {
    const t = trailerBefore(offset);
    if (t && !matches(t)) failure ??= fail(`gzip member ${members + 1} is damaged: its CRC-32 or length does not match its contents`);
    members++;
    crc = 0;
    size = 0;
  };
  inflater.ondata = (data) => {
    if (data.length === 0) return;
    crc = crc32(data, crc);
    size += data.length;
    controller.enqueue(data);
  };
  inflater.onmember = endMember;

  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      inflater.push(chunk, final);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // fflate's codes: 0 unexpected EOF, 6 invalid gzip header (only a later member's: the first was sniffed)
      if (code === 6 && members === 0 && size === 0) throw fail('not a gzip file (expected cifar-10-binary.tar.gz)');
      if (code === 6) throw fail('trailing garbage after the gzip data: the bytes after its last member are not gzip (the file was appended to?)');
      if (code === 0) throw fail('gzip data ended early (truncated download?)');
      throw fail(`the gzip data is damaged (${(err as Error).message})`);
    }
    if (failure) throw failure;
  };

  const transform = new TransformStream<Uint8Array, Uint8Array>({
    start(c) {
      controller = c;
    },
    transform(chunk) {
      received += chunk.length;
      const joined = new Uint8Array(window.length + chunk.length);
      joined.set(window);
      joined.set(chunk, window.length);
      const drop = Math.max(0, joined.length - WINDOW - chunk.length);
      window = joined.subarray(drop);
      windowStart += drop;
      push(chunk, false);
    },
    flush() {
      push(new Uint8Array(0), true);
      // The last member's trailer ends the file; a few bytes more are garbage fflate lets pass.
      for (let extra = 0; extra < 4; extra++) {
        const t = trailerBefore(received - extra);
        if (t && matches(t)) {
          if (extra > 0) throw fail(`trailing garbage after the gzip data: ${extra} byte${extra > 1 ? 's' : ''} after its last member`);
          return;
        }
      }
      throw fail('gzip data ended early or is damaged: its last CRC-32 and length do not match its contents (truncated download?)');
    },
  });
  return source.pipeThrough(transform);
}
