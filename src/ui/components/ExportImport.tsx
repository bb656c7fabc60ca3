/**
 * The Export and import card: the run's files out (metrics, weights, the config as PyTorch) and in (metrics drawn
 * again, weights trained elsewhere evaluated), each a component of ./files, and one status line for what the last
 * of them did.
 */
import { useId, useState } from 'react';
import type { Config } from '../../core/config';
import type { SavedWeights } from '../../core/weights';
import type { RunRecord } from '../lib/runRecord';
import { MetricsDownload } from './files/MetricsDownload';
import { MetricsImport } from './files/MetricsImport';
import type { Note } from './files/note';
import { PytorchExport } from './files/PytorchExport';
import { WeightsDownload } from './files/WeightsDownload';
import { WeightsOpen } from './files/WeightsOpen';

interface Props {
  /** runs of the current training run */
  live: readonly RunRecord[];
  imported: readonly RunRecord[];
  /** the URL text of the current config, saved in the JSON export */
  configText: string;
  onImport: (runs: RunRecord[]) => void;
  onClearImported: () => void;
  /** the config, for "Export as PyTorch" */
  config: Config;
  /** evaluates opened weights on the test set; absent or null while that cannot start (a run holds the worker) */
  onOpenWeights?: ((weights: SavedWeights) => void) | null;
}

export function ExportImport({ live, imported, configText, onImport, onClearImported, config, onOpenWeights }: Props) {
  const id = useId();
  const [note, setNote] = useState<Note | null>(null);
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Export and import</h2>
      <div className="button-row">
        <MetricsDownload runs={[...live, ...imported]} configText={configText} />
        <WeightsDownload live={live} onNote={setNote} />
        <PytorchExport config={config} onNote={setNote} />
      </div>
      <WeightsOpen onOpen={onOpenWeights ?? null} onNote={setNote} />
      <MetricsImport imported={imported} onImport={onImport} onClearImported={onClearImported} onNote={setNote} />
      <p role="status" className={note?.kind === 'error' ? 'field-error' : 'sub'} data-testid="export-import-note">
        {note?.text}
      </p>
    </section>
  );
}
