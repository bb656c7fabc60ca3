/** Download an ended model of the current run as tfjs's two files (model.json + weights.bin), from the worker. */
import { useId, useState } from 'react';
import { useTrainingClient } from '../../hooks/useTraining';
import { downloadBlob, downloadText } from '../../lib/download';
import type { RunRecord } from '../../lib/runRecord';
import type { OnNote } from './note';

/** @param live the current run's models, by index (only ended ones have weights) */
export function WeightsDownload({ live, onNote }: { live: readonly RunRecord[]; onNote: OnNote }) {
  const id = useId();
  const client = useTrainingClient();
  const [busy, setBusy] = useState(false);
  const [picked, setPicked] = useState('');
  const exportable = live.filter((r) => r.summary !== null);
  const chosen = exportable.find((r) => r.id === picked) ?? exportable[0];

  const download = async (run: RunRecord) => {
    setBusy(true);
    try {
      const w = await client.exportWeights(live.indexOf(run));
      const base = w.name.replace(/[^\w.-]+/g, '_');
      downloadText(`${base}-model.json`, w.modelJson, 'application/json');
      // The manifest in model.json names "weights.bin"; keep that name so tf.loadLayersModel finds it.
      downloadBlob('weights.bin', new Blob([w.weights], { type: 'application/octet-stream' }));
      onNote({ kind: 'ok', text: `Saved ${base}-model.json and weights.bin (rename the first to model.json to load it with tf.loadLayersModel).` });
    } catch (e) {
      onNote({ kind: 'error', text: `Could not export the weights: ${(e as Error).message}` });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {exportable.length > 1 && (
        <>
          <label htmlFor={`${id}-model`} className="visually-hidden">
            Model to export
          </label>
          <select id={`${id}-model`} value={chosen?.id ?? ''} onChange={(e) => setPicked(e.target.value)}>
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
        onClick={() => chosen && void download(chosen)}
        title={chosen ? undefined : 'available once a model has finished or been stopped'}
      >
        Download weights{chosen && exportable.length === 1 ? ` (${chosen.name})` : ''}
      </button>
    </>
  );
}
