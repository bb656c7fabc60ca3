/** Download the config as a PyTorch script: train.py + config.json (core/export/pytorch.ts). */
import type { Config } from '../../../core/config';
import { exportPytorch } from '../../../core/export/pytorch';
import { downloadText } from '../../lib/download';
import type { OnNote } from './note';

export function PytorchExport({ config, onNote }: { config: Config; onNote: OnNote }) {
  const save = () => {
    for (const f of exportPytorch(config).files) downloadText(f.name, f.text, f.name.endsWith('.py') ? 'text/x-python' : 'application/json');
    onNote({
      kind: 'ok',
      text: 'Saved train.py and config.json: put them in one folder and run python train.py --help (README: "Training on a GPU machine").',
    });
  };
  return (
    <button type="button" className="secondary" onClick={save} title="train.py + config.json: this config in PyTorch, for one GPU or many (torchrun)">
      Export as PyTorch
    </button>
  );
}
