/** Reading thrown values: the one `messageOf` of the project (core, worker, CLI, server and bench use it). */

/**
 * A readable message from any thrown value: an Error's message (its name when the message is empty), the message
 * of an error-like object (DOMExceptions from another realm, GPUError objects...), else the value as text.
 * `cause: true` appends an Error cause's message: undici puts a socket's reason there ("other side closed"), which
 * says more than its own "terminated".
 */
export function messageOf(err: unknown, opts: { cause?: boolean } = {}): string {
  if (err instanceof Error) {
    const message = err.message || err.name;
    const cause = err.cause;
    return opts.cause && cause instanceof Error && cause.message ? `${message}: ${cause.message}` : message;
  }
  if (typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string') return err.message;
  return String(err);
}

/** Any thrown value as an Error (itself when it is one), for APIs that reject or fail with Errors. */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
