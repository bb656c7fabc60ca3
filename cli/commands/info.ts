import { parseArgs } from 'node:util';
import { wrnCost } from '../../src/core/cost';
import { modelsOf, netName } from '../../src/core/config';
import { decodeConfig, describeCorrection } from '../../src/core/url';
import type { Command } from './index';

/**
 * `info '<config string>' [--lenient]`: what the configured net costs, as one JSON object (an array of them with
 * compare=). Like `train`, a config that needed corrections is an error (exit 2) unless --lenient accepts them.
 */
export const info: Command = {
  summary: "info '<config>' [--lenient]   parameters and forward MACs per image of the configured WRN (JSON)",
  help: `usage: npm run -s wrn -- info '<config>' [--lenient]

Prints the configured net's parameters and forward multiply-accumulates per image as one JSON object (an array
under "compare" when the config has compare=). The config is the page's URL hash. A config that needed
corrections is an error (exit 2, the corrections on stderr) unless --lenient accepts them.

examples:
  npm run -s wrn -- info '#depth=28&width=10'
  npm run -s wrn -- info 'depth=40&width=4&compare=16-8'
`,
  async run(argv) {
    let args: string[];
    let lenient: boolean;
    try {
      const parsed = parseArgs({ args: argv, allowPositionals: true, options: { lenient: { type: 'boolean', default: false } } });
      args = parsed.positionals;
      lenient = parsed.values.lenient;
    } catch (err) {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
    const { config, corrections } = decodeConfig(args.join('&'));
    for (const c of corrections) process.stderr.write(`${lenient ? 'warning' : 'error'}: ${describeCorrection(c)}\n`);
    if (corrections.length && !lenient) {
      process.stderr.write('error: the config has errors (listed above); fix them, or pass --lenient to accept the corrections\n');
      return 2;
    }
    const rows = modelsOf(config).map((m) => {
      const cost = wrnCost(m);
      return { name: netName(m), depth: m.depth, width: m.width, dropout: m.dropout, params: cost.params, macs: cost.macs };
    });
    const [main, ...rest] = rows;
    process.stdout.write(JSON.stringify(rest.length ? { ...main, compare: rest } : main) + '\n');
    return 0;
  },
};
