/**
 * Writing a file so that it is never seen half-written: the bytes go to a temporary name in the same folder, then
 * one rename puts them in place (atomic on POSIX file systems). A crash or Ctrl-C leaves the old file or the new
 * one, never a mix. (Minimal on purpose: the run-folder helpers of issue 12 may take this over.)
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const temp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
