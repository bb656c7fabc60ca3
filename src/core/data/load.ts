/**
 * The one CIFAR-10 loader the worker and the CLI call: from any source to two filling `GrowingDataset`s.
 *
 * Every source ends up as a list of inputs, each a byte stream that is either a CIFAR-10 `.bin` file or a
 * (gzipped) tar of them, recognised by its first bytes. Records pass the subset selector and are appended as they
 * are parsed, so training can start on the first block of records while the rest streams (the trainer's data
 * order, ../dataOrder.ts, is the same whatever the timing).
 *
 * Order: train files are read one after another in natural name order (data_batch_1 before data_batch_2), test
 * files likewise, and the two splits stream side by side, so both the first training batch and the test set the
 * first evaluation waits for arrive early. An archive holds both splits in one stream, so it is read in archive
 * order.
 *
 * Failure: the first error (bad record, lost connection...) stops every stream, fails both datasets with that
 * error (waiters reject; only whole, checked records were ever appended) and rejects `done`.
 *
 * Where the bytes come from is ./sources.ts (and ./serverSource.ts for the app's server); how one input is opened
 * and split into `.bin` streams is ./inputs.ts.
 */
import type { SubsetMode } from '../config';
import { toError } from '../errors';
import { parseCifarStream } from './cifarStream';
import { GrowingDataset, RECORD_BYTES } from './dataset';
import { CifarFormatError } from './errors';
import { baseName, planLanes, readMembers, type CifarInput } from './inputs';
import type { CifarServerStatus } from './manifest';
import { resolveSource, type CifarSource } from './sources';
import { SubsetSelector } from './subset';
import { splitOfName, type Split } from './tarball';

export interface LoadOptions {
  /** training records wanted (the split may hold fewer; the dataset then completes short) */
  train: number;
  /** test records wanted */
  test: number;
  /** 'first': the first N in file order; 'balanced': N/10 per class */
  subset: SubsetMode;
  /** called with a fresh snapshot as bytes and records arrive (at most every `progressMs`) and on each phase change */
  onProgress?: (progress: LoadProgress) => void;
  /** stops loading; the datasets fail with the signal's reason */
  signal?: AbortSignal;
  /** minimum milliseconds between progress calls within a phase (default 100) */
  progressMs?: number;
  /** milliseconds between polls while the server downloads the official tarball (default 500) */
  pollMs?: number;
}

/** One split's fill state. */
export interface SplitProgress {
  /** records kept so far */
  records: number;
  /** records wanted (the dataset's capacity) */
  target: number;
  /** kept records per class, [10] */
  perClass: number[];
  /** no more records will come */
  complete: boolean;
  /**
   * records this split will hold when complete, once the sources' sizes say (plain .bin files of known size):
   * min(target, records in the files). Null while unknown (archives, sizes not yet known). Lets a trainer plan
   * its epochs before the stream ends.
   */
  expected: number | null;
}

export type LoadPhase = 'connecting' | 'server-download' | 'streaming' | 'done' | 'failed';

/** A snapshot of loading, for the page's progress bars and the CLI's log. */
export interface LoadProgress {
  /**
   * 'connecting': finding the files; 'server-download': the app's server is fetching the official tarball (see
   * `server`); 'streaming': records are arriving; 'done': both splits complete; 'failed': see `error`.
   */
  phase: LoadPhase;
  /** source bytes read so far (compressed bytes for a .tar.gz) */
  bytesLoaded: number;
  /**
   * total size of the sources, when every one is known, else null. Loading may stop before this when the subsets
   * are full, so a bar should end at 'done' rather than at bytesLoaded == bytesTotal.
   */
  bytesTotal: number | null;
  /** the server's own download of the official tarball, while it runs */
  server: CifarServerStatus | null;
  train: SplitProgress;
  test: SplitProgress;
  /** the failure's message in phase 'failed', else null */
  error: string | null;
}

