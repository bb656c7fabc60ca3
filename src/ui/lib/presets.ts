/**
 * Comparison presets: pairs of nets of similar size, one thin and deep, one wide and shallow (the paper's
 * question). Sizes come from `wrnCost`, so the descriptions stay true if the builder changes.
 */
import type { Config, ModelConfig } from '../../core/config';

export interface Preset {
  id: string;
  label: string;
  /** why this pair: what it shows and how long it takes */
  note: string;
  /** the main model first, then the comparison models */
  models: readonly ModelConfig[];
  /** recipe changes that keep the run short enough for a browser (absent: the recipe is left alone) */
  recipe?: Partial<Pick<Config, 'train' | 'test' | 'epochs' | 'batch'>>;
}

const net = (depth: number, width: number): ModelConfig => ({ depth, width, dropout: 0 });

export const PRESETS: readonly Preset[] = [
  {
    id: 'quick-22-1-vs-10-2',
    label: 'Quick: WRN-22-1 vs WRN-10-2',
    note: 'about 0.3M parameters each; a few minutes in a browser',
    models: [net(22, 1), net(10, 2)],
    recipe: { train: 5000, test: 1000, epochs: 3, batch: 64 },
  },
  {
    id: 'quick-40-1-vs-16-2',
    label: 'Quick: WRN-40-1 vs WRN-16-2',
    note: 'about 0.6M parameters each; deeper pair, several minutes',
    models: [net(40, 1), net(16, 2)],
    recipe: { train: 5000, test: 1000, epochs: 3, batch: 64 },
  },
  {
    id: 'paper-40-4-vs-16-8',
    label: 'Paper: WRN-40-4 vs WRN-16-8',
    note: 'the paper’s thin-deep vs wide-shallow pair (8.9M vs 11.0M); needs a real GPU',
    models: [net(40, 4), net(16, 8)],
  },
];

/** The config with the preset's nets (main + comparisons) and recipe applied; everything else is kept. */
export function applyPreset(config: Config, preset: Preset): Config {
  const [main, ...compare] = preset.models;
  if (!main) return config;
  return { ...config, ...preset.recipe, ...main, compare: compare.map((m) => ({ ...m })) };
}
