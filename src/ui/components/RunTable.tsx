/**
 * One row per run: size, cost, speed and what it reached. "Time to" and "FLOPs to" a chosen test accuracy make
 * the paper's point measurable: a wide net may cost more per step yet reach an accuracy sooner. The latest loss and
 * accuracy make it the curves' text alternative (they link here). On a phone each row stacks into label: value
 * lines (styles.css), so nothing scrolls sideways.
 */
import { memo, useId, useState } from 'react';
import { formatCount, formatDuration, formatFlops, formatPercent } from '../lib/format';
import type { RunRecord } from '../lib/runRecord';
import { bestTestAccuracy, timeToAccuracy } from '../lib/timeToAccuracy';
import { colorSlots, runLabel } from '../lib/comparison';
import { colorOf } from './colors';
import { TableScroll } from './TableScroll';

interface Props {
  runs: readonly RunRecord[];
  /** index of the live run training now, for its status cell */
  currentId: string | null;
}

/** The runs table's card: the curves' text alternative links to it. */
export const RUN_TABLE_ID = 'runs-table';

export const RunTable = memo(function RunTable({ runs, currentId }: Props) {
  const id = useId();
  const [targetPercent, setTargetPercent] = useState(40);
  const target = targetPercent / 100;
  if (runs.length === 0) return null;
  const slots = colorSlots(runs); // the seeds of one net share its colour
  return (
    <section className="card" id={RUN_TABLE_ID} tabIndex={-1} aria-labelledby={`${id}-title`}>
      <div className="card-head">
        <h2 id={`${id}-title`}>Runs</h2>
        <div className="inline-field">
          <label htmlFor={id}>Target accuracy</label>
          <input
            id={id}
            type="number"
            min={1}
            max={100}
            step={1}
            value={targetPercent}
            onChange={(e) => {
              const v = Number(e.target.value);
              if (Number.isFinite(v) && v >= 1 && v <= 100) setTargetPercent(v);
            }}
          />
          <span className="unit">%</span>
        </div>
      </div>
      <TableScroll label="Runs">
        <table className="run-table stacks" data-testid="run-table">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col" className="num">
                Params
              </th>
              <th scope="col" className="num">
                FLOPs / image
              </th>
              <th scope="col" className="num">
                Images/s
              </th>
              <th scope="col" className="num">
                Loss, train / test
              </th>
              <th scope="col" className="num">
                Acc., train / test
              </th>
              <th scope="col" className="num">
                Best test acc.
              </th>
              <th scope="col" className="num">
                Time to {targetPercent}%
              </th>
              <th scope="col" className="num">
                FLOPs to {targetPercent}%
              </th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run, i) => (
              <RunRow key={run.id} run={run} label={runLabel(run, runs)} color={colorOf(slots[i]!)} target={target} current={run.id === currentId} />
            ))}
          </tbody>
        </table>
      </TableScroll>
      <p className="hint">FLOPs / image is the training cost (forward + backward ≈ 3 forward passes). Time is active training time, pauses excluded.</p>
    </section>
  );
});

function RunRow({ run, label, color, target, current }: { run: RunRecord; label: string; color: string; target: number; current: boolean }) {
  const best = bestTestAccuracy(run.evals);
  const reached = timeToAccuracy(run.evals, target);
  const last = run.steps.at(-1);
  const status =
    run.savedStatus ??
    (run.imported
      ? 'imported'
      : run.id.startsWith('planned-')
        ? 'not started'
        : run.summary
          ? run.summary.status
          : current || run.steps.length > 0 // racing nets (order=interleaved) train at once
            ? 'training'
            : 'waiting');
  const lastEval = run.evals.at(-1);
  const pair = (a: string | null, b: string | null) => (a === null && b === null ? '–' : `${a ?? '–'} / ${b ?? '–'}`);
  return (
    <tr>
      <th scope="row">
        <span className="swatch" style={{ background: color }} aria-hidden="true" />
        {label}
      </th>
      <td className="num" data-label="Params">
        {formatCount(run.params)}
      </td>
      <td className="num" data-label="FLOPs / image">
        {formatFlops(6 * run.macs)}
      </td>
      <td className="num" data-label="Images/s">
        {last ? formatCount(last.imagesPerSec) : '–'}
      </td>
      <td className="num" data-label="Loss, train / test">
        {pair(last ? last.loss.toFixed(3) : null, lastEval ? lastEval.testLoss.toFixed(3) : null)}
      </td>
      <td className="num" data-label="Acc., train / test">
        {pair(last ? formatPercent(last.trainAccuracy) : null, lastEval ? formatPercent(lastEval.testAccuracy) : null)}
      </td>
      <td className="num" data-label="Best test acc.">
        {best === null ? '–' : formatPercent(best)}
      </td>
      <td className="num" data-label={`Time to ${Math.round(target * 100)}%`}>
        {reached ? formatDuration(reached.seconds) : best === null ? '–' : 'not yet'}
      </td>
      <td className="num" data-label={`FLOPs to ${Math.round(target * 100)}%`}>
        {reached ? formatFlops(reached.flops) : best === null ? '–' : 'not yet'}
      </td>
      <td data-label="Status">{status}</td>
    </tr>
  );
}
