import { wrnCost } from '../../src/core/cost';
import { modelsOf } from '../../src/core/config';
import { decodeConfig, describeCorrection } from '../../src/core/url';
import type { Command } from './index';

/** `info '<config string>'`: what the configured net costs, as one JSON object (an array of them with compare=). */
export const info: Command = {
  summary: "info '<config>'   parameters and forward MACs per image of the configured WRN (JSON)",
  help: `usage: npm run -s wrn -- info '<config>'

Prints the configured net's parameters and forward multiply-accumulates per image as one JSON object (an array
under "compare" when the config has compare=). The config is the page's URL hash; corrections go to stderr.

example:
  npm run -s wrn -- info '#depth=28&width=10'
  npm run -s wrn -- info 'depth=40&width=4&compare=16-8'
`,
  async run(args) {
    const { config, corrections } = decodeConfig(args.join('&'));
    for (const c of corrections) process.stderr.write(`warning: ${describeCorrection(c)}\n`);
    const rows = modelsOf(config).map((m) => {
      const cost = wrnCost(m);
      return { name: `WRN-${m.depth}-${m.width}`, depth: m.depth, width: m.width, dropout: m.dropout, params: cost.params, macs: cost.macs };
    });
    const [main, ...rest] = rows;
    process.stdout.write(JSON.stringify(rest.length ? { ...main, compare: rest } : main) + '\n');
    return 0;
  },
};
