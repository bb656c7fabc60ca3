/**
 * Entry point: creates what the page reads, once (the URL state; the training worker's client and its store; the
 * run history with its IndexedDB store and recorder) and mounts the app inside an error boundary, so that a render
 * error shows a message instead of a blank page.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { ErrorBoundary } from './ui/components/ErrorBoundary';
import { UpdatePrompt } from './ui/components/UpdatePrompt';
import { createHistory } from './ui/history';
import { HistoryProvider } from './ui/hooks/useHistory';
import { createTrainingStore, TrainingProvider } from './ui/hooks/useTraining';
import { createRunRecorder } from './ui/lib/runRecorder';
import { openRunStore } from './ui/lib/runStore';
import { browserUrlHost, createUrlStore } from './ui/urlState';
import { createWorkerClient } from './ui/workerClient';
import './ui/styles.css';

/** The stores live as long as the page; they are made here once, not at module level in the UI code. */
function mount(root: HTMLElement): void {
  const urlStore = createUrlStore(browserUrlHost(window));
  const client = createWorkerClient();
  const training = createTrainingStore(client);
  // Every run is kept in IndexedDB as it goes (lib/runRecorder.ts); a failure to open it is reported by the history.
  const store = openRunStore();
  store.catch(() => undefined);
  const recorder = createRunRecorder({ client, store });
  const history = createHistory({ client, recorder, store });
  createRoot(root).render(
    <StrictMode>
      <ErrorBoundary area="the page">
        <TrainingProvider store={training}>
          <HistoryProvider history={history}>
            <App urlStore={urlStore}>{import.meta.env.PROD && <UpdatePrompt />}</App>
          </HistoryProvider>
        </TrainingProvider>
      </ErrorBoundary>
    </StrictMode>,
  );
}

// Only a build has a service worker (vite.config.ts); one left on this origin by a build would serve stale files here.
if (import.meta.env.DEV) void navigator.serviceWorker?.getRegistrations().then((all) => all.forEach((r) => void r.unregister()));

mount(document.getElementById('root')!);
