/**
 * Which CIFAR-10 source the next run reads (the built-in sample, the app's server, picked files, or the link's
 * `data` URL), the config it runs with there, what still blocks a run, and whether a third-party data URL needs the
 * person's consent first.
 *
 * The link's `source` decides until the person picks one: 'sample' and 'full' say it outright; 'auto' (the default)
 * is the full data set where this app's server has it ready, else the built-in sample, so a static host, an offline
 * laptop or a server that has downloaded nothing yet trains at once.
 */
import { useState } from 'react';
import { LIMITS, type Config } from '../../core/config';
import { SAMPLE } from '../../core/data/sampleInfo';
import { fitToSample, type Correction } from '../../core/url';
import type { CloneableSource } from '../../core/data/sources';
import type { SourceKind } from '../components/DataSourceControls';
import { serverBase, useServerData, type ServerData } from './useServerData';

export interface DataSource {
  /** null while the page asks the app's server whether it has CIFAR-10 ('auto' only) */
  kind: SourceKind | null;
  /** what the app's server said */
  server: ServerData;
  /** the config a run starts with: on the sample, `train` and `test` capped at what it holds (the link keeps its own) */
  runConfig: Config;
  /** on the sample: the caps it makes to this config (maybe none); else null */
  sampleCaps: Correction[] | null;
  /** the person or the link chose the sample (rather than 'auto' falling back to it) */
  sampleChosen: boolean;
  /** the most images the source holds */
  limit: { train: number; test: number };
  files: File[];
  setFiles: (files: File[]) => void;
  /** selects a kind and writes it into the link (`source`), dropping a data URL the run would not use */
  choose: (kind: SourceKind) => void;
  /** a data URL the person typed: their own choice, so it is trusted without asking */
  enterUrl: (url: string) => void;
  /** the link's data URL is on another origin and the person has not agreed to fetch it yet */
  needsConsent: boolean;
  /** the person agreed to fetch the link's data URL */
  trustUrl: () => void;
  /** why a run cannot start yet (no files picked, no URL, no server), else null */
  blockedReason: string | null;
  /** the source for the worker, as the page's location and the choices say */
  spec: () => CloneableSource;
}

/** A data URL on another origin is fetched only after the person agrees (a link could point anywhere). */
function isThirdParty(url: string): boolean {
  try {
    return new URL(url, window.location.href).origin !== window.location.origin;
  } catch {
    return true;
  }
}

/** The built-in sample's folder, relative to the page, so a site under a sub-path (…/wrn-playground/) finds it. */
function sampleBase(): string {
  return new URL(`${import.meta.env.BASE_URL}${SAMPLE.folder}`, document.baseURI).href;
}

export function useDataSource(config: Config, patch: (p: Partial<Config>) => void): DataSource {
  const server = useServerData();
  // The person's pick in this page; null follows the link's `source`.
  const [chosen, setChosen] = useState<SourceKind | null>(config.data ? 'url' : null);
  const [files, setFiles] = useState<File[]>([]);
  /** the third-party data URL the person agreed to fetch, if any */
  const [trustedUrl, setTrustedUrl] = useState<string | null>(null);
  // A link (load or hashchange) that brings a data URL selects the URL source; one that drops it, the link's source.
  const [seenData, setSeenData] = useState(config.data);
  if (seenData !== config.data) {
    setSeenData(config.data);
    if (config.data) setChosen('url');
    else if (chosen === 'url') setChosen(null);
  }

  const linkKind: SourceKind | null =
    config.source === 'sample'
      ? 'sample'
      : config.source === 'full'
        ? 'server'
        : server.state === 'checking'
          ? null
          : server.state === 'ready'
            ? 'server'
            : 'sample';
  const kind = chosen ?? linkKind;
  const fit = kind === 'sample' ? fitToSample(config) : null;

  const choose = (next: SourceKind) => {
    setChosen(next);
    // The link says which data set; files are not in a link, so it goes back to 'auto' for them.
    const source = next === 'sample' ? 'sample' : next === 'server' ? 'full' : 'auto';
    const p: Partial<Config> = {};
    if (source !== config.source) p.source = source;
    if (next !== 'url' && config.data) p.data = '';
    if (next === 'sample') {
      if (config.train > SAMPLE.train) p.train = SAMPLE.train;
      if (config.test > SAMPLE.test) p.test = SAMPLE.test;
    }
    if (Object.keys(p).length) patch(p);
  };

  return {
    kind,
    server,
    runConfig: fit?.config ?? config,
    sampleCaps: fit?.corrections ?? null,
    sampleChosen: chosen === 'sample' || (chosen === null && config.source === 'sample'),
    limit: kind === 'sample' ? { train: SAMPLE.train, test: SAMPLE.test } : { train: LIMITS.train.max, test: LIMITS.test.max },
    files,
    setFiles,
    choose,
    enterUrl: (url) => {
      setTrustedUrl(url);
      patch({ data: url });
    },
    needsConsent: kind === 'url' && config.data !== '' && isThirdParty(config.data) && trustedUrl !== config.data,
    trustUrl: () => setTrustedUrl(config.data),
    blockedReason:
      kind === null
        ? 'Looking for CIFAR-10 on this site…'
        : kind === 'server' && server.state === 'none'
          ? 'This site has no CIFAR-10 server: choose the built-in sample, files or a URL (below).'
          : kind === 'files' && files.length === 0
            ? 'Choose CIFAR-10 files (below) first.'
            : kind === 'url' && config.data === ''
              ? 'Enter a data URL (below) first.'
              : null,
    spec: () =>
      kind === 'files'
        ? { kind: 'files', files }
        : kind === 'url'
          ? { kind: 'url', url: config.data }
          : kind === 'sample'
            ? { kind: 'sample', base: sampleBase() }
            : { kind: 'server', base: serverBase() },
  };
}
