/**
 * A command's config: the link text from its arguments, or from a file (`--config-file FILE`, `-` for stdin) for a
 * config too long for a command line (Linux takes at most 128 KiB in one argument, and `npm run` passes all of
 * them as one: past that, npm exits 249 and a shell says "Argument list too long", before this program starts).
 * Decoded as the page decodes it; its corrections are listed (a long list collapsed) and are errors unless
 * --lenient.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { describeCorrections, decodeConfig } from '../src/core/url';
import type { Config } from '../src/core/config';
import { messageOf } from '../src/core/errors';
import { echo } from '../src/core/echo';

/** A problem with the command line: the command says it and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The most a config file may hold: far beyond any real config (a few hundred bytes), short of memory trouble. */
export const MAX_CONFIG_FILE = 16 * 2 ** 20;

/** How to pass a config that is too long for an argument, for help texts. */
export const CONFIG_FILE_HELP = `  --config-file FILE  read the config from FILE (- for stdin) instead of an argument: a command line holds at
                      most 128 KiB (through npm run, all arguments together), and a longer one never reaches this program
`;

/**
 * The config text: the positional arguments joined with '&', or the contents of `configFile` (or of stdin for a
 * lone positional "-"). Throws UsageError when both are given or the file cannot be read.
 */
export function configText(positionals: readonly string[], configFile: string | undefined): string {
  const stdin = positionals.length === 1 && positionals[0] === '-';
  if (configFile !== undefined && positionals.length) throw new UsageError('give the config either as an argument or with --config-file, not both');
  if (configFile === undefined && !stdin) return positionals.join('&');
  const from = stdin || configFile === '-' ? 'stdin' : configFile!;
  try {
    return readWhole(from === 'stdin' ? 0 : from);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read the config from ${echo(from)}: ${describeReadError(err)}`);
  }
}

/** Reads a file or stdin to its end, refusing more than MAX_CONFIG_FILE bytes. */
function readWhole(file: string | 0): string {
  const fd = file === 0 ? 0 : openSync(file, 'r');
  try {
    if (fd !== 0 && fstatSync(fd).isDirectory()) throw new UsageError(`${echo(String(file))} is a folder, not a config file`);
    const chunks: Buffer[] = [];
    let total = 0;
    const buffer = Buffer.alloc(1 << 16);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue; // a non-blocking stdin with nothing yet
        if ((err as NodeJS.ErrnoException).code === 'EOF') break;
        throw err;
      }
      if (n === 0) break;
      total += n;
      if (total > MAX_CONFIG_FILE) throw new UsageError(`the config is longer than ${MAX_CONFIG_FILE / 2 ** 20} MiB; a config is a few hundred bytes`);
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

function describeReadError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  return messageOf(err);
}

/**
 * Decodes the config text; writes its corrections to stderr (warnings with `lenient`, else errors, then throws
 * UsageError). A list of any length is written as a few lines.
 */
export function decodeChecked(text: string, lenient: boolean): Config {
  const { config, corrections } = decodeConfig(text);
  for (const line of describeCorrections(corrections)) process.stderr.write(`${lenient ? 'warning' : 'error'}: ${line}\n`);
  if (corrections.length && !lenient) throw new UsageError('the config has errors (listed above); fix them, or pass --lenient to accept the corrections');
  return config;
}
