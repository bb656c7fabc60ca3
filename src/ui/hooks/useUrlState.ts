/** React adapter of the URL store (src/ui/urlState.ts). */
import { useSyncExternalStore } from 'react';
import type { UrlSnapshot, UrlStore } from '../urlState';

export function useUrlState(store: UrlStore): UrlSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}
