/** Open weights trained elsewhere (model.json + weights.bin) to see their evaluation on this config's test images. */
import { useId } from 'react';
import type { SavedWeights } from '../../../core/weights';
import { readWeightsFiles } from '../../lib/weightsFiles';
import type { OnNote } from './note';

/** @param onOpen evaluates the weights; null while that cannot start (a run holds the worker) */
export function WeightsOpen({ onOpen, onNote }: { onOpen: ((weights: SavedWeights) => void) | null; onNote: OnNote }) {
  const id = useId();

  const open = async (files: File[]) => {
    try {
      const weights = await readWeightsFiles(files);
      onOpen?.(weights);
      onNote({ kind: 'ok', text: `Evaluating ${weights.name} from ${files.map((f) => f.name).join(' + ')} on the test images.` });
    } catch (e) {
      onNote({ kind: 'error', text: `Could not open the weights: ${(e as Error).message}` });
    }
  };

  return (
    <div className="import-row">
      <label htmlFor={`${id}-weights`}>Open weights (model.json + weights.bin)</label>
      <input
        id={`${id}-weights`}
        type="file"
        multiple
        accept=".json,.bin,application/json,application/octet-stream"
        disabled={!onOpen}
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = '';
          if (files.length) void open(files);
        }}
      />
    </div>
  );
}
