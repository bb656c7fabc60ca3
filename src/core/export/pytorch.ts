/**
 * "Export as PyTorch": a config as `train.py` (one readable PyTorch script that trains exactly what the page trains)
 * and `config.json`. The script is train_template.py with the config written into its marked JSON block; the
 * template reaches both the CLI and the page as a generated module (scripts/embed-train-template.mjs), so this stays
 * pure: no files, no DOM.
 */
import type { Config } from '../config';
import { encodeConfig } from '../url';
import { TRAIN_TEMPLATE } from './trainTemplate.generated';

/** What `config.json` holds, for `wrn train --out`, `wrn export` and train.py alike: the link text and the fields. */
export interface ConfigDocument {
  url: string;
  config: Config;
}

export interface PytorchExport {
  /** the file names a person gets */
  files: { name: 'train.py' | 'config.json'; text: string }[];
}

/** The marker lines around the template's config block. */
const BLOCK = /(CONFIG = json\.loads\(r"""\n)[\s\S]*?(\n"""\) {2}# end of config)/;

export function configDocument(config: Config): ConfigDocument {
  return { url: encodeConfig(config), config };
}

/** `train.py` for a config: the template with the config's JSON in its block. */
export function trainScript(config: Config, template: string = TRAIN_TEMPLATE): string {
  const json = JSON.stringify(configDocument(config), null, 2);
  // JSON escapes every quote, so it cannot close the raw string; this guards the rule, not a case seen.
  if (json.includes('"""')) throw new Error('the config cannot be written into a Python string');
  if (!BLOCK.test(template)) throw new Error('train_template.py has lost its config block markers');
  return template.replace(BLOCK, (_m, open: string, close: string) => open + json + close);
}

/** Both files of an export. */
export function exportPytorch(config: Config): PytorchExport {
  return {
    files: [
      { name: 'train.py', text: trainScript(config) },
      { name: 'config.json', text: JSON.stringify(configDocument(config), null, 2) + '\n' },
    ],
  };
}
