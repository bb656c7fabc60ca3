/**
 * One row per net: how many runs (seeds) finished, their final test accuracy as mean ± standard deviation, its
 * 95% interval, and in words whether the net differs from the main one by more than the noise. Which interval and
 * which test are said in the cells and in the note, so that a reader can check them.
 */
import { memo, useId, useMemo } from 'react';
import { formatP } from '../../core/stats';
import { groupByNet, verdictsAgainstMain, type NetGroup } from '../lib/comparison';
import type { RunRecord } from '../lib/runRecord';
import { colorOf } from './colors';
import { COMPARISON_ID } from './RunVerdict';
import { TableScroll } from './TableScroll';

interface Props {
  runs: readonly RunRecord[];
  /** the budget in words, null when unknown (imported runs only) */
  budget: string | null;
}

const pts = (x: number) => (100 * x).toFixed(1);

export const ComparisonTable = memo(function ComparisonTable({ runs, budget }: Props) {
  const id = useId();
  const groups = useMemo(() => groupByNet(runs), [runs]);
  const verdicts = useMemo(() => verdictsAgainstMain(groups), [groups]);
  if (!groups.some((g) => g.finished.length > 0)) return null;
  return (
    <section className="card" id={COMPARISON_ID} tabIndex={-1} aria-labelledby={`${id}-title`} data-testid="comparison">
      <div className="card-head">
        <h2 id={`${id}-title`}>Is the difference real?</h2>
      </div>
      {budget && (
        <p className="hint" data-testid="comparison-budget">
          Budget: {budget}.
        </p>
      )}
      <TableScroll label="Is the difference real?">
        <table className="run-table comparison-table" data-testid="comparison-table">
          <thead>
            <tr>
              <th scope="col">Net</th>
              <th scope="col" className="num">
                Runs
              </th>
              <th scope="col" className="num">
                Final test acc.
              </th>
              <th scope="col" className="num">
                95% interval
              </th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g, i) => (
              <NetRow
                key={g.key}
                group={g}
                verdict={verdicts[i]?.text ?? null}
                significant={verdicts[i]?.significant ?? false}
                p={verdicts[i]?.p ?? null}
              />
            ))}
          </tbody>
        </table>
      </TableScroll>
      <p className="hint">
        Final test accuracy is each run’s last evaluation. With several seeds: mean ± sample standard deviation, the 95% interval of the mean from
        Student’s t, and Welch’s t-test on the seeds (5% level). With one run per net: the 95% binomial (Wilson) interval on the test images and a
        two-proportion test, which see only the test set’s noise, not the seed-to-seed noise (add <code>seeds=3</code> to the link to measure it).
      </p>
    </section>
  );
});

/** A net's row, and under it (full width, so that it reads on a phone) its verdict against the main net. */
function NetRow({ group: g, verdict, significant, p }: { group: NetGroup; verdict: string | null; significant: boolean; p: number | null }) {
  const s = g.summary;
  const one = g.finished.length === 1 ? g.finished[0]! : null;
  const pending = g.runs.length - g.finished.length;
  return (
    <>
      <tr data-net={g.name} className={verdict ? 'has-verdict' : undefined}>
        <th scope="row">
          <span className="swatch" style={{ background: colorOf(g.slot) }} aria-hidden="true" />
          {g.name}
        </th>
        <td className="num">
          {g.finished.length}
          {pending > 0 && <span className="sub"> (+{pending} to come)</span>}
        </td>
        <td className="num" data-testid="mean-std">
          {!s ? '–' : s.n >= 2 ? `${pts(s.mean)} ± ${pts(s.std)}%` : `${pts(s.mean)}%`}
        </td>
        <td className="num" data-testid="interval">
          {s?.ci95 ? (
            <>
              {pts(s.ci95[0])}–{pts(s.ci95[1])}% <span className="sub interval-note">t, {s.n} seeds</span>
            </>
          ) : one ? (
            <>
              {pts(one.interval[0])}–{pts(one.interval[1])}%{' '}
              <span className="sub interval-note">binomial, {one.testImages.toLocaleString('en-US')} images</span>
            </>
          ) : (
            '–'
          )}
        </td>
      </tr>
      {verdict && (
        <tr className="verdict-row" data-net={g.name}>
          <td colSpan={4} data-testid="verdict" data-significant={significant} data-p={p === null ? undefined : formatP(p)}>
            {verdict}
          </td>
        </tr>
      )}
    </>
  );
}
