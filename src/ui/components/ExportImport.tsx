/**
 * Export all runs' metrics (CSV, JSON), a trained model's weights (tfjs model.json + weights.bin), the config as a
 * PyTorch script (train.py + config.json), import an exported CSV, JSON or metrics.jsonl to draw its curves again,
 * and open weights trained elsewhere to see their evaluation.
 */
import { useId, useState } from 'react';
import type { Config } from '../../core/config';
import { exportPytorch } from '../../core/export/pytorch';
import type { ForeignWeights } from '../../worker/protocol';
import { downloadBlob, downloadText } from '../lib/download';
import { decodeMetricsFile, encodeMetricsCsv, encodeMetricsJson } from '../../core/metricsFile';
import { importedRuns, type RunRecord } from '../lib/runRecord';
import { readWeightsFiles } from '../lib/weightsFiles';
import { useTrainingClient } from '../hooks/useTraining';

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
  onOpenWeights?: ((weights: ForeignWeights) => void) | null;
}

type Note = { kind: 'ok' | 'error'; text: string } | null;

export function ExportImport({ live, imported, configText, onImport, onClearImported, config, onOpenWeights }: Props) {
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
      const runs = importedRuns(decodeMetricsFile(await file.text()), `imported-${importCount + 1}`);
      setImportCount((n) => n + 1);
      onImport(runs);
      const points = runs.reduce((n, r) => n + r.steps.length + r.evals.length, 0);
      setNote({ kind: 'ok', text: `Imported ${runs.length} run${runs.length === 1 ? '' : 's'} (${points} points) from ${file.name}.` });
    } catch (e) {
      setNote({ kind: 'error', text: `Could not import ${file.name}: ${(e as Error).message}` });
    }
  };

  const exportPytorchFiles = () => {
    const files = exportPytorch(config).files;
    for (const f of files) downloadText(f.name, f.text, f.name.endsWith('.py') ? 'text/x-python' : 'application/json');
    setNote({
      kind: 'ok',
      text: 'Saved train.py and config.json: put them in one folder and run python train.py --help (README: "Training on a GPU machine").',
    });
  };

  const openWeights = async (files: File[]) => {
    try {
      const weights = await readWeightsFiles(files);
      onOpenWeights?.(weights);
      setNote({ kind: 'ok', text: `Evaluating ${weights.name} from ${files.map((f) => f.name).join(' + ')} on the test images.` });
    } catch (e) {
      setNote({ kind: 'error', text: `Could not open the weights: ${(e as Error).message}` });
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Export and import</h2>
      <div className="button-row">
        <button
          type="button"
          className="secondary"
          disabled={all.length === 0}
          onClick={() => downloadText(`wrn-metrics-${stamp()}.csv`, encodeMetricsCsv(all), 'text/csv')}
        >
          Download CSV
        </button>
        <button
          type="button"
          className="secondary"
          disabled={all.length === 0}
          onClick={() => downloadText(`wrn-metrics-${stamp()}.json`, encodeMetricsJson(all, configText, new Date()), 'application/json')}
        >
          Download JSON
        </button>
        {exportable.length > 1 && (
          <>
            <label htmlFor={`${id}-model`} className="visually-hidden">
              Model to export
            </label>
            <select id={`${id}-model`} value={chosen?.id ?? ''} onChange={(e) => setWeightsModel(e.target.value)}>
              {exportable.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          </>
        )}
        <button
          type="button"
          className="secondary"
          disabled={!chosen || busy}
          onClick={() => chosen && void exportWeights(chosen)}
          title={chosen ? undefined : 'available once a model has finished or been stopped'}
        >
          Download weights{chosen && exportable.length === 1 ? ` (${chosen.name})` : ''}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={exportPytorchFiles}
          title="train.py + config.json: this config in PyTorch, for one GPU or many (torchrun)"
        >
          Export as PyTorch
        </button>
      </div>
      <div className="import-row">
        <label htmlFor={`${id}-weights`}>Open weights (model.json + weights.bin)</label>
        <input
          id={`${id}-weights`}
          type="file"
          multiple
          accept=".json,.bin,application/json,application/octet-stream"
          disabled={!onOpenWeights}
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            if (files.length) void openWeights(files);
          }}
        />
      </div>
      <div className="import-row">
        <label htmlFor={`${id}-import`}>Import metrics</label>
        <input
          id={`${id}-import`}
          type="file"
          accept=".csv,.json,.jsonl,text/csv,application/json"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = ''; // the same file can be imported again
            if (file) void importFile(file);
          }}
        />
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
