/**
 * Downloads a file once, completely and verified: bytes go to a temporary file while their MD5 is computed, and
 * the file is renamed into place only when the checksum matches. A cut connection, an HTTP error or a wrong
 * checksum leaves nothing behind that could pass for a complete download.
 */
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { CifarSourceError } from '../src/core/data/errors';
import { openUrl } from '../src/core/data/http';

export interface DownloadProgress {
  bytesLoaded: number;
  /** from Content-Length, else null */
  bytesTotal: number | null;
}

/**
 * GETs `url` into `dest` if its MD5 (hex) is `md5`. Calls `onProgress` as bytes arrive. Rejects with a
 * `CifarSourceError` naming the cause; `dest` then does not exist (unless it already did) and no temporary file
 * is left.
 */
export async function downloadVerified(
  url: string,
  dest: string,
  md5: string,
  onProgress: (p: DownloadProgress) => void = () => undefined,
): Promise<void> {
  // Unique per process and attempt: two servers sharing a cache never write into the same temporary file.
  const part = `${dest}.part-${process.pid}-${Date.now().toString(36)}`;
  const hash = createHash('md5');
  try {
    const { stream, bytes: bytesTotal } = await openUrl(url);
    const file = await open(part, 'wx');
    let bytesLoaded = 0;
    try {
      onProgress({ bytesLoaded, bytesTotal });
      const reader = stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        hash.update(value);
        await file.write(value);
        bytesLoaded += value.byteLength;
        onProgress({ bytesLoaded, bytesTotal });
      }
    } finally {
      await file.close();
    }
    const got = hash.digest('hex');
    if (got !== md5.toLowerCase()) {
      throw new CifarSourceError(`checksum mismatch for ${url}: MD5 ${got}, expected ${md5} (corrupt or changed download; nothing was kept)`);
    }
    await rename(part, dest);
  } finally {
    // After a successful rename this finds nothing; after any failure it removes the partial bytes.
    await rm(part, { force: true });
  }
}
