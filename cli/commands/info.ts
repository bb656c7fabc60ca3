import { wrnCost } from '../../src/core/cost';
import { modelsOf, netName } from '../../src/core/config';
import { decodeConfig, describeCorrection } from '../../src/core/url';
import type { Command } from './index';

/** `info '<config string>'`: what the configured net costs, as one JSON object (an array of them with compare=). */
export const info: Command = {
  summary: "info '<config>'   parameters and forward MACs per image of the configured WRN (JSON)",
  async run(args) {
    const { config, corrections } = decodeConfig(args.join('&'));
    for (const c of corrections) process.stderr.write(`warning: ${describeCorrection(c)}\n`);
    const rows = modelsOf(config).map((m) => {
      const cost = wrnCost(m);
      return { name: netName(m), depth: m.depth, width: m.width, dropout: m.dropout, params: cost.params, macs: cost.macs };
    });
    const [main, ...rest] = rows;
    process.stdout.write(JSON.stringify(rest.length ? { ...main, compare: rest } : main) + '\n');
    return 0;
  },
};
