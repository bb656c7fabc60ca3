/**
 * A checkpoint: everything a run needs to go on from a step as if it had never stopped. Plain structured-cloneable
 * data (typed arrays, numbers, strings), so the worker posts it as is, the page keeps it in IndexedDB as is and
 * sends it back in 'start' as `resumeFrom`, and the CLI writes it as one file (`encodeCheckpoint`).
 *
 * What makes a resumed run equal to an uninterrupted one of the same seed:
 * - weights: every weight of the net, trainable or not (batch norm's running mean and variance too);
 * - optimizer: the momentum buffer of each trainable weight (SGD keeps nothing else);
 * - step: the learning-rate schedule, the augmentation seeds (a function of seed and step) and the epoch follow;
 * - dataOrder: the segment of the data order being walked (dataOrder.ts: a block of the first epoch, or a later
 *   epoch's permutation) and how far; a checkpoint of the earlier rule (an epoch's permutation) resumes as well;
 * - rng: the dropout layers' mask counters (their masks are a hash of seed and counter, see dropout.ts);
 * - lrOverride: a learning rate set by hand during the run (the page's live control), which the run keeps after a
 *   resume until it is set back to the schedule.
 * The recipe itself travels as the encoded URL config, so a checkpoint cannot be resumed under another recipe.
 */
import { crc32 } from './crc32';
import type { EvalPoint } from './metrics';

export const CHECKPOINT_VERSION = 1;

/** One array with its name (a weight's name, e.g. "g1b1_conv1/kernel"), shape and values. */
export interface NamedArray {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

export interface Checkpoint {
  version: 1;
  /** the run's config as its URL hash text (`encodeConfig`), without the leading '#' */
  config: string;
  /** which model of the run (0 = the main one, then `compare`'s) this checkpoint is of */
  modelIndex: number;
  /** that model's name, e.g. "WRN-16-4" (for people; `modelIndex` is what counts) */
  modelName: string;
  /** finished steps; 0 with empty `weights` means "start this model from its seeded initial weights" */
  step: number;
  /** fractional epochs done (step / steps per epoch) */
  epoch: number;
  /** training images per epoch the run's plan was made for */
  trainImages: number;
  /** active training time so far (s) and cumulative training FLOPs, so that curves go on where they were */
  seconds: number;
  flops: number;
  weights: NamedArray[];
  /** momentum buffers, named `<weight name>/momentum`, in the order of the net's trainable weights */
  optimizer: NamedArray[];
  /** the segment of the data order being walked (record indices: see dataOrder.ts) and the next position in it */
  dataOrder: { perm: Int32Array; next: number };
  /** random-stream state that is not a function of (seed, step): each dropout layer's count of masks drawn */
  rng: { dropoutMasks: number[] };
  /**
   * the learning rate set by hand for the rest of the run (Runner.setLearningRate), or null while it follows the
   * schedule; absent in checkpoints written before it was kept, which then follow the schedule
   */
  lrOverride?: number | null;
  /** the last evaluation before this step, if any (a run stopped right after a resume still reports it) */
  lastEval: EvalPoint | null;
  /** when the checkpoint was taken (ISO 8601) */
  savedAt: string;
}

/** Why a value cannot be used as a checkpoint, or null when it can. Checks shape, not numbers. */
export function checkpointProblem(c: unknown): string | null {
  if (typeof c !== 'object' || c === null) return 'not an object';
  const k = c as Partial<Checkpoint>;
  if (k.version !== CHECKPOINT_VERSION) return `version ${String(k.version)} is not ${CHECKPOINT_VERSION}`;
  if (typeof k.config !== 'string') return 'no config';
  for (const key of ['modelIndex', 'step', 'trainImages'] as const) {
    const v = k[key];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0)) return `${key} is not a whole number >= 0`;
  }
  if (!Array.isArray(k.weights) || !Array.isArray(k.optimizer)) return 'no weights or optimizer state';
  for (const a of [...k.weights, ...k.optimizer]) {
    const n = Array.isArray(a?.shape) ? a.shape.reduce((x, y) => x * y, 1) : -1;
    if (typeof a?.name !== 'string' || !(a.data instanceof Float32Array || a.data instanceof Int32Array) || a.data.length !== n) {
      return `array ${String(a?.name)} does not match its shape`;
    }
  }
  if (!(k.dataOrder?.perm instanceof Int32Array) || !Number.isInteger(k.dataOrder.next)) return 'no data order';
  if (!Array.isArray(k.rng?.dropoutMasks)) return 'no random-stream state';
  const lr = k.lrOverride;
  if (!(lr === undefined || lr === null || (typeof lr === 'number' && Number.isFinite(lr) && lr > 0)))
    return `lrOverride ${String(lr)} is not a learning rate > 0 (or null: the schedule)`;
  return null;
}

// --- one file: the CLI's checkpoint.bin ---------------------------------------------------------------------------

/** The file's first bytes: WRNCKPT2 ends with a CRC-32 of everything before it; WRNCKPT1 (older) has none. */
const MAGIC = 'WRNCKPT2';
const MAGIC_UNCHECKED = 'WRNCKPT1';
const MAGIC_BYTES = MAGIC.length;
/** The CRC-32 at the end of a WRNCKPT2 file. */
const CHECKSUM_BYTES = 4;