/** What `loadCifar` hands back at once. */
export interface CifarLoad {
  /** fills with up to `options.train` records */
  train: GrowingDataset;
  /** fills with up to `options.test` records */
  test: GrowingDataset;
  /** resolves when both splits are complete; rejects with the first error (the datasets fail with it too) */
  done: Promise<void>;
  /** the latest progress snapshot */
  progress(): LoadProgress;
}

/**
 * Starts streaming CIFAR-10 from `source` into two datasets and returns them at once.
 *
 * The trainer may start as soon as `train.waitFor(batch)` resolves. Both datasets are sized for the requested
 * counts ([N, 3072] uint8 CHW each); a source with fewer records completes them short, a split with no records at
 * all is an error.
 */
export function loadCifar(source: CifarSource, options: LoadOptions): CifarLoad {
  const loader = new Loader(options);
  const done = loader.run(source);
  // The datasets carry the failure to whoever trains; a caller that never awaits `done` must not get an
  // unhandled rejection for it.
  done.catch(() => undefined);
  return { train: loader.splits.train.dataset, test: loader.splits.test.dataset, done, progress: () => loader.snapshot() };
}

interface SplitState {
  dataset: GrowingDataset;
  selector: SubsetSelector;
}

class Loader {
  readonly splits: Record<Split, SplitState>;
  private readonly abort = new AbortController();
  private phase: LoadPhase = 'connecting';
  private bytesLoaded = 0;
  /** each input's size, null until known */
  private readonly sizes = new Map<CifarInput, number | null>();
  private server: CifarServerStatus | null = null;
  private failure: Error | null = null;
  private lastEmit = 0;

  constructor(private readonly options: LoadOptions) {
    const make = (n: number): SplitState => {
      const target = Math.max(0, Math.floor(n));
      return { dataset: new GrowingDataset(target), selector: new SubsetSelector(target, options.subset) };
    };
    this.splits = { train: make(options.train), test: make(options.test) };
    const outer = options.signal;
    if (outer) {
      if (outer.aborted) this.abort.abort(outer.reason);
      else outer.addEventListener('abort', () => this.abort.abort(outer.reason), { once: true });
    }
  }

  async run(source: CifarSource): Promise<void> {
    try {
      this.emit(true);
      const inputs = await resolveSource(source, {
        signal: this.abort.signal,
        pollMs: this.options.pollMs ?? 500,
        onServerDownload: (status) => {
          this.server = status;
          this.setPhase('server-download');
          this.emit(true);
        },
      });
      this.server = null;
      this.checkAborted();
      for (const input of inputs) this.sizes.set(input, input.bytes);
      this.setPhase('streaming');
      await Promise.all(planLanes(inputs).map((lane) => this.runLane(lane)));
      this.checkAborted();
      for (const split of ['train', 'test'] as const) {
        if (this.splits[split].dataset.available() === 0) throw noRecords(split, inputs);
      }
      this.splits.train.dataset.finish();
      this.splits.test.dataset.finish();
      this.setPhase('done');
    } catch (err) {
      this.fail(err);
      throw this.failure ?? toError(err);
    }
  }

  snapshot(): LoadProgress {
    const split = ({ dataset }: SplitState, name: Split): SplitProgress => ({
      records: dataset.available(),
      target: dataset.capacity,
      perClass: dataset.perClass.slice(),
      complete: dataset.isComplete(),
      expected: dataset.isComplete() ? dataset.available() : this.expectedRecords(name, dataset.capacity),
    });
    return {
      phase: this.phase,
      bytesLoaded: this.bytesLoaded,
      bytesTotal: this.bytesTotal(),
      server: this.server,
      train: split(this.splits.train, 'train'),
      test: split(this.splits.test, 'test'),
      error: this.failure?.message ?? null,
    };
  }

