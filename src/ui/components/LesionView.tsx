/**
 * The lesion study per net: the test accuracy with each block's residual branch removed (one bar per block, the
 * intact accuracy as a dashed line, so a bar's gap below it is the drop), and the accuracy against the number of
 * random blocks removed, one line per net. Each net has its button, progress and cancel.
 */
import { memo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { LesionResult } from '../../core/insight/lesion';
import { lesionBars, lesionCurve } from '../lib/insight';

/** A net's lesion study as the page holds it. */
export type LesionState =
  | { status: 'idle' }
  | { status: 'waiting' | 'running'; done: number; total: number }
  | { status: 'done'; result: LesionResult }
  | { status: 'failed'; message: string }
  | { status: 'cancelled' };

export interface LesionNet {
  key: string;
  label: string;
  color: string;
  /** null: nothing to run it on (imported metrics); else where the weights come from, in words */
  weightsNote: string | null;
  state: LesionState;
}

interface Props {
  nets: readonly LesionNet[];
  /** false while the worker trains: a study then waits for the run to end */
  idle: boolean;
  onRun(key: string): void;
  onCancel(key: string): void;
}

const pct = (a: number) => `${(100 * a).toFixed(1)}%`;

export const LesionView = memo(function LesionView({ nets, idle, onRun, onCancel }: Props) {
  const done = nets.flatMap((n) => (n.state.status === 'done' ? [{ net: n, result: n.state.result }] : []));
  return (
    <div className="lesions">
      <ul className="lesion-list">
        {nets.map((n) => (
          <li key={n.key} className="lesion-net" data-testid="lesion-net" data-net={n.label}>
            <div className="lesion-head">
              <span className="swatch" style={{ background: n.color }} aria-hidden="true" />
              <strong>{n.label}</strong>
              <LesionControls net={n} idle={idle} onRun={onRun} onCancel={onCancel} />
            </div>
            {n.state.status === 'done' && <LesionBars result={n.state.result} color={n.color} label={n.label} />}
          </li>
        ))}
      </ul>
      {done.length > 0 && <LesionCurves nets={done} />}
    </div>
  );
});

function LesionControls({ net, idle, onRun, onCancel }: { net: LesionNet; idle: boolean; onRun(key: string): void; onCancel(key: string): void }) {
  const s = net.state;
  if (net.weightsNote === null) return <span className="sub">Open its weights to run a lesion study (imported metrics carry none).</span>;
  if (s.status === 'waiting' || s.status === 'running') {
    const label = s.status === 'waiting' ? (idle ? 'starting…' : 'waits for the run to end') : `${s.done} of ${s.total} evaluations`;
    return (
      <span className="lesion-progress">
        <progress value={s.status === 'running' ? s.done : undefined} max={s.total || 1} aria-label={`Lesion study of ${net.label}: ${label}`} />
        <span className="sub" aria-live="polite">
          {label}
        </span>
        <button type="button" className="secondary small" onClick={() => onCancel(net.key)}>
          Cancel
        </button>
      </span>
    );
  }
  return (
    <span className="lesion-progress">
      {s.status === 'done' && (
        <span className="sub">
          {s.result.testImages.toLocaleString('en-US')} test images, {net.weightsNote}; intact {pct(s.result.intact.testAccuracy)}
        </span>
      )}
      {s.status === 'failed' && <span className="bad">Failed: {s.message}</span>}
      {s.status === 'cancelled' && <span className="sub">Cancelled.</span>}
      <button type="button" className="secondary small" onClick={() => onRun(net.key)}>
        {s.status === 'done' ? 'Run again' : 'Run lesion study'}
      </button>
    </span>
  );
}

const BAR_H = 120;

function LesionBars({ result, color, label }: { result: LesionResult; color: string; label: string }) {
  const bars = lesionBars(result);
  const top = Math.max(result.intact.testAccuracy, ...bars.map((b) => b.accuracy), 0.1);
  const y = (a: number) => BAR_H - (a / top) * (BAR_H - 6);
  const n = bars.length;
  const gap = n > 24 ? 0.5 : 2;
  const width = 100 / n;
  return (
    <figure className="lesion-bars">
      <div className="lesion-plot">
        <svg viewBox={`0 0 100 ${BAR_H}`} preserveAspectRatio="none" aria-hidden="true">
          {bars.map((b, i) => (
            <rect
              key={b.block}
              data-testid="lesion-bar"
              data-block={b.block}
              x={i * width + gap / 2}
              width={Math.max(0.3, width - gap)}
              y={y(b.accuracy)}
              height={BAR_H - y(b.accuracy)}
              fill={color}
              opacity={b.group === 2 ? 0.75 : b.group === 3 ? 0.55 : 0.95}
            >
              <title>{`${b.block} removed: ${pct(b.accuracy)} (${b.drop >= 0 ? '−' : '+'}${Math.abs(100 * b.drop).toFixed(1)} points)`}</title>
            </rect>
          ))}
          <line className="intact" x1={0} x2={100} y1={y(result.intact.testAccuracy)} y2={y(result.intact.testAccuracy)} />
        </svg>
        <span className="intact-label" style={{ top: `${(100 * y(result.intact.testAccuracy)) / BAR_H}%` }}>
          intact {pct(result.intact.testAccuracy)}
        </span>
      </div>
      <div className="lesion-axis" aria-hidden="true">
        <span>{bars[0]?.block}</span>
        <span>block removed</span>
        <span>{bars.at(-1)?.block}</span>
      </div>
      <div className="visually-hidden">
        <table>
          <caption>
            {label}: test accuracy with one block's residual branch removed (intact: {pct(result.intact.testAccuracy)})
          </caption>
          <thead>
            <tr>
              <th scope="col">block removed</th>
              <th scope="col">test accuracy</th>
              <th scope="col">drop (points)</th>
            </tr>
          </thead>
          <tbody>
            {bars.map((b) => (
              <tr key={b.block}>
                <th scope="row">{b.block}</th>
                <td>{pct(b.accuracy)}</td>
                <td>{(100 * b.drop).toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

function LesionCurves({ nets }: { nets: { net: LesionNet; result: LesionResult }[] }) {
  const ks = [...new Set(nets.flatMap(({ result }) => lesionCurve(result).map((p) => p.k)))].sort((a, b) => a - b);
  const data = ks.map((k) => {
    const row: Record<string, number> = { k };
    for (const { net, result } of nets) {
      const p = lesionCurve(result).find((q) => q.k === k);
      if (p) row[net.key] = 100 * p.accuracy;
    }
    return row;
  });
  return (
    <figure className="lesion-curves" data-testid="lesion-curves">
      <figcaption className="sub">Test accuracy with k random blocks removed (mean of a few seeded draws; k = 0 is the intact net)</figcaption>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid stroke="var(--grid)" />
            <XAxis
              dataKey="k"
              type="number"
              domain={[0, ks.at(-1) ?? 1]}
              ticks={ks}
              interval={0}
              allowDecimals={false}
              label={{ value: 'blocks removed', position: 'insideBottom', offset: 0 }}
              height={40}
            />
            <YAxis unit="%" width={48} domain={[0, 'auto']} />
            {/* text in the body colour: the orange of a second net is too light for text on white (3.9:1); the line and its key carry the colour */}
            <Tooltip
              formatter={(v) => `${Number(v).toFixed(1)}%`}
              labelFormatter={(k) => `${k} block${k === 1 ? '' : 's'} removed`}
              itemStyle={{ color: 'var(--text)' }}
              itemSorter={(item) => nets.findIndex(({ net }) => net.key === item.dataKey)}
            />
            <Legend verticalAlign="top" height={28} itemSorter={null} formatter={(name) => <span style={{ color: 'var(--text)' }}>{name}</span>} />
            {nets.map(({ net }) => (
              <Line key={net.key} dataKey={net.key} name={net.label} stroke={net.color} strokeWidth={2} dot isAnimationActive={false} connectNulls />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
