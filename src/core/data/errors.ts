/**
 * The two ways loading CIFAR-10 fails, as classes so callers (and the archive reader) can tell a message that is
 * already clear from a raw platform error that still needs one.
 */

/** The bytes are not (or stop being) valid CIFAR-10: bad label, truncated record, wrong size, not the format. */
export class CifarFormatError extends Error {
  override name = 'CifarFormatError';
}

/** The bytes could not be fetched: HTTP error, lost connection, server-side download failure, missing file. */
export class CifarSourceError extends Error {
  override name = 'CifarSourceError';
}