  /** Reads the inputs of one lane in order; stops early once the splits it feeds are full. */
  private async runLane(lane: readonly CifarInput[]): Promise<void> {
    for (const input of lane) {
      const split = input.split ?? splitOfName(input.name);
      // A .bin for a full split is not even opened; an archive only when everything is full.
      if (split ? this.splits[split].selector.isDone() : this.allFull()) continue;
      await this.readInput(input);
      if (this.allFull()) return;
    }
  }

  private async readInput(input: CifarInput): Promise<void> {
    const members = readMembers(input, this.abort.signal, (n, size) => {
      if (size !== undefined) this.sizes.set(input, size);
      this.bytesLoaded += n;
      this.emit(false);
    });
    for await (const member of members) {
      if (this.splits[member.split].selector.isDone()) continue; // left unread: skipped
      await this.parseInto(member.stream, member.name, member.bytes, member.split);
      if (this.allFull()) break;
    }
  }

  /** Parses one CIFAR-10 binary stream into a split, through its subset selector. */
  private async parseInto(stream: ReadableStream<Uint8Array>, name: string, bytes: number | null, split: Split): Promise<void> {
    const { dataset, selector } = this.splits[split];
    for await (const batch of parseCifarStream(stream, { name, expectedBytes: bytes })) {
      // Another lane failed or the caller aborted: append nothing more.
      this.checkAborted();
      for (let r = 0; r < batch.count; r++) {
        const label = batch.labels[r]!;
        if (selector.accept(label)) dataset.append(label, batch.pixels.subarray(r * 3072, (r + 1) * 3072));
      }
      if (selector.isDone()) {
        // Tell the trainer now: nothing more will come for this split.
        dataset.finish();
        break;
      }
      this.emit(false);
    }
    this.emit(true);
  }

  /** min(target, records in this split's files) when every input is a .bin of known size, else null. */
  private expectedRecords(split: Split, target: number): number | null {
    if (!this.sizes.size) return null;
    let records = 0;
    for (const [input, size] of this.sizes) {
      const inputSplit = input.split ?? splitOfName(input.name);
      if (inputSplit === null || size === null) return null; // an archive, or a size not known yet
      if (inputSplit === split) records += Math.floor(size / RECORD_BYTES);
    }
    return Math.min(target, records);
  }

  private bytesTotal(): number | null {
    let total = 0;
    for (const size of this.sizes.values()) {
      if (size === null) return null;
      total += size;
    }
    return this.sizes.size ? total : null;
  }

  private allFull(): boolean {
    return this.splits.train.selector.isDone() && this.splits.test.selector.isDone();
  }

  private checkAborted(): void {
    if (this.failure) throw this.failure;
    if (this.abort.signal.aborted) throw toError(this.abort.signal.reason);
  }

  private fail(err: unknown): void {
    if (this.failure) return;
    this.failure = toError(err);
    // Stop every other stream: fetches abort on the signal, parsers check it between batches.
    this.abort.abort(this.failure);
    this.splits.train.dataset.fail(this.failure);
    this.splits.test.dataset.fail(this.failure);
    this.setPhase('failed');
  }

  private setPhase(phase: LoadPhase): void {
    if (this.phase === phase) return;
    this.phase = phase;
    this.emit(true);
  }

  private emit(force: boolean): void {
    const cb = this.options.onProgress;
    if (!cb) return;
    const now = Date.now();
    if (!force && now - this.lastEmit < (this.options.progressMs ?? 100)) return;
    this.lastEmit = now;
    cb(this.snapshot());
  }
}

function noRecords(split: Split, inputs: readonly CifarInput[]): CifarFormatError {
  const names = inputs.map((i) => baseName(i.name)).join(', ') || 'none';
  const hint = split === 'test' ? 'test_batch.bin, or a .bin with "test" in its name' : 'data_batch_1.bin .. data_batch_5.bin';
  return new CifarFormatError(`no ${split} records in the data (files: ${names}); it needs ${hint}`);
}
