/**
 * The web-platform globals the core uses, for its own type check (src/core/tsconfig.json: no DOM, no Node types).
 * The core runs unchanged in a page, a worker and Node 20, so it may use only what all three have; declaring exactly
 * those here, and nothing else, makes the compiler refuse anything more (`document`, `window`, `process`, `Buffer`).
 * Each is a subset of its standard declaration (lib.dom.d.ts), written with the same names and shapes, so code
 * checked here also checks under the DOM lib, which the root config uses for every file (and which this file
 * would clash with: the root config excludes it). WebGPU's types come from @webgpu/types.
 *
 * A global that only one of the platforms has is declared possibly undefined, so that the compiler asks for the
 * `typeof` guard the code needs anyway.
 */

// ---- In browsers, workers and Node 20 alike

declare function setTimeout(handler: () => void, timeout?: number): number;
declare function clearTimeout(id: number | undefined): void;

declare var performance: { now(): number };

declare class TextEncoder {
  encode(input?: string): Uint8Array<ArrayBuffer>;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}

declare class URL {
  constructor(url: string, base?: string);
  readonly href: string;
  readonly protocol: string;
}

/** Web Crypto: only its digest (the built-in sample's SHA-256). Absent on plain-HTTP pages, hence optional. */
declare var crypto: { readonly subtle?: { digest(algorithm: 'SHA-256', data: BufferSource): Promise<ArrayBuffer> } } | undefined;
type BufferSource = ArrayBufferView<ArrayBuffer> | ArrayBuffer;

declare class AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

/** The trainer's yield between steps in a browser (trainer.ts `yieldToEventLoop`). */
declare class MessageChannel {
  readonly port1: MessagePort;
  readonly port2: MessagePort;
}
interface MessagePort {
  onmessage: ((event: unknown) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

// Streams (WHATWG): how every CIFAR-10 byte arrives, from a file, an HTTP body or an archive.
interface ReadableStreamReadDoneResult<T> {
  done: true;
  value?: T;
}
interface ReadableStreamReadValueResult<T> {
  done: false;
  value: T;
}
type ReadableStreamReadResult<T> = ReadableStreamReadValueResult<T> | ReadableStreamReadDoneResult<T>;
interface ReadableStreamDefaultReader<R = unknown> {
  read(): Promise<ReadableStreamReadResult<R>>;
  cancel(reason?: unknown): Promise<void>;
  releaseLock(): void;
}
interface ReadableStreamDefaultController<R = unknown> {
  enqueue(chunk: R): void;
  close(): void;
  error(e?: unknown): void;
}
interface UnderlyingDefaultSource<R = unknown> {
  start?: (controller: ReadableStreamDefaultController<R>) => unknown;
  pull?: (controller: ReadableStreamDefaultController<R>) => void | PromiseLike<void>;
  cancel?: (reason?: unknown) => void | PromiseLike<void>;
}
interface QueuingStrategy<T = unknown> {
  highWaterMark?: number;
  size?: (chunk: T) => number;
}
interface ReadableWritablePair<T = unknown, W = unknown> {
  readable: ReadableStream<T>;
  writable: WritableStream<W>;
}
interface WritableStream<W = unknown> {
  readonly locked: boolean;
  /** never called by the core: present so that a stream's writable side has its type parameter */
  abort(reason?: W): Promise<void>;
}
interface ReadableStream<R = unknown> {
  readonly locked: boolean;
  getReader(): ReadableStreamDefaultReader<R>;
  cancel(reason?: unknown): Promise<void>;
  pipeThrough<T>(transform: ReadableWritablePair<T, R>): ReadableStream<T>;
}
declare var ReadableStream: {
  prototype: ReadableStream;
  new <R = unknown>(source: UnderlyingDefaultSource<R>, strategy?: QueuingStrategy<R>): ReadableStream<R>;
};
interface TransformStreamDefaultController<O = unknown> {
  enqueue(chunk: O): void;
}
interface Transformer<I = unknown, O = unknown> {
  start?: (controller: TransformStreamDefaultController<O>) => void | PromiseLike<void>;
  transform?: (chunk: I, controller: TransformStreamDefaultController<O>) => void | PromiseLike<void>;
  flush?: (controller: TransformStreamDefaultController<O>) => void | PromiseLike<void>;
}
interface TransformStream<I = unknown, O = unknown> {
  readonly readable: ReadableStream<O>;
  readonly writable: WritableStream<I>;
}
declare var TransformStream: {
  prototype: TransformStream;
  new <I = unknown, O = unknown>(transformer?: Transformer<I, O>): TransformStream<I, O>;
};
declare class DecompressionStream {
  constructor(format: 'gzip' | 'deflate' | 'deflate-raw');
  readonly readable: ReadableStream<Uint8Array<ArrayBuffer>>;
  readonly writable: WritableStream<BufferSource>;
}

declare class Blob {
  constructor(parts?: (BufferSource | Blob | string)[]);
  readonly size: number;
  stream(): ReadableStream<Uint8Array<ArrayBuffer>>;
}

// fetch: the data sources over HTTP (src/core/data/http.ts).
interface Headers {
  get(name: string): string | null;
}
declare class Response {
  constructor(body?: ReadableStream<Uint8Array> | null);
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array<ArrayBuffer>> | null;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}
declare function fetch(input: string, init?: { signal?: AbortSignal }): Promise<Response>;

/** A page's and a worker's, and Node 21's; Node 20 has none. Its `gpu` (WebGPU, or Dawn's in Node) is @webgpu/types'. */
declare var navigator: Navigator | undefined;

// ---- On one platform only: possibly undefined, so that the compiler asks for the `typeof` guard

/** A page's or a worker's address (relative URLs resolve against it); none in Node. */
declare var location: { readonly href: string } | undefined;
/** Whether the page or worker may use SharedArrayBuffer (WASM threads); none in Node. */
declare var crossOriginIsolated: boolean | undefined;
/** Node's turn of the event loop (the trainer's yield between steps there); none in browsers. */
declare var setImmediate: ((callback: () => void) => unknown) | undefined;
