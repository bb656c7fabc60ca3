/**
 * Entry point: creates the two stores the page reads (the URL state and the training worker's client) and mounts
 * the app inside an error boundary, so that a render error shows a message instead of a blank page.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { ErrorBoundary } from './ui/components/ErrorBoundary';
import { createTrainingStore, TrainingProvider } from './ui/hooks/useTraining';
import { browserUrlHost, createUrlStore } from './ui/urlState';
import { createWorkerClient } from './ui/workerClient';
import './ui/styles.css';

/** The stores live as long as the page; they are made here once, not at module level in the UI code. */
function mount(root: HTMLElement): void {
  const urlStore = createUrlStore(browserUrlHost(window));
  const training = createTrainingStore(createWorkerClient());
  createRoot(root).render(
    <StrictMode>
      <ErrorBoundary area="the page">
        <TrainingProvider store={training}>
          <App urlStore={urlStore} />
        </TrainingProvider>
      </ErrorBoundary>
    </StrictMode>,
  );
}

mount(document.getElementById('root')!);
