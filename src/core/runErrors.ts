/**
 * Turning whatever a run throws into the protocol's `{ code, message, suggestion }`.
 *
 * Errors arrive from many layers (the data loader, tfjs, the WebGPU/WebGL/WASM runtime, the browser), most as plain
 * `Error`s whose only signal is their text, so classification is by class where we own the class and by message
 * pattern where we do not. The order of the checks matters: a lost device often surfaces as an allocation failure,
 * and an allocation failure as a RangeError, so device loss is tested before memory, and memory before config.
 */

/** What kind of failure ended a run: the page and the CLI branch on it (the worker protocol carries it). */
export type ErrorCode = 'device-lost' | 'out-of-memory' | 'bad-data' | 'bad-config' | 'backend' | 'internal';
import { messageOf } from './errors';

/** A failure the worker already understands: thrown with its protocol code so classification is exact. */
export class RunFailure extends Error {
  override name = 'RunFailure';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly suggestion: string = SUGGESTIONS[code],
  ) {
    super(message);
  }
}

/** What the page shows: a code to branch on, the cause, and what the person can do about it. */
export interface ClassifiedError {
  code: ErrorCode;
  message: string;
  suggestion: string;
}

const SUGGESTIONS: Record<ErrorCode, string> = {
  'device-lost':
    'The GPU was reset (driver crash, sleep, or another tab took it). Start the run again; if it keeps happening, ' +
    'try a smaller batch or width, or the WebGL or WASM backend.',
  'out-of-memory': 'Try a smaller batch or width (or a shallower net); wide nets need memory in proportion to batch x width².',
  'bad-data': 'Check that the source is CIFAR-10 in its binary format (data_batch_*.bin, test_batch.bin or cifar-10-binary.tar.gz).',
  'bad-config': 'Fix the highlighted setting and start again.',
  backend: 'Pick another backend (WebGL, WASM or CPU) in the settings.',
  internal: 'Start the run again; if it happens again, please report it together with the run link.',
};

/** Text that WebGPU, WebGL, WASM and JS engines use when the device or context is gone. */
const DEVICE_LOST = /device (is |was |has been )?lost|GPUDevice.*(lost|destroyed)|context (was )?lost|CONTEXT_LOST/i;

/** Text of allocation failures: GPU buffers and textures, the WASM heap, and typed arrays on the CPU backend. */
const OUT_OF_MEMORY =
  /out of memory|\bOOM\b|GPUOutOfMemoryError|allocation failed|failed to allocate|Array buffer allocation|memory size exceeded|Cannot enlarge memory|Maximum memory|maxBufferSize|maxStorageBufferBindingSize|exceeds the max|Invalid typed array length|Requested texture size/i;

/** Maps any thrown value to a protocol error. Never throws. */
export function classifyError(err: unknown): ClassifiedError {
  if (err instanceof RunFailure) return { code: err.code, message: err.message, suggestion: err.suggestion };
  const message = messageOf(err);
  const name = err instanceof Error ? err.name : '';
  if (name === 'CifarFormatError') return make('bad-data', message);
  if (name === 'CifarSourceError') {
    return make('bad-data', message, 'Check the address and the connection (the host must allow CORS), or pick the files from disk.');
  }
  if (DEVICE_LOST.test(message)) return make('device-lost', message);
  if (OUT_OF_MEMORY.test(message)) return make('out-of-memory', message);
  // buildWrn and the schedule throw RangeError with a sentence naming the setting (depth, width, dropout...).
  if (name === 'RangeError') return make('bad-config', message);
  return make('internal', message);
}

function make(code: ErrorCode, message: string, suggestion = SUGGESTIONS[code]): ClassifiedError {
  return { code, message, suggestion };
}
