/** Where CIFAR-10 comes from, and how each kind of source becomes the list of inputs the loader reads. */
import { absoluteUrl } from './http';
import { blobInput, urlInput, type CifarInput } from './inputs';
import { sampleInputs, urlSampleReader } from './sample';
import { serverInputs, type ServerPollOptions } from './serverSource';

/** Where CIFAR-10 comes from. */
export type CifarSource =
  /** the app's own server (Vite dev/preview plugin): `base` is its endpoint root, e.g. "/cifar10" */
  | { kind: 'server'; base: string }
  /** a `.tar.gz`, `.tar` or `.bin` URL on a CORS-enabled host; a URL ending in "/" or "manifest.json" is read as a server base */
  | { kind: 'url'; url: string }
  /** files the person picked or dropped (`File`s; `.bin` or `.tar.gz`), parsed here and never uploaded */
  | { kind: 'files'; files: readonly Blob[] }
  /** the built-in sample (./sample.ts): `base` is the URL of its folder, e.g. "./cifar10-sample/" */
  | { kind: 'sample'; base: string }
  /** anything else as a list of inputs, possibly found lazily (the Node CLI's folders) */
  | { kind: 'inputs'; inputs: readonly CifarInput[] | (() => Promise<readonly CifarInput[]>) };

/**
 * The sources that are plain data (structured-cloneable): what the page sends its worker, and what a stored run
 * resumes from. The others are lists of inputs made where they are read.
 */
export type CloneableSource = Exclude<CifarSource, { kind: 'inputs' }>;

/** Turns a source into inputs; for the app's server this waits out its download of the official tarball. */
export async function resolveSource(
  source: CifarSource,
  opts: { signal: AbortSignal; pollMs: number; onServerDownload: ServerPollOptions['onDownload'] },
): Promise<readonly CifarInput[]> {
  const poll: ServerPollOptions = { signal: opts.signal, pollMs: opts.pollMs, onDownload: opts.onServerDownload };
  switch (source.kind) {
    case 'server':
      return serverInputs(source.base, poll);
    case 'url': {
      const path = source.url.split(/[?#]/)[0] ?? '';
      if (path.endsWith('/') || path.endsWith('manifest.json')) return serverInputs(source.url.replace(/manifest\.json([?#].*)?$/, ''), poll);
      return [urlInput(absoluteUrl(source.url))];
    }
    case 'files':
      return source.files.map(blobInput);
    case 'sample':
      return sampleInputs(urlSampleReader(source.base), opts.signal);
    case 'inputs':
      return typeof source.inputs === 'function' ? source.inputs() : source.inputs;
  }
}
