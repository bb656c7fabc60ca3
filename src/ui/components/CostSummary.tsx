/**
 * What the configured nets cost before anything trains: parameters, FLOPs per image and the memory a training
 * step needs, from the shape alone (core/cost.ts, no tfjs); and, once the worker has said which backend it runs
 * and what that can hold, a warning when a net would not fit (the run would be refused: core/memory.ts).
 */
import { useMemo } from 'react';
import { modelName, modelsOf, type Config } from '../../core/config';
import { estimateTrainingBytes, trainFlopsPerImage, wrnCost } from '../../core/cost';
import { memoryProblem } from '../../core/memory';
import { useTrainingSelector } from '../hooks/useTraining';
import { formatBytes, formatCount, formatFlops } from '../lib/format';

export function CostSummary({ config }: { config: Config }) {
  const rows = useMemo(
    () =>
      modelsOf(config).map((m) => {
        const cost = wrnCost(m);
        return {
          name: modelName(m),
          params: cost.params,
          forward: 2 * cost.macs,
          train: trainFlopsPerImage(m),
          memory: estimateTrainingBytes(m, config.batch),
        };
      }),
    [config],
  );
  const capacity = useTrainingSelector((v) => v.backend?.memory ?? null);
  const tooBig = useMemo(() => memoryProblem(config, capacity), [config, capacity]);
  const [main, ...others] = rows;
  if (!main) return null;
  return (
    <section className="cost" aria-labelledby="cost-title">
      <h3 id="cost-title" className="visually-hidden">
        Model cost
      </h3>
      <dl className="cost-main">
        <div>
          <dt>Parameters</dt>
          <dd data-testid="param-count">{formatCount(main.params)}</dd>
        </div>
        <div>
          <dt>FLOPs / image</dt>
          <dd data-testid="flops-per-image" title="forward pass; training costs about 3x (forward + backward)">
            <span className="value">{formatFlops(main.forward)}</span>
            <span className="sub"> forward; {formatFlops(main.train)} to train</span>
          </dd>
        </div>
        <div>
          <dt>Training memory</dt>
          <dd data-testid="memory-estimate" title="weights, gradients and momentum plus a batch of activations (rough)">
            <span className="value">≈ {formatBytes(main.memory)}</span>
            <span className="sub"> at batch {config.batch}</span>
          </dd>
        </div>
      </dl>
      {tooBig && (
        <p className="hint memory-warning" role="status" data-testid="memory-warning">
          Too big for this backend: {tooBig}
        </p>
      )}
      {others.length > 0 && (
        <p className="hint">Comparison: {others.map((o) => `${o.name} ${formatCount(o.params)} params, ${formatFlops(o.forward)}`).join('; ')}</p>
      )}
    </section>
  );
}
