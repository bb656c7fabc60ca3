/**
 * The one CIFAR-10 loader the worker and the CLI call: from any source to two filling `GrowingDataset`s.
 *
 * Every source ends up as a list of inputs, each a byte stream that is either a CIFAR-10 `.bin` file or a
 * (gzipped) tar of them, recognised by its first bytes. Records pass the subset selector and are appended as they
 * are parsed, so training can start on the first batch while the rest streams.
 *
 * Order: train files are read one after another in natural name order (data_batch_1 before data_batch_2), test
 * files likewise, and the two splits stream side by side, so both the first training batch and the test set the
 * first evaluation waits for arrive early. An archive holds both splits in one stream, so it is read in archive
 * order.
 *
 * Failure: the first error (bad record, lost connection...) stops every stream, fails both datasets with that
 * error (waiters reject; only whole, checked records were ever appended) and rejects `done`.
 */
import { GrowingDataset, RECORD_BYTES } from './dataset';
import { parseCifarStream, sniffFormat } from './cifarStream';
import { CifarFormatError, CifarSourceError } from './errors';
import { absoluteUrl, fetchJson, openUrl } from './http';
import { parseManifest, type CifarManifest, type CifarServerStatus } from './manifest';
import { countBytes, peek } from './streams';
import { sampleInputs, urlSampleReader } from './sample';
import { SubsetSelector } from './subset';
import { readArchive, splitOfName, type Split } from './tarball';
import type { SubsetMode } from '../config';

/** One byte stream to read: a `.bin` file or a `.tar(.gz)` of them. */
export interface CifarInput {
  /** file name or URL; names the input in messages and, for a `.bin`, gives its split (see `splitOfName`) */
  name: string;
  /** the split, when known better than from the name (the server's manifest says) */
  split?: Split;
  /** size in bytes when known before opening, else null */
  bytes: number | null;
  /** opens the bytes; rejects with a clear Error (HTTP 404, missing file) */
  open(signal: AbortSignal): Promise<{ stream: ReadableStream<Uint8Array>; bytes: number | null }>;
}

