/**
 * Where the run is: data streaming (a progress bar that reaches 100%), the model training now, step and epoch,
 * time left, the tensor memory the backend holds, the learning rate of the last step, and the phase.
 */
import { useId, type ReactNode } from 'react';
import type { DataProgress } from '../../worker/protocol';
import { isActive, useTrainingSelector, type RunPhase } from '../hooks/useTraining';
import { etaSeconds } from '../lib/eta';
import { formatBytes, formatDuration, formatRate } from '../lib/format';
import type { RunRecord } from '../lib/runRecord';
import { RunVerdict } from './RunVerdict';

const PHASE_TEXT: Record<RunPhase, string> = {
  idle: 'Not started',
  starting: 'Starting',
  loading: 'Loading data',
  running: 'Training',
  paused: 'Paused',
  stopping: 'Stopping after this step',
  finished: 'Finished',
  stopped: 'Stopped',
  failed: 'Failed',
  interrupted: 'Interrupted (resume it under Run history)',
};

/** `children`: shown under the heading (the run's buttons, where the settings are folded away on a phone). */
export function RunProgress({ children }: { children?: ReactNode }) {
  const phase = useTrainingSelector((v) => v.phase);
  const data = useTrainingSelector((v) => v.data);
  const runs = useTrainingSelector((v) => v.runs);
  const current = useTrainingSelector((v) => v.currentModel);
  const backend = useTrainingSelector((v) => v.backend?.backend ?? null);
  // Under a time budget (budget=time:S) a net trains until its own seconds are spent: its steps are not known ahead.
  const budgetSeconds = useTrainingSelector((v) => (v.runConfig?.budget.kind === 'time' ? v.runConfig.budget.seconds : null));
  if (phase === 'idle' && !data) return null;
  const run = (current !== null ? runs[current] : undefined) ?? runs.at(-1);
  return (
    <section className="card run-progress" aria-labelledby="progress-title">
      <h2 id="progress-title">
        Progress{' '}
        <span className={`phase phase-${phase}`} data-testid="run-phase">
          {PHASE_TEXT[phase]}
        </span>
      </h2>
      {children}
      <RunVerdict />
      {data && <DataBar data={data} />}
      {run && (
        <ModelProgress run={run} index={runs.indexOf(run)} count={runs.length} backend={backend} ended={!isActive(phase)} budgetSeconds={budgetSeconds} />
      )}
    </section>
  );
}

function DataBar({ data }: { data: DataProgress }) {
  const id = useId();
  const target = data.trainTarget + data.testTarget;
  const have = Math.min(data.trainRecords, data.trainTarget) + Math.min(data.testRecords, data.testTarget);
  const fraction = data.done ? 1 : target > 0 ? have / target : 0;
  return (
    <div className="progress-row">
      <label htmlFor={id}>Data loaded</label>
      <progress id={id} max={100} value={Math.round(100 * fraction)} aria-describedby={`${id}-text`} />
      <span id={`${id}-text`} className="sub" data-testid="data-progress-text">
        {Math.round(100 * fraction)}% · {data.trainRecords.toLocaleString('en-US')} train, {data.testRecords.toLocaleString('en-US')} test
        {data.bytesLoaded > 0 && ` · ${formatBytes(data.bytesLoaded)}${data.bytesTotal ? ` of ${formatBytes(data.bytesTotal)}` : ''}`}
        {' · '}
        {data.phase}
      </span>
    </div>
  );
}

interface ModelProgressProps {
  run: RunRecord;
  index: number;
  count: number;
  backend: string | null;
  /** the run is over: no time left to estimate */
  ended: boolean;
  /** a time budget per net (s): progress is then in seconds, not steps; null otherwise */
  budgetSeconds: number | null;
}

function ModelProgress({ run, index, count, backend, ended, budgetSeconds }: ModelProgressProps) {
  const id = useId();
  const last = run.steps.at(-1);
  const total = budgetSeconds === null ? run.totalSteps : null;
  const eta =
    ended || !last ? null : budgetSeconds !== null ? Math.max(0, budgetSeconds - last.seconds) : total ? etaSeconds(last.step, last.seconds, total) : null;
  const memoryLabel = backend === 'webgpu' || backend === 'webgl' ? 'GPU memory in use' : 'Tensor memory in use';
  return (
    <div className="model-progress">
      <div className="progress-row">
        <label htmlFor={id}>
          Training {run.name}
          {count > 1 && ` (model ${index + 1} of ${count})`}
        </label>
        {budgetSeconds === null ? (
          <progress id={id} max={total ?? 1} value={last?.step ?? 0} />
        ) : (
          <progress id={id} max={budgetSeconds} value={Math.min(budgetSeconds, last?.seconds ?? 0)} />
        )}
      </div>
      <dl className="stats">
        <div>
          <dt>Step</dt>
          <dd data-testid="progress-step">
            {last?.step ?? 0}
            {total ? ` / ${total}` : ''}
          </dd>
        </div>
        <div>
          <dt>Epoch</dt>
          <dd>{(last?.epoch ?? 0).toFixed(2)}</dd>
        </div>
        <div>
          <dt>Time left</dt>
          <dd>{ended ? 'done' : eta === null ? '–' : formatDuration(eta)}</dd>
        </div>
        <div>
          <dt>{memoryLabel}</dt>
          <dd data-testid="device-memory">{last ? formatBytes(last.deviceBytes) : '–'}</dd>
        </div>
        <div>
          <dt>Learning rate</dt>
          <dd data-testid="progress-lr">{last ? formatRate(last.lr) : '–'}</dd>
        </div>
        <div>
          <dt>Speed</dt>
          <dd>{last ? `${Math.round(last.imagesPerSec)} img/s` : '–'}</dd>
        </div>
      </dl>
    </div>
  );
}
