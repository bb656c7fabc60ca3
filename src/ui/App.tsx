/**
 * The page: controls on the left (model, run buttons, comparison, recipe, data), results on the right (progress,
 * curves, run table, evaluation, export). App itself re-renders on config changes and run-phase changes only;
 * the parts that follow metrics subscribe to their own slices.
 */
import { useCallback, useEffect, useState } from 'react';
import type { Config, ModelConfig } from '../core/config';
import type { DataSourceSpec } from '../worker/protocol';
import { useHistory, useLeaveWarning } from './hooks/useHistory';
import { isActive, useTrainingClient, useTrainingSelector } from './hooks/useTraining';
import { useUrlState } from './hooks/useUrlState';
import type { UrlStore } from './urlState';
import { CompareControls } from './components/CompareControls';
import { ConfirmDialog } from './components/ConfirmDialog';
import { CostSummary } from './components/CostSummary';
import { DataSourceControls, type SourceKind } from './components/DataSourceControls';
import { ErrorBoundary } from './components/ErrorBoundary';
import { LiveLearningRate } from './components/LiveLearningRate';
import { ModelControls } from './components/ModelControls';
import { CorrectionNotice, ErrorNotices } from './components/Notices';
import { RecipeControls } from './components/RecipeControls';
import { Results } from './components/Results';
import { RunActions } from './components/RunActions';
import { ResumeNotice } from './components/ResumeNotice';
import { RunHistory } from './components/RunHistory';
import { RunProgress } from './components/RunProgress';
import { StatusBar } from './components/StatusBar';

/** A data URL on another origin is fetched only after the person agrees (a link could point anywhere). */
function isThirdParty(url: string): boolean {
  try {
    return new URL(url, window.location.href).origin !== window.location.origin;
  } catch {
    return true;
  }
}

export function App({ urlStore }: { urlStore: UrlStore }) {
  const { config, corrections, text } = useUrlState(urlStore);
  const client = useTrainingClient();
  const phase = useTrainingSelector((v) => v.phase);
  const active = isActive(phase);
  const history = useHistory();
  useLeaveWarning(active);

  const [sourceKind, setSourceKind] = useState<SourceKind>(config.data ? 'url' : 'server');
  const [files, setFiles] = useState<File[]>([]);
  /** the third-party data URL the person agreed to fetch, if any */
  const [trustedUrl, setTrustedUrl] = useState<string | null>(null);
  // A link (load or hashchange) that brings a data URL selects the URL source; one that drops it, the server.
  const [seenData, setSeenData] = useState(config.data);
  if (seenData !== config.data) {
    setSeenData(config.data);
    if (config.data) setSourceKind('url');
    else if (sourceKind === 'url') setSourceKind('server');
  }

  const setConfig = useCallback((next: Config) => urlStore.setConfig(next), [urlStore]);
  const patch = useCallback((p: Partial<Config>) => urlStore.setConfig({ ...urlStore.getSnapshot().config, ...p }), [urlStore]);

  // The worker picks its backend at load and whenever the person chooses another between runs.
  useEffect(() => {
    if (!isActive(client.getSnapshot().run?.status ?? 'finished')) client.init(config.backend);
  }, [client, config.backend]);

  const needsConsent = sourceKind === 'url' && config.data !== '' && isThirdParty(config.data) && trustedUrl !== config.data;
  const blockedReason =
    sourceKind === 'files' && files.length === 0
      ? 'Choose CIFAR-10 files (below) first.'
      : sourceKind === 'url' && config.data === ''
        ? 'Enter a data URL (below) first.'
        : null;

  const train = () => {
    if (needsConsent) return; // the dialog is open and asks first
    const source: DataSourceSpec =
      sourceKind === 'files'
        ? { kind: 'files', files }
        : sourceKind === 'url'
          ? { kind: 'url', url: config.data }
          : { kind: 'server', base: `${window.location.origin}/cifar10` };
    client.start(config, source);
  };

  /** Resume a stored run: its own config (the link then describes it), data from where it came, or the files picked. */
  const resumeRun = (key: string) => {
    void history?.resume(key, (run) => {
      const data = run.config.data;
      if (!data && sourceKind === 'files' && files.length === 0) return 'Choose the CIFAR-10 files again (below) to resume this run.';
      setConfig(run.config);
      if (data) setTrustedUrl(data); // it trained from there before: no need to ask again
      return data
        ? { kind: 'url', url: data }
        : sourceKind === 'files'
          ? { kind: 'files', files }
          : { kind: 'server', base: `${window.location.origin}/cifar10` };
    });
  };

  const chooseSource = (kind: SourceKind) => {
    setSourceKind(kind);
    // The link must not claim a data URL the run does not use.
    if (kind !== 'url' && config.data) patch({ data: '' });
  };

  return (
    <>
      <a className="skip-link" href="#results">
        Skip to results
      </a>
      <header className="app-header">
        <div className="title">
          <h1>Wide ResNet playground</h1>
          <p className="tagline">
            Train WRN-d-k on CIFAR-10 in your browser and compare thin-deep with wide-shallow nets (Zagoruyko &amp; Komodakis, 2016).
          </p>
        </div>
        <StatusBar />
      </header>
      <div className="notices">
        <CorrectionNotice corrections={corrections} onDismiss={() => urlStore.dismissCorrections()} />
        <ErrorNotices />
        <ResumeNotice onResume={resumeRun} busy={active} />
      </div>
      <main className="layout">
        <aside className="controls" aria-label="Settings">
          <section className="panel-section" aria-labelledby="model-title">
            <h2 id="model-title">Model</h2>
            <ModelControls model={config} onChange={(m: ModelConfig) => patch(m)} disabled={active} />
            <CostSummary config={config} />
            <RunActions
              phase={phase}
              blockedReason={blockedReason}
              onTrain={train}
              onPause={() => client.pause()}
              onResume={() => client.resume()}
              onStop={() => client.stop()}
            />
            {active && phase !== 'stopping' && <LiveLearningRate />}
          </section>
          <CompareControls config={config} onChange={setConfig} disabled={active} />
          <RecipeControls config={config} onChange={patch} disabled={active} />
          <DataSourceControls
            kind={sourceKind}
            onKind={chooseSource}
            files={files}
            onFiles={setFiles}
            dataUrl={config.data}
            onDataUrl={(url) => {
              setTrustedUrl(url); // typed by the person: their own choice, no need to ask
              patch({ data: url });
            }}
            disabled={active}
          />
        </aside>
        <div className="results" id="results" tabIndex={-1}>
          <ErrorBoundary area="progress">
            <RunProgress />
          </ErrorBoundary>
          <ErrorBoundary area="results">
            <Results config={config} configText={text} />
          </ErrorBoundary>
          <ErrorBoundary area="run history">
            <RunHistory onResume={resumeRun} busy={active} />
          </ErrorBoundary>
        </div>
      </main>
      <ConfirmDialog
        open={needsConsent}
        title="Fetch data from another site?"
        confirmLabel="Fetch from this site"
        cancelLabel="Use the app’s server"
        onConfirm={() => setTrustedUrl(config.data)}
        onCancel={() => chooseSource('server')}
      >
        <p>This link asks the playground to download CIFAR-10 from:</p>
        <p className="url-box">
          <code>{config.data}</code>
        </p>
        <p>
          That site will see your IP address, and the page will train on whatever it serves. Fetch only from sites you trust.
        </p>
      </ConfirmDialog>
    </>
  );
}
