/**
 * The parts of tfjs backends that our kernels use, as structural types, so that core needs neither
 * tfjs-backend-wasm's types nor tfjs-backend-cpu's. The kernel registry hands each kernel its own backend object;
 * each kernel narrows it to one of these.
 */
import type * as tf from '@tensorflow/tfjs';

/** What every tfjs backend offers (KernelBackend): read a tensor's values, make a tensor from values. */
export interface HostBackend {
  readSync(dataId: object): ArrayLike<number> | Uint8Array[];
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

/** A typed-array view of a tensor's bytes on the WASM heap. */
export type Heap = Float32Array | Int32Array | Uint8Array;

/** tfjs-backend-wasm's `BackendWasm`: zero-copy access to its heap. */
export interface WasmBackend {
  /** Allocates a tensor on the WASM heap (contents undefined); may grow, and so move, the heap. */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of a tensor's bytes on the heap; valid until the heap next grows (any later allocation). */
  typedArrayFromHeap(info: tf.TensorInfo): Heap;
  /** Drops one reference to the buffer behind `dataId`; frees it when none is left. */
  disposeData(dataId: object): boolean;
  /** One more reference to the buffer behind `dataId` (freed when `disposeData` has dropped every reference). */
  incRef(dataId: object): void;
}
