/**
 * The page: controls on the left (model, run buttons, comparison, recipe, data), results on the right (progress,
 * curves, run table, evaluation, export). App itself re-renders on config changes and run-phase changes only;
 * the parts that follow metrics subscribe to their own slices.
 */
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { Config, ModelConfig } from '../core/config';
import type { CloneableSource } from '../core/data/sources';
import type { SavedWeights } from '../core/weights';
import { useDataSource } from './hooks/useDataSource';
import { useDeviceSpeed } from './hooks/useDeviceSpeed';
import { useMediaQuery } from './hooks/useMediaQuery';
import { useHistory, useLeaveWarning } from './hooks/useHistory';
import { isActive, useTrainingClient, useTrainingSelector } from './hooks/useTraining';
import { useUrlState } from './hooks/useUrlState';
import type { UrlStore } from './urlState';
import { CompareControls } from './components/CompareControls';
import { ConfirmDialog } from './components/ConfirmDialog';
import { CostSummary } from './components/CostSummary';
import { DataSourceControls } from './components/DataSourceControls';
import { ErrorBoundary } from './components/ErrorBoundary';
import { LiveLearningRate } from './components/LiveLearningRate';
import { ModelControls } from './components/ModelControls';
import { CorrectionNotice, ErrorNotices, SampleNotice } from './components/Notices';
import { RecipeControls } from './components/RecipeControls';
import { Results } from './components/Results';
import { RunActions } from './components/RunActions';
import { RunEstimate } from './components/RunEstimate';
import { ResumeNotice } from './components/ResumeNotice';
import { RunHistory } from './components/RunHistory';
import { RunProgress } from './components/RunProgress';
import { StatusBar } from './components/StatusBar';
import { estimateSeconds, roughDuration } from './lib/estimate';
import { FIRST_RUN_SECONDS, probeConfig, sizeComparison } from './lib/sizedComparison';
import { JumpLink } from './components/JumpLink';

/** The page's one-column layout (styles.css): phones and narrow windows. */
const ONE_COLUMN = '(max-width: 900px)';

/**
 * The length of a plain visit's first run (s). `?test-first-run-seconds=N` in the page's address shortens it, for the
 * end-to-end tests only: people get FIRST_RUN_SECONDS.
 */
function firstRunSeconds(): number {
  const given = Number(new URLSearchParams(window.location.search).get('test-first-run-seconds'));
  return Number.isFinite(given) && given >= 1 && given <= 3600 ? given : FIRST_RUN_SECONDS;
}

