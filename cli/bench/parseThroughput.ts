/** Parse throughput of the core's CIFAR-10 record parser, for the bench harness (BENCHMARKS.md). */
import { parseCifarStream } from '../../src/core/data/cifarStream';
import { chunkedStream } from '../../src/core/data/streams';

export interface ParseThroughput {
  /** megabytes (10^6 bytes) of CIFAR-10 binary parsed per second of wall time */
  mbPerSec: number;
  /** records parsed */
  records: number;
  /** bytes parsed */
  bytes: number;
  /** wall time in seconds */
  seconds: number;
}

/**
 * Parses `bytes` (whole CIFAR-10 binary records) from a stream of `chunkBytes`-sized chunks (default 64 KiB, what
 * fetch and file streams typically deliver) and times it. Includes the stream machinery, excludes I/O.
 * Throws `CifarFormatError` for bytes that are not CIFAR-10.
 */
export async function measureParseThroughput(bytes: Uint8Array, chunkBytes = 65536): Promise<ParseThroughput> {
  const start = performance.now();
  let records = 0;
  for await (const batch of parseCifarStream(chunkedStream(bytes, chunkBytes), { expectedBytes: bytes.length })) {
    records += batch.count;
  }
  const seconds = (performance.now() - start) / 1000;
  return { mbPerSec: bytes.length / 1e6 / Math.max(seconds, 1e-9), records, bytes: bytes.length, seconds };
}
