/**
 * Small Web Streams helpers shared by the parsers, the loader, the tests and the benchmark. Pure: no DOM, no node:.
 */

/** A stream that passes `source` through, calling `onBytes(n)` with each chunk's length as it is read. */
export function countBytes(source: ReadableStream<Uint8Array>, onBytes: (n: number) => void): ReadableStream<Uint8Array> {
  return source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        onBytes(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * Reads the first `n` bytes (fewer if the stream is shorter) without losing them: returns them and a stream that
 * still yields every byte from the start. Used to recognise a format by its magic bytes.
 */
export async function peek(source: ReadableStream<Uint8Array>, n: number): Promise<{ head: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = source.getReader();
  const chunks: Uint8Array[] = [];
  let have = 0;
  let ended = false;
  while (have < n) {
    const next = await reader.read();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    have += next.value.byteLength;
  }
  const head = concat(chunks).subarray(0, n);
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const queued = chunks.shift();
        if (queued) {
          controller.enqueue(queued);
          return;
        }
        if (ended) {
          controller.close();
          return;
        }
        return reader.read().then(
          (next) => (next.done ? controller.close() : controller.enqueue(next.value)),
          (err: unknown) => controller.error(err),
        );
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  return { head, stream };
}

/** Joins byte arrays into one. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * A stream over `bytes` cut into chunks of the given sizes, cycled; sizes may be any positive integers.
 * For tests (records split anywhere) and the throughput benchmark.
 */
export function chunkedStream(bytes: Uint8Array, sizes: readonly number[] | number): ReadableStream<Uint8Array> {
  const list = typeof sizes === 'number' ? [sizes] : sizes;
  let at = 0;
  let k = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (at >= bytes.length) {
          controller.close();
          return;
        }
        const size = Math.max(1, Math.floor(list[k++ % list.length] ?? 1));
        controller.enqueue(bytes.subarray(at, at + size));
        at += size;
      },
    },
    { highWaterMark: 0 },
  );
}
