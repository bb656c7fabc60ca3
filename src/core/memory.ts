/**
 * Will the run fit? Before any data moves, each net's training memory (`estimateTrainingBytes`: weights, gradients,
 * momentum and a batch of activations) is held against what the backend in use can hold, and a run that cannot fit
 * is refused in words (the estimate, the backend's room, a batch that fits) instead of growing until the WASM heap
 * overflows ("memory access out of bounds", after minutes) or the tab dies. The CLI, the page's worker and the run
 * driver share it; train.py checks the same estimate against its device.
 *
 * What a backend can hold: WASM, its 4 GiB address space (wasm32); WebGPU, the largest buffer a shader may bind
 * (the whole device's memory is not something WebGPU tells); the CPU backend, the machine's memory where it is
 * known (Node; a browser's `navigator.deviceMemory`). WebGL's is not known: no check there. Pure (no tfjs): the
 * page's cost summary uses it; backend.ts's `currentCapacity` reads the backend in use.
 */
import { modelName, modelsOf, type Config, type ModelConfig } from './config';
import { estimateTrainingBytes } from './cost';
import { checkNet, groupWidths, IMAGE_SIZE } from './shape';

/** WASM's linear memory: 32-bit addresses, 4 GiB at most (tfjs's build may grow to all of it). */
export const WASM_MEMORY_BYTES = 4 * 2 ** 30;

/** What the backend in use can hold. */
export interface MemoryCapacity {
  /** 'total': all of a run's memory must fit in `bytes`; 'buffer': its largest single tensor must */
  kind: 'total' | 'buffer';
  bytes: number;
  /** for people: "the WASM backend's 4 GiB memory" */
  what: string;
}

/** The capacity of a tfjs backend; null where it is not known. `systemBytes`: the machine's memory, if known. */
export function capacityOf(backend: string, facts: { gpuBindingBytes?: number | null; systemBytes?: number | null } = {}): MemoryCapacity | null {
  switch (backend) {
    case 'wasm':
      return { kind: 'total', bytes: WASM_MEMORY_BYTES, what: `the WASM backend's ${formatBytes(WASM_MEMORY_BYTES)} memory` };
    case 'webgpu':
      return facts.gpuBindingBytes
        ? { kind: 'buffer', bytes: facts.gpuBindingBytes, what: `the largest buffer this WebGPU device binds (${formatBytes(facts.gpuBindingBytes)})` }
        : null;
    case 'cpu':
      return facts.systemBytes ? { kind: 'total', bytes: facts.systemBytes, what: `this machine's ${formatBytes(facts.systemBytes)} of memory` } : null;
    default:
      return null;
  }
}

/** Bytes of the largest tensor a training step holds: a batch of the first group's activations (or its input). */
export function largestTensorBytes(m: ModelConfig, batch: number): number {
  const channels = Math.max(16, groupWidths(m.width)[0]);
  return 4 * batch * IMAGE_SIZE * IMAGE_SIZE * channels;
}

/** Bytes the net needs at `batch`, as the capacity counts them (all of the run's, or its largest tensor). */
function need(m: ModelConfig, batch: number, kind: MemoryCapacity['kind']): number {
  return kind === 'total' ? estimateTrainingBytes(m, batch) : largestTensorBytes(m, batch);
}

/**
 * Why the config's nets cannot train within `capacity`, in words: the estimate, the backend's room and the largest
 * batch that fits; null when they fit (or the capacity is not known). `trainImages` caps the batch as the run does.
 */
export function memoryProblem(config: Config, capacity: MemoryCapacity | null, trainImages = config.train): string | null {
  if (!capacity) return null;
  const batch = Math.max(1, Math.min(config.batch, trainImages));
  for (const m of modelsOf(config)) {
    try {
      checkNet(m);
    } catch {
      continue; // the run refuses it with its own message
    }
    const needed = need(m, batch, capacity.kind);
    if (needed <= capacity.bytes) continue;
    const what =
      capacity.kind === 'total' ? 'to train (weights, gradients, momentum and a batch of activations; a rough estimate)' : 'for one activation tensor';
    const head = `${modelName(m)} at batch ${batch} needs about ${formatBytes(needed)} ${what}, more than ${capacity.what}.`;
    const fits = largestBatch(m, capacity);
    return fits > 0
      ? `${head} At batch ${fits} it needs about ${formatBytes(need(m, fits, capacity.kind))}: try batch=${fits}, or a smaller net.`
      : `${head} Even a batch of 1 needs about ${formatBytes(need(m, 1, capacity.kind))}: choose a smaller net (depth or width).`;
  }
  return null;
}

/** The largest batch (0 if none) at which `m` fits `capacity`: both needs grow linearly with the batch. */
function largestBatch(m: ModelConfig, capacity: MemoryCapacity): number {
  if (capacity.kind === 'buffer') return Math.floor(capacity.bytes / largestTensorBytes(m, 1));
  const fixed = estimateTrainingBytes(m, 0);
  const perImage = estimateTrainingBytes(m, 1) - fixed;
  return Math.max(0, Math.floor((capacity.bytes - fixed) / perImage));
}

/** "3.9 GiB": two significant digits in binary units, or exact bytes below a KiB. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} bytes` : `${v >= 100 ? Math.round(v) : Number(v.toPrecision(2))} ${units[i]}`;
}
