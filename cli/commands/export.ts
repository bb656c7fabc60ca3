/**
 * `export '<config>' --out DIR`: writes DIR/train.py and DIR/config.json, a PyTorch script that trains the config
 * as the page does, on one GPU, several (torchrun), or the CPU (src/core/export/train_template.py says how).
 * Exit codes: 0 written, 1 the folder could not be written, 2 bad usage or a config that needed corrections.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exportPytorch } from '../../src/core/export/pytorch';
import { decodeConfig, describeCorrection } from '../../src/core/url';
import type { Command } from './index';

export const exportCommand: Command = {
  summary: "export '<config>' --out DIR   write DIR/train.py + DIR/config.json (PyTorch, one GPU or torchrun DDP)",
  // A getter: HELP is declared below this object.
  get help() {
    return HELP;
  },
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { out: { type: 'string' }, lenient: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
      });
    } catch (err) {
      return usageError(err instanceof Error ? err.message : String(err));
    }
    const { values, positionals } = parsed;
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (!values.out) return usageError('--out DIR is required (the folder for train.py and config.json)');
    const { config, corrections } = decodeConfig(positionals.join('&'));
    for (const c of corrections) process.stderr.write(`${values.lenient ? 'warning' : 'error'}: ${describeCorrection(c)}\n`);
    if (corrections.length && !values.lenient) {
      return usageError('the config has errors (listed above); fix them, or pass --lenient to accept the corrections');
    }
    const out = path.resolve(values.out);
    try {
      mkdirSync(out, { recursive: true });
      for (const f of exportPytorch(config).files) writeFileSync(path.join(out, f.name), f.text);
    } catch (err) {
      process.stderr.write(`error: cannot write ${out}: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
    process.stdout.write(JSON.stringify({ trainPy: path.join(out, 'train.py'), config: path.join(out, 'config.json') }) + '\n');
    process.stderr.write(`wrote ${out}/train.py and config.json; run: python ${path.join(values.out, 'train.py')} --help\n`);
    return 0;
  },
};

const HELP = `usage: npm run -s wrn -- export '<config>' --out DIR [--lenient]

Writes DIR/train.py (one PyTorch file: the same WRN, recipe, augmentation and subsets as the page) and
DIR/config.json. Then: python DIR/train.py --help; on GPUs: torchrun --nproc_per_node=N DIR/train.py --out run.
  --out DIR    the folder to write (made if missing)
  --lenient    accept a config that needed corrections (they are listed on stderr)

example:
  npm run -s wrn -- export '#depth=28&width=10&epochs=200&train=50000&test=10000' --out wrn-28-10
`;

function usageError(message: string): number {
  process.stderr.write(`error: ${message}\n`);
  return 2;
}
