/**
 * `export '<config>' --out DIR [--overwrite]`: writes DIR/train.py and DIR/config.json, a PyTorch script that trains
 * the config as the page does, on one GPU, several (torchrun), or the CPU (src/core/export/train_template.py says
 * how). A folder that holds a run (of `wrn train --out` or `train.py --out`: its metrics, weights or checkpoint, or a
 * config.json with no train.py beside it) is refused unless --overwrite, which replaces that run's files; a folder
 * an earlier export wrote (train.py + config.json only) is written over. Files are written whole (temporary name,
 * then rename), under the folder's lock (cli/runDir.ts), so an export never lands in a folder a run is writing.
 * Exit codes: 0 written, 1 the folder could not be written, 2 bad usage, a folder that holds a run, or a config
 * that needed corrections.
 */
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exportPytorch } from '../../src/core/export/pytorch';
import { messageOf } from '../../src/core/errors';
import { CONFIG_FILE_HELP, configText, decodeChecked, UsageError } from '../configArg';
import { isRunEntry, openRunDir, RunDirError, type RunDir } from '../runDir';
import { isParseArgsError } from './info';
import type { Command } from './index';

export const exportCommand: Command = {
  summary: "export '<config>' --out DIR [--overwrite]   write DIR/train.py + DIR/config.json (PyTorch, one GPU or torchrun DDP)",
  // A getter: HELP is declared below this object.
  get help() {
    return HELP;
  },
  async run(argv) {
    let dir: RunDir | null = null;
    try {
      const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          out: { type: 'string' },
          lenient: { type: 'boolean', default: false },
          overwrite: { type: 'boolean', default: false },
          'config-file': { type: 'string' },
        },
      });
      if (!values.out) throw new UsageError('--out DIR is required (the folder for train.py and config.json)');
      const config = decodeChecked(configText(positionals, values['config-file']), values.lenient);
      const files = exportPytorch(config).files;
      dir = openRunDir(values.out, 'overwrite'); // the lock: no run is writing this folder meanwhile
      const run = runEntries(dir.dir);
      if (run.length && !values.overwrite) {
        throw new UsageError(
          `${values.out} holds a run (${run.slice(0, 4).join(', ')}${run.length > 4 ? ', ...' : ''}); pass --overwrite to replace it, or choose another folder`,
        );
      }
      try {
        for (const name of run) rmSync(path.join(dir.dir, name), { recursive: true, force: true });
        for (const f of files) {
          const staged = path.join(dir.dir, `.${f.name}.tmp-${process.pid}`);
          writeFileSync(staged, f.text);
          renameSync(staged, path.join(dir.dir, f.name));
        }
      } catch (err) {
        process.stderr.write(`error: cannot write ${values.out}: ${messageOf(err)}\n`);
        return 1;
      }
      const out = dir.dir;
      process.stdout.write(JSON.stringify({ trainPy: path.join(out, 'train.py'), config: path.join(out, 'config.json') }) + '\n');
      process.stderr.write(`wrote ${values.out}/train.py and config.json; run: python ${path.join(values.out, 'train.py')} --help\n`);
      dir.keep();
      return 0;
    } catch (err) {
      if (!(err instanceof UsageError) && !(err instanceof RunDirError) && !isParseArgsError(err)) throw err;
      process.stderr.write(`error: ${messageOf(err)}\n`);
      return 2;
    } finally {
      dir?.release();
    }
  },
};

/**
 * The entries of a run in `dir` (what `wrn train --out` or `train.py --out` wrote): its metrics, weights, checkpoints
 * and summaries, and its config.json unless train.py is beside it (then it is an export's).
 */
function runEntries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir).filter((n) => isRunEntry(n) && !n.startsWith('.'));
  const trained = names.filter((n) => n !== 'config.json');
  if (trained.length === 0 && existsSync(path.join(dir, 'train.py'))) return [];
  return names;
}

const HELP = `usage: npm run -s wrn -- export '<config>' --out DIR [--overwrite] [--lenient]

Writes DIR/train.py (one PyTorch file: the same WRN, recipe, augmentation and subsets as the page) and
DIR/config.json. Then: python DIR/train.py --help; on GPUs: torchrun --nproc_per_node=N DIR/train.py --out run.
  --out DIR    the folder to write (made if missing); a folder that holds a run (its metrics.jsonl, weights or
               checkpoint) is refused, one an earlier export wrote is written over
  --overwrite  replace the run in DIR (its metrics, weights and checkpoint go; other files stay)
  --lenient    accept a config that needed corrections (they are listed on stderr)
${CONFIG_FILE_HELP}
example:
  npm run -s wrn -- export '#depth=28&width=10&epochs=200&train=50000&test=10000' --out wrn-28-10
`;
