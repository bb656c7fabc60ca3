import { parseArgs } from 'node:util';
import { estimateTrainingBytes, wrnCost } from '../../src/core/cost';
import { modelsOf, netName } from '../../src/core/config';
import { messageOf } from '../../src/core/errors';
import { CONFIG_FILE_HELP, configText, decodeChecked, UsageError } from '../configArg';
import type { Command } from './index';

/**
 * `info '<config string>' [--lenient] [--config-file FILE]`: what the configured net costs, as one JSON object (an
 * array of them with compare=): parameters, forward MACs per image, and the memory training it needs at the config's
 * batch (`trainingBytes`, the estimate `train` holds against its backend). Like `train`, a config that needed
 * corrections is an error (exit 2) unless --lenient accepts them.
 */
export const info: Command = {
  summary: "info '<config>' [--lenient]   parameters, forward MACs per image and training memory of the configured WRN (JSON)",
  help: `usage: npm run -s wrn -- info '<config>' [--lenient] [--config-file FILE]

Prints the configured net's parameters, forward multiply-accumulates per image and the memory training it needs at
the config's batch (trainingBytes: weights, gradients, momentum and a batch of activations, a rough estimate;
\`train\` refuses a net whose estimate exceeds what its backend holds, e.g. WASM's 4 GiB) as one JSON object (an
array under "compare" when the config has compare=). The config is the page's URL hash. A config that needed
corrections is an error (exit 2, the corrections on stderr) unless --lenient accepts them.
${CONFIG_FILE_HELP}
examples:
  npm run -s wrn -- info '#depth=28&width=10'
  npm run -s wrn -- info 'depth=40&width=4&compare=16-8'
  npm run -s wrn -- info --config-file long-config.txt
`,
  async run(argv) {
    try {
      const parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { lenient: { type: 'boolean', default: false }, 'config-file': { type: 'string' } },
      });
      const config = decodeChecked(configText(parsed.positionals, parsed.values['config-file']), parsed.values.lenient);
      const rows = modelsOf(config).map((m) => {
        const cost = wrnCost(m);
        return {
          name: netName(m),
          depth: m.depth,
          width: m.width,
          dropout: m.dropout,
          params: cost.params,
          macs: cost.macs,
          batch: config.batch,
          trainingBytes: estimateTrainingBytes(m, config.batch),
        };
      });
      const [main, ...rest] = rows;
      process.stdout.write(JSON.stringify(rest.length ? { ...main, compare: rest } : main) + '\n');
      return 0;
    } catch (err) {
      if (!(err instanceof UsageError) && !isParseArgsError(err)) throw err;
      process.stderr.write(`error: ${messageOf(err)}\n`);
      return 2;
    }
  },
};

/** parseArgs' errors (an unknown flag, a missing value): bad usage, like ours. */
export function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