/** Where CIFAR-10 comes from. */
export type CifarSource =
  /** the app's own server (Vite dev/preview plugin): `base` is its endpoint root, e.g. "/cifar10" */
  | { kind: 'server'; base: string }
  /** a `.tar.gz`, `.tar` or `.bin` URL on a CORS-enabled host; a URL ending in "/" or "manifest.json" is read as a server base */
  | { kind: 'url'; url: string }
  /** files the person picked or dropped (`File`s; `.bin` or `.tar.gz`), parsed here and never uploaded */
  | { kind: 'files'; files: readonly Blob[] }
  /** the built-in sample (`sample.ts`): `base` is the URL of its folder, e.g. "./cifar10-sample/" */
  | { kind: 'sample'; base: string }
  /** anything else as a list of inputs, possibly found lazily (the Node CLI's folders) */
  | { kind: 'inputs'; inputs: readonly CifarInput[] | (() => Promise<readonly CifarInput[]>) };

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
      const inputs = await this.resolve(source);
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

  /** Turns a source into inputs; for the app's server this waits out its download of the official tarball. */
  private async resolve(source: CifarSource): Promise<readonly CifarInput[]> {
    switch (source.kind) {
      case 'server':
        return this.serverInputs(source.base);
      case 'url': {
        const path = source.url.split(/[?#]/)[0] ?? '';
        if (path.endsWith('/') || path.endsWith('manifest.json')) return this.serverInputs(source.url.replace(/manifest\.json([?#].*)?$/, ''));
        return [urlInput(absoluteUrl(source.url))];
      }
      case 'files':
        return source.files.map(blobInput);
      case 'sample':
        return sampleInputs(urlSampleReader(source.base), this.abort.signal);
      case 'inputs':
        return typeof source.inputs === 'function' ? source.inputs() : source.inputs;
    }
  }

  /**
   * Asks the app's server for its files. While it is still downloading the official tarball, polls its side-effect
   * free status endpoint (a manifest request after a failure would start another attempt), then asks again.
   */
  private async serverInputs(base: string): Promise<CifarInput[]> {
    const root = absoluteUrl(base.endsWith('/') ? base : base + '/');
    const manifestUrl = absoluteUrl('manifest.json', root);
    const statusUrl = absoluteUrl('status', root);
    let status = await this.fetchManifest(manifestUrl);
    let isManifest = true; // else it came from the status endpoint and lists no files
    for (;;) {
      if (status.status === 'ready' || status.status === 'idle') {
        // 'idle' after a poll: the server restarted and waits for a manifest request to start again.
        if (!isManifest) {
          status = await this.fetchManifest(manifestUrl);
          isManifest = true;
          continue;
        }
        if (status.status === 'idle') throw new CifarSourceError(`GET ${manifestUrl}: the server answered "idle" to a manifest request (it should start getting CIFAR-10)`);
        this.server = null;
        return status.files.map((f) => urlInput(absoluteUrl(f.url, manifestUrl), f.name, f.split, f.bytes));
      }
      if (status.status === 'error') {
        throw new CifarSourceError(`the app's server has no CIFAR-10: ${status.error ?? 'unknown error'}`);
      }
      const { source, bytesLoaded, bytesTotal, error } = status;
      this.server = { status: status.status, source, bytesLoaded, bytesTotal, error };
      this.setPhase('server-download');
      this.emit(true);
      await sleep(this.options.pollMs ?? 500, this.abort.signal);
      status = parseStatus(await fetchJson(statusUrl, this.abort.signal), statusUrl);
      isManifest = false;
    }
  }

  private async fetchManifest(url: string): Promise<CifarManifest> {
    return parseStatus(await fetchJson(url, this.abort.signal), url);
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

/** One CIFAR-10 binary stream: an input that is a `.bin` file, or one `.bin` member of an archive input. */
export interface CifarMember {
  /** the input's name, plus the member's path for an archive: "cifar-10-binary.tar.gz: cifar-10-batches-bin/test_batch.bin" */
  name: string;
  split: Split;
  /** size in bytes if known (file size, Content-Length, tar header) */
  bytes: number | null;
  /** its bytes: read them (or leave them) before asking for the next member */
  stream: ReadableStream<Uint8Array>;
}

/**
 * Opens an input and yields its CIFAR-10 binary streams: the input itself, or each `.bin` member when its first
 * bytes say gzip or tar (whatever its name). A stream left unread is skipped. `onBytes(n, size?)` counts the
 * input's raw bytes as they are read (compressed ones for a .tar.gz), with the input's size on the first call when
 * opening revealed it.
 */
export async function* readMembers(
  input: CifarInput,
  signal: AbortSignal,
  onBytes: (n: number, size?: number | null) => void = () => undefined,
): AsyncGenerator<CifarMember, void, undefined> {
  const opened = await input.open(signal);
  if (input.bytes === null) onBytes(0, opened.bytes);
  const counted = countBytes(opened.stream, (n) => onBytes(n));
  // 512 bytes: a tar header's "ustar" magic sits at offset 257.
  const { head, stream } = await peek(counted, 512);
  const format = sniffFormat(head);
  if (format === 'gzip' || format === 'tar') {
    for await (const m of readArchive(stream, { gzip: format === 'gzip', name: input.name })) {
      yield { name: `${input.name}: ${m.name}`, split: m.split, bytes: m.size, stream: m.body };
    }
    return;
  }
  const split = input.split ?? splitOfName(input.name) ?? 'train';
  try {
    yield { name: input.name, split, bytes: input.bytes ?? opened.bytes, stream };
  } finally {
    // Skipped or stopped early: release the file or connection. (A stream read to the end is unlocked and
    // closed, and cancelling it does nothing.)
    if (!stream.locked) await stream.cancel().catch(() => undefined);
  }
}

/**
 * Groups inputs into lanes read side by side. With only `.bin` inputs: one lane per split, each in natural name
 * order. With any archive or unrecognised input: one lane in the given order (an archive feeds both splits, and
 * two writers into one split would make the record order depend on timing).
 */
export function planLanes(inputs: readonly CifarInput[]): CifarInput[][] {
  const splitOf = (i: CifarInput) => i.split ?? splitOfName(i.name);
  if (inputs.some((i) => splitOf(i) === null)) return [inputs.slice()];
  const byName = new Intl.Collator('en', { numeric: true }).compare;
  const lane = (s: Split) => inputs.filter((i) => splitOf(i) === s).sort((a, b) => byName(baseName(a.name), baseName(b.name)));
  return [lane('train'), lane('test')].filter((l) => l.length > 0);
}

/** An input over a URL; `name` defaults to the URL. */
export function urlInput(url: string, name = url, split?: Split, bytes: number | null = null): CifarInput {
  return { name, bytes, ...(split ? { split } : {}), open: (signal) => openUrl(url, signal) };
}

/** An input over a Blob or File (its `name` when it has one). */
export function blobInput(blob: Blob, index = 0): CifarInput {
  const named = (blob as Blob & { name?: unknown }).name;
  const name = typeof named === 'string' && named ? named : `file ${index + 1}`;
  return { name, bytes: blob.size, open: async () => ({ stream: blob.stream(), bytes: blob.size }) };
}

function baseName(name: string): string {
  return name.split(/[?#]/)[0]!.split('/').pop() ?? name;
}

/** A manifest or status answer, checked; a status is a manifest without files. */
function parseStatus(json: unknown, url: string): CifarManifest {
  try {
    return parseManifest(json);
  } catch (err) {
    throw new CifarSourceError(`GET ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function noRecords(split: Split, inputs: readonly CifarInput[]): CifarFormatError {
  const names = inputs.map((i) => baseName(i.name)).join(', ') || 'none';
  const hint = split === 'test' ? 'test_batch.bin, or a .bin with "test" in its name' : 'data_batch_1.bin .. data_batch_5.bin';
  return new CifarFormatError(`no ${split} records in the data (files: ${names}); it needs ${hint}`);
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(toError(signal.reason));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(toError(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
