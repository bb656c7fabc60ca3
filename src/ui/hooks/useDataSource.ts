/**
 * Which CIFAR-10 source the next run reads (the app's server, picked files, or the link's `data` URL), what still
 * blocks a run, and whether a third-party data URL needs the person's consent first.
 */
import { useState } from 'react';
import type { Config } from '../../core/config';
import type { DataSourceSpec } from '../../worker/protocol';
import type { SourceKind } from '../components/DataSourceControls';

export interface DataSource {
  kind: SourceKind;
  files: File[];
  setFiles: (files: File[]) => void;
  /** selects a kind; leaving 'url' drops the link's data URL, so the link never claims data the run does not use */
  choose: (kind: SourceKind) => void;
  /** a data URL the person typed: their own choice, so it is trusted without asking */
  enterUrl: (url: string) => void;
  /** the link's data URL is on another origin and the person has not agreed to fetch it yet */
  needsConsent: boolean;
  /** the person agreed to fetch the link's data URL */
  trustUrl: () => void;
  /** why a run cannot start yet (no files picked, no URL), else null */
  blockedReason: string | null;
  /** the source for the worker, as the page's origin and the choices say */
  spec: () => DataSourceSpec;
}

/** A data URL on another origin is fetched only after the person agrees (a link could point anywhere). */
function isThirdParty(url: string): boolean {
  try {
    return new URL(url, window.location.href).origin !== window.location.origin;
  } catch {
    return true;
  }
}

export function useDataSource(config: Config, patch: (p: Partial<Config>) => void): DataSource {
  const [kind, setKind] = useState<SourceKind>(config.data ? 'url' : 'server');
  const [files, setFiles] = useState<File[]>([]);
  /** the third-party data URL the person agreed to fetch, if any */
  const [trustedUrl, setTrustedUrl] = useState<string | null>(null);
  // A link (load or hashchange) that brings a data URL selects the URL source; one that drops it, the server.
  const [seenData, setSeenData] = useState(config.data);
  if (seenData !== config.data) {
    setSeenData(config.data);
    if (config.data) setKind('url');
    else if (kind === 'url') setKind('server');
  }

  const choose = (next: SourceKind) => {
    setKind(next);
    if (next !== 'url' && config.data) patch({ data: '' });
  };

  return {
    kind,
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
      kind === 'files' && files.length === 0
        ? 'Choose CIFAR-10 files (below) first.'
        : kind === 'url' && config.data === ''
          ? 'Enter a data URL (below) first.'
          : null,
    spec: () =>
      kind === 'files'
        ? { kind: 'files', files }
        : kind === 'url'
          ? { kind: 'url', url: config.data }
          : { kind: 'server', base: `${window.location.origin}/cifar10` },
  };
}
