/**
 * Everything that follows the metrics: curves, the run table, evaluation views and export/import. Holds the
 * imported runs (they live only in this page) next to the live ones.
 */
import { useCallback, useMemo, useState } from 'react';
import { describeBudget, modelName, modelsOf, type Config } from '../../core/config';
import { wrnCost } from '../../core/cost';
import { useHistoryView } from '../hooks/useHistory';
import { useTrainingSelector } from '../hooks/useTraining';
import type { RunRecord } from '../lib/runRecord';
import type { SavedWeights } from '../../core/weights';
import type { CloneableSource } from '../../core/data/sources';
import { Charts } from './Charts';
import { ComparisonTable } from './ComparisonTable';
import { CostScatter } from './CostScatter';
import { ErrorBoundary } from './ErrorBoundary';
import { EvaluationViews } from './EvaluationViews';
import { ExportImport } from './ExportImport';
import { InsideNets } from './InsideNets';
import { RunTable } from './RunTable';

export function Results({
  config,
  configText,
  onOpenWeights,
  inspectSource = null,
}: {
  config: Config;
  configText: string;
  onOpenWeights?: ((w: SavedWeights) => void) | null;
  /** the data source lesions test on (the page's now), null while it cannot be used */
  inspectSource?: (() => CloneableSource) | null;
}) {
  const live = useTrainingSelector((v) => v.runs);
  const current = useTrainingSelector((v) => v.currentModel);
  const samples = useTrainingSelector((v) => v.samples);
  const runConfig = useTrainingSelector((v) => v.runConfig);
  const budget = runConfig && live.length ? describeBudget(runConfig) : null;
  const [imported, setImported] = useState<readonly RunRecord[]>([]);
  // Runs opened from the browser's run history (RunHistory.tsx) are drawn next to the live ones.
  const saved = useHistoryView((v) => v.shown);
  const savedSamples = useHistoryView((v) => v.shownSamples);
  // A crashed worker or a lost device interrupts the run: its unfinished models say so in the table.
  const phase = useTrainingSelector((v) => v.phase);
  const liveShown = useMemo(
    () => (phase === 'interrupted' ? live.map((r) => (r.summary ? r : { ...r, savedStatus: 'interrupted' })) : live),
    [live, phase],
  );
  const runs = useMemo(() => [...liveShown, ...saved, ...imported], [liveShown, saved, imported]);
  // Before the first run the table lists the configured nets, so their sizes can be compared before training.
  const planned = useMemo(() => plannedRuns(config), [config]);
  const onImport = useCallback((more: RunRecord[]) => setImported((old) => [...old, ...more]), []);
  const onClearImported = useCallback(() => setImported([]), []);
  // The test image picked in the evaluation grid, for the feature maps.
  const [picked, setPicked] = useState<number | null>(null);
  const shownSamples = samples ?? savedSamples;

  return (
    <>
      <ErrorBoundary area="charts">
        <Charts runs={runs} />
      </ErrorBoundary>
      <RunTable runs={runs.length ? runs : planned} currentId={current === null ? null : `live-${current}`} />
      <ErrorBoundary area="comparison">
        <CostScatter runs={runs} budget={budget} />
        <ComparisonTable runs={runs} budget={budget} />
      </ErrorBoundary>
      <ErrorBoundary area="evaluation">
        <EvaluationViews runs={runs} samples={shownSamples} picked={picked} onPick={setPicked} />
      </ErrorBoundary>
      <ErrorBoundary area="inside the nets">
        <InsideNets runs={runs} samples={shownSamples} picked={picked} source={inspectSource} />
      </ErrorBoundary>
      <ExportImport
        live={live}
        imported={imported}
        configText={configText}
        onImport={onImport}
        onClearImported={onClearImported}
        config={config}
        onOpenWeights={onOpenWeights ?? null}
      />
    </>
  );
}

function plannedRuns(config: Config): RunRecord[] {
  return modelsOf(config).map((m, i) => {
    const cost = wrnCost(m);
    return {
      id: `planned-${i}`,
      name: modelName(m),
      params: cost.params,
      macs: cost.macs,
      steps: [],
      evals: [],
      imported: false,
      totalSteps: null,
      summary: null,
      net: i,
    };
  });
}
