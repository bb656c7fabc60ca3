/**
 * The React side of the run history (`../history.ts`): a context holding it, and hooks for its view. Without a
 * provider (a page or test that keeps no history) the hooks see an empty history, so components still render.
 */
import { createContext, createElement, useContext, useEffect, useSyncExternalStore, type ReactNode } from 'react';
import type { History, HistoryView } from '../history';

const HistoryContext = createContext<History | null>(null);

export function HistoryProvider({ history, children }: { history: History; children: ReactNode }) {
  return createElement(HistoryContext.Provider, { value: history }, children);
}

const EMPTY: HistoryView = Object.freeze({
  entries: null,
  shown: [],
  shownKeys: [],
  shownSamples: null,
  usage: null,
  storageError: null,
  note: null,
  unavailable: null,
});
const noop = () => () => undefined;

/** The history's commands, or null when the page keeps none. */
export function useHistory(): History | null {
  return useContext(HistoryContext);
}

/** One slice of the history's view (a part of it or a primitive, never a new object). */
export function useHistoryView<T>(select: (v: HistoryView) => T): T {
  const history = useContext(HistoryContext);
  return useSyncExternalStore(history ? history.subscribe : noop, () => select(history ? history.getSnapshot() : EMPTY));
}

/** Asks before leaving the page (close, reload, navigate away) while `active`: a run in training would stop. */
export function useLeaveWarning(active: boolean): void {
  useEffect(() => {
    if (!active) return;
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers show the dialog only when returnValue is set (its text is no longer shown).
      event.returnValue = 'A run is training. Leave anyway?';
      return event.returnValue;
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [active]);
}
