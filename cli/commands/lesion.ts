/**
 * `lesion RUN_DIR [--data PATH] [--images N] [--draws N] [--seed N] [--backend B]`: the lesion study (Veit et al.
 * 2016) of every model a run folder holds (`wrn train --out`, train.py --out): the test accuracy with each block's
 * residual branch removed, one at a time, and with k random blocks removed for k = 1..5. One JSON object per model
 * on stdout; progress on stderr. Exit codes: 0 done, 1 bad data or weights, 2 bad usage.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BACKENDS, LIMITS, modelName, runJobs, type BackendPreference, type Config } from '../../src/core/config';
import { loadCifar } from '../../src/core/data/load';
import { messageOf } from '../../src/core/errors';
import { DEFAULT_LESION_DRAWS, lesionStudy } from '../../src/core/insight/lesion';
import { decodeConfig } from '../../src/core/url';
import { loadWeights, WEIGHTS_FILE } from '../../src/core/weights';
import { setUpBackend } from '../../src/node/backend';
import { loadLocal, localDataSource } from '../../src/node/localData';
import type { Command } from './index';

export const LESION_HELP = `usage: npm run -s wrn -- lesion RUN_DIR [flags]

The lesion study of each model in RUN_DIR (a folder written by \`wrn train --out\` or train.py --out): its test
accuracy intact, with each residual block's branch removed alone (the block passes only its shortcut), and with
k = 1..5 random blocks removed together (the mean over a few seeded draws; all sets of k when there are fewer).
Prints one JSON object per model:
  {"model":"WRN-10-1","seed":0,"testImages":1000,"intact":{"testAccuracy":0.35},
   "blocks":[{"block":"g1b1","testAccuracy":0.21},...],"random":[{"k":1,"testAccuracy":0.27,"draws":3},...]}

flags:
  --data PATH      CIFAR-10 test data (default: the run's data= URL, else $CIFAR10_DIR, else the built-in sample)
  --images N       test images to evaluate on (default: the run's test=)
  --draws N        random sets of k blocks per k (default ${DEFAULT_LESION_DRAWS})
  --seed N         seeds the random sets (default 0)
  --backend B      ${BACKENDS.join(', ')} (default: the run's backend)
  --help           this text

Exit codes: 0 done, 1 bad data or weights, 2 bad usage.

example:
  npm run -s wrn -- train 'depth=22&width=1&epochs=3&compare=10-2' --out runs/a
  npm run -s wrn -- lesion runs/a
`;

export const lesion: Command = {
  summary: 'lesion RUN_DIR [--data DIR] [--images N]   test accuracy with residual blocks removed, per model (JSON)',
  help: LESION_HELP,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          data: { type: 'string' },
          images: { type: 'string' },
          draws: { type: 'string' },
          seed: { type: 'string' },
          backend: { type: 'string' },
        },
      });
    } catch (err) {
      return usageError(messageOf(err));
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) return usageError('give one RUN_DIR (a folder written by wrn train --out or train.py --out)');
    const dir = path.resolve(positionals[0]!);
    const whole = (text: string | undefined, name: string, min: number, max: number, fallback: number): number | string => {
      if (text === undefined) return fallback;
      const n = Number(text);
      return Number.isInteger(n) && n >= min && n <= max ? n : `--${name} must be a whole number in ${min}..${max}`;
    };

    let config: Config;
    try {
      const saved = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { url?: unknown };
      if (typeof saved.url !== 'string') throw new Error('config.json has no "url"');
      config = decodeConfig(saved.url).config;
    } catch (err) {
      return usageError(`${positionals[0]} is not a run folder: ${messageOf(err)}`);
    }
    const images = whole(values.images, 'images', 1, LIMITS.test.max, config.test);
    const draws = whole(values.draws, 'draws', 1, 100, DEFAULT_LESION_DRAWS);
    const seed = whole(values.seed, 'seed', 0, LIMITS.seed.max, 0);
    for (const v of [images, draws, seed]) if (typeof v === 'string') return usageError(v);
    if (values.backend !== undefined && !(BACKENDS as readonly string[]).includes(values.backend))
      return usageError(`--backend must be one of ${BACKENDS.join(', ')}`);
    const models = modelFolders(dir, config);
    if (models.length === 0) return usageError(`${positionals[0]} holds no trained model (model/model.json or <i>-WRN-d-k/model.json)`);

    const choice = await setUpBackend((values.backend as BackendPreference | undefined) ?? config.backend);
    process.stderr.write(`backend: ${choice.backend}: ${choice.reason}\n`);
    const local = values.data !== undefined || !config.data ? localDataSource(values.data, config.source) : null;
    if (local?.note) process.stderr.write(`data: ${local.note}\n`);
    const subsets = { train: 1, test: images as number, subset: config.subset };
    const load = local === null ? loadCifar({ kind: 'url', url: config.data }, subsets) : loadLocal(local, subsets);
    try {
      await load.done;
    } catch (err) {
      process.stderr.write(`error: bad data in ${local?.label ?? config.data}: ${messageOf(err)}\n`);
      return 1;
    }
    const progress = process.stderr.isTTY;
    for (const m of models) {
      let model;
      try {
        model = await loadWeights({
          name: m.name,
          modelJson: readFileSync(path.join(m.folder, 'model.json'), 'utf8'),
          weights: new Uint8Array(readFileSync(path.join(m.folder, WEIGHTS_FILE))).buffer,
        });
      } catch (err) {
        process.stderr.write(`error: ${path.basename(m.folder)}: ${messageOf(err)}\n`);
        return 1;
      }
      try {
        const result = await lesionStudy(model, load.test, {
          images: images as number,
          draws: draws as number,
          seed: seed as number,
          name: m.name,
          onProgress: (done, total) => {
            if (progress) process.stderr.write(`\rlesion ${m.name}: ${done}/${total} evaluations `);
          },
        });
        if (progress) process.stderr.write('\n');
        const { model: name, ...rest } = result;
        process.stdout.write(JSON.stringify({ model: name, seed: m.seed, ...rest }) + '\n');
      } catch (err) {
        process.stderr.write(`error: ${m.name}: ${messageOf(err)}\n`);
        return 1;
      } finally {
        model.dispose();
      }
    }
    return 0;
  },
};

/**
 * The models of a run folder, in run order: `model/` for a run of one model, else `<index>-WRN-d-k[-seedS]/`, named
 * and seeded from the run's config.
 */
function modelFolders(dir: string, config: Config): { folder: string; name: string; seed: number }[] {
  const jobs = runJobs(config);
  const named = (index: number, folder: string) => {
    const job = jobs[index];
    return { folder, name: job ? modelName(job.model) : path.basename(folder), seed: job?.seed ?? config.seed };
  };
  if (existsSync(path.join(dir, 'model', 'model.json'))) return [named(0, path.join(dir, 'model'))];
  return readdirSync(dir)
    .flatMap((entry) => {
      const m = /^(\d+)-WRN-/.exec(entry);
      return m && existsSync(path.join(dir, entry, 'model.json')) ? [{ index: Number(m[1]), entry }] : [];
    })
    .sort((a, b) => a.index - b.index)
    .map(({ index, entry }) => named(index, path.join(dir, entry)));
}

function usageError(message: string): number {
  process.stderr.write(`error: ${message}\n`);
  return 2;
}
