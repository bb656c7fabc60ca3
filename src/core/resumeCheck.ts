/**
 * Whether a checkpoint belongs to a run: the same recipe and nets (its config), the same model and seed, and a data
 * order that the seed draws. Checked before anything moves, by the run driver and, before it touches the run's
 * folder, by the CLI's `train --resume`, so that a checkpoint copied from another run's folder, or a config edited
 * by hand, is refused in words (which part differs) rather than resumed with foreign state.
 */
import { checkpointProblem, type Checkpoint } from './checkpoint';
import { modelName, runJobs, type Config } from './config';
import { orderDrawnBy } from './dataOrder';
import { echo } from './echo';
import { planRun } from './schedule';
import { decodeConfig, encodeConfig } from './url';

/** Why `c` cannot resume a run of `config`, naming what differs; null when it belongs to it. */
export function resumeMismatch(c: Checkpoint, config: Config): string | null {
  const problem = checkpointProblem(c);
  if (problem) return `the checkpoint is not usable (${problem})`;
  const { config: theirs, corrections } = decodeConfig(c.config);
  if (corrections.length) return `the checkpoint's config is not one this version writes (#${echo(c.config)})`;
  // The backend and the WebGPU engine may differ (a run goes on elsewhere); the recipe and the nets may not.
  const differences = configDifferences({ ...theirs, backend: config.backend, engine: config.engine }, config);
  if (differences.length) return `the checkpoint is of another config: ${differences.join('; ')}`;
  const jobs = runJobs(config);
  const job = jobs[c.modelIndex];
  if (!job) return `the checkpoint is of model ${c.modelIndex}, and this run has ${jobs.length}`;
  if (c.modelName !== modelName(job.model))
    return `the checkpoint is of ${echo(c.modelName)}; model ${c.modelIndex} of this run is ${modelName(job.model)}`;
  if (config.order === 'interleaved' && config.compare.length > 0)
    return 'a run whose nets race (order=interleaved) cannot be resumed: its checkpoints would hold one net of several';
  const plan = planRun(config, c.trainImages);
  if (!orderDrawnBy(c.dataOrder, job.seed, plan, c.step))
    return `the checkpoint's data order was not drawn with seed ${job.seed} (this run's): it is another run's checkpoint`;
  return null;
}

/** The keys of the config link whose values differ, as "seed: 6 in the checkpoint, 5 in this run". */
export function configDifferences(theirs: Config, ours: Config, names: { theirs: string; ours: string } = DEFAULT_NAMES): string[] {
  const a = linkEntries(theirs);
  const b = linkEntries(ours);
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  return keys
    .filter((k) => a.get(k) !== b.get(k))
    .map((k) => `${k}: ${echo(a.get(k) ?? '(none)')} in ${names.theirs}, ${echo(b.get(k) ?? '(none)')} in ${names.ours}`);
}

const DEFAULT_NAMES = { theirs: 'the checkpoint', ours: 'this run' };

function linkEntries(c: Config): Map<string, string> {
  const entries = new Map<string, string>();
  for (const part of encodeConfig(c).split('&')) {
    const eq = part.indexOf('=');
    entries.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return entries;
}
