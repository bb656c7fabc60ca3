/** Import a metrics file (the CSV or JSON export, or a metrics.jsonl of `wrn train` or train.py) to draw its curves. */
import { useId, useState } from 'react';
import { decodeMetricsFile } from '../../../core/metricsFile';
import { importedRuns, type RunRecord } from '../../lib/runRecord';
import type { OnNote } from './note';

interface Props {
  /** runs imported so far (for "Remove imported runs") */
  imported: readonly RunRecord[];
  onImport: (runs: RunRecord[]) => void;
  onClearImported: () => void;
  onNote: OnNote;
}

export function MetricsImport({ imported, onImport, onClearImported, onNote }: Props) {
  const id = useId();
  const [count, setCount] = useState(0);

  const importFile = async (file: File) => {
    try {
      const runs = importedRuns(decodeMetricsFile(await file.text()), `imported-${count + 1}`);
      setCount((n) => n + 1);
      onImport(runs);
      const points = runs.reduce((n, r) => n + r.steps.length + r.evals.length, 0);
      onNote({ kind: 'ok', text: `Imported ${runs.length} run${runs.length === 1 ? '' : 's'} (${points} points) from ${file.name}.` });
    } catch (e) {
      onNote({ kind: 'error', text: `Could not import ${file.name}: ${(e as Error).message}` });
    }
  };

  return (
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
  );
}
