/**
 * Counts what crosses the host <-> device boundary: read-backs (`tensor.data()` / `dataSync()`) and tensors made
 * from host values (tf.tensor, tf.scalar, tf.ones and friends; kernel outputs are not). This is how the benchmark shows that a training step uploads only its batch and a few scalars, and
 * reads back only the metric scalars every `readEvery` steps.
 */
import * as tf from '@tensorflow/tfjs';
import type { StepAudit } from './types';

/**
 * The Engine methods counted: every host-valued tensor goes through makeTensor, every tensor.data()/dataSync()
 * through read/readSync. (Counting on the backend instead would also count kernels reading their inputs on CPU
 * backends.)
 */
interface CountedEngine {
  makeTensor(values: unknown, shape: number[], dtype: tf.DataType, backend?: unknown): tf.Tensor;
  read(dataId: object): Promise<unknown>;
  readSync(dataId: object): unknown;
}

export interface AuditCounts {
  reads: number;
  uploads: number;
  uploadBytes: number;
}

export interface BackendAudit {
  snapshot(): AuditCounts;
  /** per-step averages of counts gathered over `steps` steps */
  perStep(counts: AuditCounts, steps: number, readEvery: number): StepAudit;
  /** puts the original methods back */
  stop(): void;
}

export function auditBackend(): BackendAudit {
  // Narrow cast: the Engine class declares these three methods.
  const engine = tf.engine() as unknown as CountedEngine;
  const counts: AuditCounts = { reads: 0, uploads: 0, uploadBytes: 0 };
  const { read, readSync, makeTensor } = engine;
  // Count the outermost call only, should one ever call the other.
  let depth = 0;
  const counted = <T>(f: () => T): T => {
    if (depth === 0) counts.reads++;
    depth++;
    try {
      return f();
    } finally {
      depth--;
    }
  };
  engine.read = (dataId) => counted(() => read.call(engine, dataId));
  engine.readSync = (dataId) => counted(() => readSync.call(engine, dataId));
  engine.makeTensor = (values, shape, dtype, b) => {
    counts.uploads++;
    counts.uploadBytes += ArrayBuffer.isView(values) ? values.byteLength : 0;
    return makeTensor.call(engine, values, shape, dtype, b);
  };
  return {
    snapshot: () => ({ ...counts }),
    perStep: (c, steps, readEvery) => ({
      readsPerStep: c.reads / steps,
      uploadsPerStep: c.uploads / steps,
      uploadBytesPerStep: c.uploadBytes / steps,
      readEvery,
    }),
    stop: () => {
      engine.read = read;
      engine.readSync = readSync;
      engine.makeTensor = makeTensor;
    },
  };
}