/** `children`: more notices, shown first (the service worker's update prompt, from main.tsx). */
export function App({ urlStore, children }: { urlStore: UrlStore; children?: ReactNode }) {
  const { config, corrections, text } = useUrlState(urlStore);
  const client = useTrainingClient();
  const phase = useTrainingSelector((v) => v.phase);
  const active = isActive(phase);
  // On a phone, once a run has started, its progress, curves and result come first: the settings fold away (one tap
  // opens them) and the run's buttons stay at the top of the screen.
  const folded = useMediaQuery(ONE_COLUMN) && phase !== 'idle';
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [wasActive, setWasActive] = useState(active);
  if (wasActive !== active) {
    setWasActive(active);
    if (active) setSettingsOpen(false); // each run starts folded
  }
  const history = useHistory();
  useLeaveWarning(active);

  const setConfig = useCallback((next: Config) => urlStore.setConfig(next), [urlStore]);
  const patch = useCallback((p: Partial<Config>) => urlStore.setConfig({ ...urlStore.getSnapshot().config, ...p }), [urlStore]);

  // The worker picks its backend at load and whenever the person chooses another between runs.
  useEffect(() => {
    if (!isActive(client.getSnapshot().run?.status ?? 'finished')) client.init(config.backend);
  }, [client, config.backend]);

  const data = useDataSource(config, patch);

  // A plain visit (no link, nothing chosen yet): the first run is the thin-deep vs wide-shallow comparison, sized
  // from the backend found and the speed the probe measures on it to take about FIRST_RUN_SECONDS.
  const plain = urlStore.plainVisit();
  const backend = useTrainingSelector((v) => v.backend);
  const device = useDeviceSpeed(plain && backend ? probeConfig(config, backend) : null);
  const sizing = plain && !active && (!backend || !device.settled);
  const { train: limitTrain, test: limitTest } = data.limit;
  useEffect(() => {
    const speed = device.speed;
    if (!urlStore.plainVisit() || !backend || !speed || !device.settled || data.kind === null || isActive(phase)) return;
    const limit = { train: limitTrain, test: limitTest };
    const estimate = (c: Config) => estimateSeconds(c, Math.min(c.train, limit.train), Math.min(c.test, limit.test), speed);
    urlStore.setConfig(sizeComparison(urlStore.getSnapshot().config, backend, firstRunSeconds(), estimate, limit).config);
  }, [urlStore, backend, device.speed, device.settled, data.kind, limitTrain, limitTest, phase]);

  const train = () => {
    if (data.needsConsent) return; // the dialog is open and asks first
    client.start(data.runConfig, data.spec());
  };
  const blockedReason = sizing
    ? `Measuring how fast this device trains, to size a first comparison (${roughDuration(firstRunSeconds())})…`
    : data.blockedReason;

  /** Resume a stored run: its own config (the link then describes it), data from where it came, or the files picked. */
  const resumeRun = (key: string) => {
    void history?.resume(key, (run): CloneableSource | string => {
      const url = run.config.data;
      if (!url && data.kind === 'files' && data.files.length === 0) return 'Choose the CIFAR-10 files again (below) to resume this run.';
      setConfig(run.config);
      if (url) {
        data.enterUrl(url); // it trained from there before: no need to ask again
        return { kind: 'url', url };
      }
      return data.kind === 'files' ? { kind: 'files', files: data.files } : data.spec(); // the sample or the app's server, as now chosen
    });
  };
  // Weights trained elsewhere are evaluated on this config's test images, from the same data source.
  const canEvaluate = !active && !data.needsConsent && data.blockedReason === null;
  const openWeights = (w: SavedWeights) => client.evaluate(data.runConfig, data.spec(), w);

  const estimate = !active && data.kind !== null && (
    <RunEstimate config={data.runConfig} limit={data.limit} device={device} firstTarget={firstRunSeconds()} onApply={setConfig} />
  );
  const runActions = (
    <RunActions
      phase={phase}
      blockedReason={blockedReason}
      onTrain={train}
      onPause={() => client.pause()}
      onResume={() => client.resume()}
      onStop={() => client.stop()}
    >
      {!folded && estimate}
    </RunActions>
  );

  return (
    <>
      <JumpLink className="skip-link" to="results">
        Skip to results
      </JumpLink>
      <header className={folded ? 'app-header compact' : 'app-header'}>
        <div className="title">
          <h1>Wide ResNet playground</h1>
          <p className="tagline">
            Train WRN-d-k on CIFAR-10 in your browser and compare thin-deep with wide-shallow nets (Zagoruyko &amp; Komodakis, 2016).
          </p>
        </div>
        <StatusBar />
      </header>
      <div className="notices">
        {children}
        <CorrectionNotice corrections={corrections} onDismiss={() => urlStore.dismissCorrections()} />
        {data.sampleCaps && !active && !folded && (
          <SampleNotice
            corrections={data.sampleCaps}
            chosen={data.sampleChosen}
            server={data.server}
            onFull={() => data.choose(data.server.state === 'none' ? 'files' : 'server')}
          />
        )}
        <ErrorNotices />
        <ResumeNotice onResume={resumeRun} busy={active} />
      </div>
      <main className={folded ? 'layout folded' : 'layout'}>
        {folded && (
          <div className={active ? 'fold-bar active' : 'fold-bar'}>
            <button
              type="button"
              className="secondary fold-toggle"
              aria-expanded={settingsOpen}
              aria-controls="settings"
              onClick={() => setSettingsOpen((o) => !o)}
            >
              {settingsOpen ? 'Hide settings' : 'Settings'}
              <span aria-hidden="true">{settingsOpen ? ' ▴' : ' ▾'}</span>
            </button>
            {runActions}
          </div>
        )}
        <aside className="controls" id="settings" aria-label="Settings" hidden={folded && !settingsOpen}>
          <section className="panel-section" aria-labelledby="model-title">
            <h2 id="model-title">Model</h2>
            <ModelControls model={config} onChange={(m: ModelConfig) => patch(m)} disabled={active} />
            <CostSummary config={config} />
            {folded ? estimate : runActions}
            {active && phase !== 'stopping' && <LiveLearningRate />}
          </section>
          <CompareControls config={config} onChange={setConfig} disabled={active} />
          <RecipeControls config={config} onChange={patch} disabled={active} />
          <DataSourceControls
            kind={data.kind}
            server={data.server}
            onKind={data.choose}
            files={data.files}
            onFiles={data.setFiles}
            dataUrl={config.data}
            onDataUrl={data.enterUrl}
            disabled={active}
          />
        </aside>
        <div className="results" id="results" tabIndex={-1}>
          <ErrorBoundary area="progress">
            <RunProgress />
          </ErrorBoundary>
          <ErrorBoundary area="results">
            <Results
              config={config}
              configText={text}
              onOpenWeights={canEvaluate ? openWeights : null}
              inspectSource={!data.needsConsent && data.blockedReason === null ? data.spec : null}
            />
          </ErrorBoundary>
          <ErrorBoundary area="run history">
            <RunHistory onResume={resumeRun} busy={active} />
          </ErrorBoundary>
        </div>
      </main>
      <ConfirmDialog
        open={data.needsConsent}
        title="Fetch data from another site?"
        confirmLabel="Fetch from this site"
        cancelLabel={data.server.state === 'none' ? 'Use the built-in sample' : 'Use the app’s server'}
        onConfirm={data.trustUrl}
        onCancel={() => data.choose(data.server.state === 'none' ? 'sample' : 'server')}
      >
        <p>This link asks the playground to download CIFAR-10 from:</p>
        <p className="url-box">
          <code>{config.data}</code>
        </p>
        <p>That site will see your IP address, and the page will train on whatever it serves. Fetch only from sites you trust.</p>
      </ConfirmDialog>
    </>
  );
}
