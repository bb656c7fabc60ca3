/**
 * Export all runs' metrics (CSV, JSON), a trained model's weights (tfjs model.json + weights.bin), and import an
 * exported CSV or JSON to draw its curves again.
 */
import { useId, useState } from 'react';
import { downloadBlob, downloadText } from '../lib/download';
import { decodeMetricsFile, encodeMetricsCsv, encodeMetricsJson } from '../lib/metricsFile';
import type { RunRecord } from '../lib/runRecord';
import { useTrainingClient } from '../hooks/useTraining';

interface Props {
  /** runs of the current training run */
  live: readonly RunRecord[];
  imported: readonly RunRecord[];
  /** the URL text of the current config, saved in the JSON export */
  configText: string;
  onImport: (runs: RunRecord[]) => void;
  onClearImported: () => void;
}

type Note = { kind: 'ok' | 'error'; text: string } | null;

export function ExportImport({ live, imported, configText, onImport, onClearImported }: Props) {
  const id = useId();
  const client = useTrainingClient();
  const [note, setNote] = useState<Note>(null);
  const [importCount, setImportCount] = useState(0);
  const [busy, setBusy] = useState(false);
  const exportable = live.filter((r) => r.summary !== null);
  const [weightsModel, setWeightsModel] = useState<string>('');
  const chosen = exportable.find((r) => r.id === weightsModel) ?? exportable[0];
  const all = [...live, ...imported];
  const stamp = () => new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');

  const exportWeights = async (run: RunRecord) => {
    const index = live.indexOf(run);
    setBusy(true);
    try {
      const w = await client.exportWeights(index);
      const base = w.name.replace(/[^\w.-]+/g, '_');
      downloadText(`${base}-model.json`, w.modelJson, 'application/json');
      // The manifest in model.json names "weights.bin"; keep that name so tf.loadLayersModel finds it.
      downloadBlob('weights.bin', new Blob([w.weights], { type: 'application/octet-stream' }));
      setNote({ kind: 'ok', text: `Saved ${base}-model.json and weights.bin (rename the first to model.json to load it with tf.loadLayersModel).` });
    } catch (e) {
      setNote({ kind: 'error', text: `Could not export the weights: ${(e as Error).message}` });
    } finally {
      setBusy(false);
    }
  };

  const importFile = async (file: File) => {
    try {
      const runs = decodeMetricsFile(await file.text(), `imported-${importCount + 1}`);
      setImportCount((n) => n + 1);
      onImport(runs);
      const points = runs.reduce((n, r) => n + r.steps.length + r.evals.length, 0);
      setNote({ kind: 'ok', text: `Imported ${runs.length} run${runs.length === 1 ? '' : 's'} (${points} points) from ${file.name}.` });
    } catch (e) {
      setNote({ kind: 'error', text: `Could not import ${file.name}: ${(e as Error).message}` });
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Export and import</h2>
      <div className="button-row">
        <button type="button" className="secondary" disabled={all.length === 0}
          onClick={() => downloadText(`wrn-metrics-${stamp()}.csv`, encodeMetricsCsv(all), 'text/csv')}>
          Download CSV
        </button>
        <button type="button" className="secondary" disabled={all.length === 0}
          onClick={() => downloadText(`wrn-metrics-${stamp()}.json`, encodeMetricsJson(all, configText, new Date()), 'application/json')}>
          Download JSON
        </button>
        {exportable.length > 1 && (
          <>
            <label htmlFor={`${id}-model`} className="visually-hidden">Model to export</label>
            <select id={`${id}-model`} value={chosen?.id ?? ''} onChange={(e) => setWeightsModel(e.target.value)}>
              {exportable.map((r) => (
                <option key={r.id} value={r.id}>{r.name}</option>
              ))}
            </select>
          </>
        )}
        <button type="button" className="secondary" disabled={!chosen || busy} onClick={() => chosen && void exportWeights(chosen)}
          title={chosen ? undefined : 'available once a model has finished or been stopped'}>
          Download weights{chosen && exportable.length === 1 ? ` (${chosen.name})` : ''}
        </button>
      </div>
      <div className="import-row">
        <label htmlFor={`${id}-import`}>Import metrics</label>
        <input id={`${id}-import`} type="file" accept=".csv,.json,text/csv,application/json"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = ''; // the same file can be imported again
            if (file) void importFile(file);
          }} />
        {imported.length > 0 && (
          <button type="button" className="secondary small" onClick={onClearImported}>
            Remove imported runs
          </button>
        )}
      </div>
      <p role="status" className={note?.kind === 'error' ? 'field-error' : 'sub'} data-testid="export-import-note">
        {note?.text}
      </p>
    </section>
  );
}
