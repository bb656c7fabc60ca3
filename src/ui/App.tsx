/**
 * The page: controls on the left (model, run buttons, comparison, recipe, data), results on the right (progress,
 * curves, run table, evaluation, export). App itself re-renders on config changes and run-phase changes only;
 * the parts that follow metrics subscribe to their own slices.
 */
import { useCallback, useEffect, useState } from 'react';
import { LIMITS, type Config, type ModelConfig } from '../core/config';
import { SAMPLE } from '../core/data/sampleInfo';
import { fitToSample } from '../core/url';
import type { DataSourceSpec } from '../worker/protocol';
import { isActive, useTrainingClient, useTrainingSelector } from './hooks/useTraining';
import { serverBase, useServerData } from './hooks/useServerData';
import { useUrlState } from './hooks/useUrlState';
import type { UrlStore } from './urlState';
import { CompareControls } from './components/CompareControls';
import { ConfirmDialog } from './components/ConfirmDialog';
import { CostSummary } from './components/CostSummary';
import { DataSourceControls, type SourceKind } from './components/DataSourceControls';
import { ErrorBoundary } from './components/ErrorBoundary';
import { LiveLearningRate } from './components/LiveLearningRate';
import { ModelControls } from './components/ModelControls';
import { CorrectionNotice, ErrorNotices, SampleNotice } from './components/Notices';
import { RecipeControls } from './components/RecipeControls';
import { Results } from './components/Results';
import { RunActions } from './components/RunActions';
import { RunEstimate } from './components/RunEstimate';
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

/** The built-in sample's folder, relative to the page, so a site under a sub-path (…/wrn-playground/) finds it. */
function sampleBase(): string {
  return new URL(`${import.meta.env.BASE_URL}${SAMPLE.folder}`, document.baseURI).href;
}

export function App({ urlStore }: { urlStore: UrlStore }) {
  const { config, corrections, text } = useUrlState(urlStore);
  const client = useTrainingClient();
  const phase = useTrainingSelector((v) => v.phase);
  const active = isActive(phase);

  const server = useServerData();
  // The person's choice in this page; null follows the link's `source`: 'auto' is the full data set where this
  // app's server has it ready, else the built-in sample (a static host, offline, nothing downloaded yet).
  const [chosenKind, setSourceKind] = useState<SourceKind | null>(config.data ? 'url' : null);
  const linkKind: SourceKind | null =
    config.source === 'sample' ? 'sample'
      : config.source === 'full' ? 'server'
        : server.state === 'checking' ? null
          : server.state === 'ready' ? 'server' : 'sample';
  const sourceKind = chosenKind ?? linkKind;
  // On the sample, subset sizes past what it holds are capped for the run (the link keeps what it says).
  const sampleFit = sourceKind === 'sample' ? fitToSample(config) : null;
  const runConfig = sampleFit?.config ?? config;
  const [files, setFiles] = useState<File[]>([]);
  /** the third-party data URL the person agreed to fetch, if any */
  const [trustedUrl, setTrustedUrl] = useState<string | null>(null);
  // A link (load or hashchange) that brings a data URL selects the URL source; one that drops it, the server.
  const [seenData, setSeenData] = useState(config.data);
  if (seenData !== config.data) {
    setSeenData(config.data);
    if (config.data) setSourceKind('url');
    else if (chosenKind === 'url') setSourceKind(null);
  }

  const setConfig = useCallback((next: Config) => urlStore.setConfig(next), [urlStore]);
  const patch = useCallback((p: Partial<Config>) => urlStore.setConfig({ ...urlStore.getSnapshot().config, ...p }), [urlStore]);

  // The worker picks its backend at load and whenever the person chooses another between runs.
  useEffect(() => {
    if (!isActive(client.getSnapshot().run?.status ?? 'finished')) client.init(config.backend);
  }, [client, config.backend]);

  const needsConsent = sourceKind === 'url' && config.data !== '' && isThirdParty(config.data) && trustedUrl !== config.data;
  const blockedReason =
    sourceKind === null
      ? 'Looking for CIFAR-10 on this site…'
      : sourceKind === 'server' && server.state === 'none'
        ? 'This site has no CIFAR-10 server: choose the built-in sample, files or a URL (below).'
        : sourceKind === 'files' && files.length === 0
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
          : sourceKind === 'sample'
            ? { kind: 'sample', base: sampleBase() }
            : { kind: 'server', base: serverBase() };
    client.start(runConfig, source);
  };

  const chooseSource = (kind: SourceKind) => {
    setSourceKind(kind);
    // The link says which data set (sample or full) and must not claim a data URL the run does not use. Files are
    // not in a link, so it goes back to 'auto'.
    const source = kind === 'sample' ? 'sample' : kind === 'server' ? 'full' : 'auto';
    const next = { ...config, source, data: kind === 'url' ? config.data : '' } as const;
    if (next.source !== config.source || next.data !== config.data) setConfig(kind === 'sample' ? fitToSample(next).config : next);
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
        {sampleFit && !active && (
          <SampleNotice corrections={sampleFit.corrections} chosen={chosenKind === 'sample' || config.source === 'sample'} server={server}
            onFull={server.state === 'none' ? () => chooseSource('files') : () => chooseSource('server')} />
        )}
        <ErrorNotices />
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
            >
              {!active && sourceKind !== null && (
                <RunEstimate config={runConfig} onApply={setConfig}
                  limit={sourceKind === 'sample' ? { train: SAMPLE.train, test: SAMPLE.test } : { train: LIMITS.train.max, test: LIMITS.test.max }} />
              )}
            </RunActions>
            {active && phase !== 'stopping' && <LiveLearningRate />}
          </section>
          <CompareControls config={config} onChange={setConfig} disabled={active} />
          <RecipeControls config={config} onChange={patch} disabled={active} />
          <DataSourceControls
            kind={sourceKind}
            server={server}
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
        </div>
      </main>
      <ConfirmDialog
        open={needsConsent}
        title="Fetch data from another site?"
        confirmLabel="Fetch from this site"
        cancelLabel={server.state === 'none' ? 'Use the built-in sample' : 'Use the app’s server'}
        onConfirm={() => setTrustedUrl(config.data)}
        onCancel={() => chooseSource(server.state === 'none' ? 'sample' : 'server')}
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
