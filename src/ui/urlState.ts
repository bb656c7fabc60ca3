/**
 * The one owner of the URL state: the config lives in `location.hash` (core's `encodeConfig` text) so that every
 * link replays a run. Reading the hash goes through `decodeConfig`, which never throws and lists what it had to
 * correct; writing uses `history.replaceState`, so editing a control does not pile up history entries.
 *
 * A small external store in the zustand shape (getSnapshot / subscribe), with the browser behind `UrlHost` so
 * that it is tested without a DOM.
 */
import type { Config } from '../core/config';
import { decodeConfig, encodeConfig, type Correction } from '../core/url';

/** What the store needs of the browser. */
export interface UrlHost {
  /** the current hash, with or without its '#' */
  getHash(): string;
  /** sets the hash without a history entry and without a hashchange event */
  replaceHash(text: string): void;
  /** calls `listener` when the person (or a link) changes the hash; returns the unsubscribe */
  onHashChange(listener: () => void): () => void;
}

export interface UrlSnapshot {
  config: Config;
  /** what the decoder changed in the hash last read (load or hashchange); empty once dismissed */
  corrections: readonly Correction[];
  /** the canonical text in the hash now (no '#') */
  text: string;
}

export interface UrlStore {
  getSnapshot(): UrlSnapshot;
  subscribe(listener: () => void): () => void;
  /** writes `config` to the hash; invalid values were already refused by the controls, the codec has the last word */
  setConfig(config: Config): void;
  /** the person read the correction notice */
  dismissCorrections(): void;
  /**
   * The page was opened without a link (no hash) and the config is still the defaults it got: nobody has chosen
   * anything yet, so the page may choose the first run for them.
   */
  plainVisit(): boolean;
  /** stops listening to the browser */
  dispose(): void;
}

export function createUrlStore(host: UrlHost): UrlStore {
  const listeners = new Set<() => void>();
  const plain = stripHash(host.getHash()) === '';
  let snapshot = read(host);
  const initialText = snapshot.text;
  const emit = () => listeners.forEach((l) => l());

  const stopListening = host.onHashChange(() => {
    if (stripHash(host.getHash()) === snapshot.text) return; // our own canonical text, nothing new
    snapshot = read(host);
    emit();
  });

  return {
    getSnapshot: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setConfig(config) {
      const text = encodeConfig(config);
      if (text === snapshot.text) return;
      host.replaceHash(text);
      // Decoding the written text makes the state exactly what a person opening this link would get.
      snapshot = { config: decodeConfig(text).config, corrections: snapshot.corrections, text };
      emit();
    },
    dismissCorrections() {
      if (!snapshot.corrections.length) return;
      snapshot = { ...snapshot, corrections: [] };
      emit();
    },
    plainVisit: () => plain && snapshot.text === initialText,
    dispose: stopListening,
  };
}

/** Decodes the hash and writes back its canonical form, so the link always holds every key (and the seed). */
function read(host: UrlHost): UrlSnapshot {
  const { config, corrections } = decodeConfig(stripHash(host.getHash()));
  const text = encodeConfig(config);
  if (stripHash(host.getHash()) !== text) host.replaceHash(text);
  return { config, corrections, text };
}

function stripHash(hash: string): string {
  return hash.startsWith('#') ? hash.slice(1) : hash;
}

/** The real browser behind `UrlHost`. */
export function browserUrlHost(win: Window): UrlHost {
  return {
    getHash: () => win.location.hash,
    replaceHash(text) {
      // keep path and query: the app may be served under a sub-path
      win.history.replaceState(win.history.state, '', `${win.location.pathname}${win.location.search}#${text}`);
    },
    onHashChange(listener) {
      win.addEventListener('hashchange', listener);
      return () => win.removeEventListener('hashchange', listener);
    },
  };
}
