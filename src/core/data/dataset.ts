/**
 * A CIFAR-10 split that fills while it streams in. Parsers append whole records; the trainer samples from what
 * has arrived so far and waits when it needs more.
 *
 * Records are kept exactly as in the official binary format, minus the label byte: 3072 bytes of CHW planes
 * (1024 R, 1024 G, 1024 B, each row-major 32x32). Conversion to normalised NHWC floats happens on the device.
 */

export const RECORD_PIXELS = 3072;
export const RECORD_BYTES = 1 + RECORD_PIXELS;
export const CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** What the trainer needs of a split. */
export interface ImageSource {
  /** records available now */
  available(): number;
  /** true once no more records will arrive */
  isComplete(): boolean;
  /** resolves when at least n records are available or the stream has ended; rejects if the stream failed */
  waitFor(n: number): Promise<void>;
  /** copies records `indices` into `pixels` ([n, 3072] uint8 CHW) and `labels` ([n]) */
  gather(indices: ArrayLike<number>, pixels: Uint8Array, labels: Int32Array): void;
}

/** The first images of a test split with their labels, for the page's evaluation grid (sent and stored once per run). */
export interface TestSamples {
  /** [n * 3072] uint8 CHW records, as in the file */
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** The first `n` records of `test` (fewer when it holds fewer), once they have arrived. */
export async function readTestSamples(test: ImageSource, n: number): Promise<TestSamples> {
  await test.waitFor(n);
  const count = Math.min(n, test.available());
  const pixels = new Uint8Array(count * RECORD_PIXELS);
  const labels = new Int32Array(count);
  test.gather(
    Int32Array.from({ length: count }, (_, i) => i),
    pixels,
    labels,
  );
  return { pixels, labels: Uint8Array.from(labels) };
}

/** A fixed-capacity split that parsers append to. */
export class GrowingDataset implements ImageSource {
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
  readonly perClass = new Array<number>(10).fill(0);
  private count = 0;
  private complete = false;
  private failure: Error | null = null;
  private waiters: { n: number; resolve: () => void; reject: (e: Error) => void }[] = [];

  /** @param capacity the most records this split will hold (the subset size) */
  constructor(readonly capacity: number) {
    this.pixels = new Uint8Array(capacity * RECORD_PIXELS);
    this.labels = new Uint8Array(capacity);
  }

  available(): number {
    return this.count;
  }

  isComplete(): boolean {
    return this.complete;
  }

  isFull(): boolean {
    return this.count >= this.capacity;
  }

  /** Appends one record: its label and its 3072 pixel bytes. Returns false (and ignores it) when full. */
  append(label: number, pixels: Uint8Array): boolean {
    if (this.count >= this.capacity) return false;
    this.pixels.set(pixels, this.count * RECORD_PIXELS);
    this.labels[this.count] = label;
    this.perClass[label] = (this.perClass[label] ?? 0) + 1;
    this.count++;
    this.wake();
    return true;
  }

  /** No more records will come. */
  finish(): void {
    this.complete = true;
    this.wake();
  }

  /** The stream failed; waiters get the error. Records already here stay (they were complete and checked). */
  fail(error: Error): void {
    this.failure = error;
    this.complete = true;
    this.wake();
  }

  error(): Error | null {
    return this.failure;
  }

  waitFor(n: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.count >= n || this.complete) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ n, resolve, reject }));
  }

  gather(indices: ArrayLike<number>, pixels: Uint8Array, labels: Int32Array): void {
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i]!;
      if (r < 0 || r >= this.count) throw new RangeError(`record ${r} has not arrived (have ${this.count})`);
      pixels.set(this.pixels.subarray(r * RECORD_PIXELS, (r + 1) * RECORD_PIXELS), i * RECORD_PIXELS);
      labels[i] = this.labels[r]!;
    }
  }

  private wake(): void {
    if (!this.waiters.length) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.failure) w.reject(this.failure);
      else if (this.count >= w.n || this.complete) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}