/** Where each array's bytes are in the file, in the JSON header. */
interface ArrayRef {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  offset: number;
  length: number;
}

type Header = Omit<Checkpoint, 'weights' | 'optimizer' | 'dataOrder'> & {
  weights: ArrayRef[];
  optimizer: ArrayRef[];
  dataOrder: { perm: ArrayRef; next: number };
};

/**
 * The checkpoint as one byte string: "WRNCKPT2", the header's length (uint32 LE), the JSON header (arrays replaced by
 * their place in the payload), padding to 4 bytes, every array's little-endian values, then the CRC-32 (uint32 LE) of
 * all the bytes before it. One file, so that one rename makes it appear whole; the checksum makes a damaged copy
 * (flipped bits, a torn write on another disk) fail to load rather than resume with wrong numbers.
 */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const arrays: (Float32Array | Int32Array)[] = [];
  let offset = 0;
  const ref = (a: NamedArray): ArrayRef => {
    const r = { name: a.name, shape: a.shape, dtype: a.dtype, offset, length: a.data.length };
    arrays.push(a.data);
    offset += a.data.length * 4;
    return r;
  };
  const header: Header = {
    ...c,
    weights: c.weights.map(ref),
    optimizer: c.optimizer.map(ref),
    dataOrder: { perm: ref({ name: 'dataOrder', shape: [c.dataOrder.perm.length], dtype: 'int32', data: c.dataOrder.perm }), next: c.dataOrder.next },
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = align4(MAGIC_BYTES + 4 + json.length);
  const out = new Uint8Array(start + offset + CHECKSUM_BYTES);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC_BYTES, json.length, true);
  out.set(json, MAGIC_BYTES + 4);
  // Typed arrays are little-endian on every platform tfjs runs on, so their bytes are written as they are.
  let at = start;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  new DataView(out.buffer).setUint32(at, crc32(out.subarray(0, at)), true);
  return out;
}

/**
 * Reads `encodeCheckpoint`'s bytes back (and the older WRNCKPT1 files, which carry no checksum); throws with a reason
 * when they are not a whole, undamaged checkpoint.
 */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const text = new TextDecoder();
  const magic = bytes.length >= MAGIC_BYTES + 4 ? text.decode(bytes.subarray(0, MAGIC_BYTES)) : '';
  if (magic !== MAGIC && magic !== MAGIC_UNCHECKED) throw new Error('not a checkpoint file (no WRNCKPT header)');
  let body = bytes;
  if (magic === MAGIC) {
    if (bytes.length < MAGIC_BYTES + 4 + CHECKSUM_BYTES) throw new Error('the checkpoint file is cut short');
    body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
    const stored = new DataView(bytes.buffer, bytes.byteOffset + body.length, CHECKSUM_BYTES).getUint32(0, true);
    if (crc32(body) !== stored)
      throw new Error('the checkpoint file is damaged: its checksum does not match its contents (flipped bits, or a copy cut short)');
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const jsonLength = view.getUint32(MAGIC_BYTES, true);
  const start = align4(MAGIC_BYTES + 4 + jsonLength);
  if (start > body.length) throw new Error('the checkpoint file is cut short (its header runs past the end)');
  let header: Header;
  try {
    header = JSON.parse(text.decode(body.subarray(MAGIC_BYTES + 4, MAGIC_BYTES + 4 + jsonLength))) as Header;
  } catch {
    throw new Error('the checkpoint file is damaged: its header is not JSON');
  }
  if (!header || typeof header !== 'object' || !Array.isArray(header.weights) || !Array.isArray(header.optimizer) || !header.dataOrder?.perm)
    throw new Error('the checkpoint file is not usable: its header lacks weights, optimizer state or data order');
  const payload = body.subarray(start);
  const array = (r: ArrayRef): NamedArray => {
    if (!(r.offset >= 0 && r.length >= 0 && r.offset + 4 * r.length <= payload.length))
      throw new Error(`the checkpoint file is cut short (array ${r.name})`);
    // Copied out so that each array owns an aligned buffer of its own (transferable, and safe for Float32Array).
    const raw = payload.slice(r.offset, r.offset + 4 * r.length).buffer;
    return { name: r.name, shape: r.shape, dtype: r.dtype, data: r.dtype === 'int32' ? new Int32Array(raw) : new Float32Array(raw) };
  };
  const c: Checkpoint = {
    ...header,
    weights: header.weights.map(array),
    optimizer: header.optimizer.map(array),
    dataOrder: { perm: array(header.dataOrder.perm).data as Int32Array, next: header.dataOrder.next },
  };
  const problem = checkpointProblem(c);
  if (problem) throw new Error(`the checkpoint file is not usable: ${problem}`);
  return c;
}

/** The buffers of a checkpoint's arrays, for postMessage's transfer list. */
export function checkpointBuffers(c: Checkpoint): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const a of [...c.weights, ...c.optimizer]) buffers.add(a.data.buffer as ArrayBuffer);
  buffers.add(c.dataOrder.perm.buffer as ArrayBuffer);
  return [...buffers];
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
