/**
 * Loss and accuracy, train and test, for every run (live and imported), against step, epoch, training time or
 * training compute. Train curves are per batch and smoothed (EMA slider); test curves are per evaluation, dashed
 * with dots. Series are memoised per run and settings, so a metrics update redraws only the lines' data.
 */
import { memo, useId, useMemo, useRef, useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { downsample, mergeLines, testLine, trainLine, X_AXES, xAxisSpec, type MetricKey, type XAxisKey, type XAxisSpec, type XY } from '../lib/series';
import { formatShort } from '../lib/format';
import type { RunRecord } from '../lib/runRecord';
import { colorSlots, runLabel } from '../lib/comparison';
import { colorOf } from './colors';
import { RUN_TABLE_ID } from './RunTable';
import { JumpLink } from './JumpLink';

/** Points per train line actually drawn (see `downsample`); test lines have few points and are drawn whole. */
const MAX_DRAWN = 400;

const X_LABELS: Record<XAxisKey, string> = {
  step: 'Step',
  epoch: 'Epoch',
  seconds: 'Time (s)',
  flops: 'Compute (FLOPs)',
};

export interface ChartRun {
  run: RunRecord;
  /** the legend label: the run's name, marked when imported */
  label: string;
  color: string;
}

export function Charts({ runs }: { runs: readonly RunRecord[] }) {
  const [xKey, setXKey] = useState<XAxisKey>('step');
  const [smoothing, setSmoothing] = useState(0.6);
  const [logLoss, setLogLoss] = useState(false);
  const ids = { x: useId(), smooth: useId(), log: useId(), numbers: useId() };

  const chartRuns = useMemo(() => {
    const slots = colorSlots(runs); // the seeds of one net share its colour
    return runs.map((run, i): ChartRun => ({ run, label: runLabel(run, runs), color: colorOf(slots[i]!) }));
  }, [runs]);
  const hasPoints = runs.some((r) => r.steps.length > 0 || r.evals.length > 0);
  const maxFlops = useMemo(() => Math.max(0, ...runs.map((r) => r.steps.at(-1)?.flops ?? 0)), [runs]);
  // The FLOPs unit changes only per factor of 1000, so the spec (and the memoised lines) change rarely.
  const flopsDivisor = xAxisSpec('flops', maxFlops).divisor;
  const xSpec = useMemo(() => xAxisSpec(xKey, flopsDivisor), [xKey, flopsDivisor]);

  return (
    <section className="card charts" aria-labelledby="charts-title">
      <div className="card-head">
        <h2 id="charts-title">Curves</h2>
        {/* settings only for curves there are: an empty card holds its placeholder alone */}
        <div className="chart-settings" hidden={!hasPoints}>
          <label htmlFor={ids.x}>X axis</label>
          <select id={ids.x} value={xKey} onChange={(e) => setXKey(e.target.value as XAxisKey)}>
            {X_AXES.map((k) => (
              <option key={k} value={k}>
                {X_LABELS[k]}
              </option>
            ))}
          </select>
          <label htmlFor={ids.smooth}>Smoothing</label>
          <input
            id={ids.smooth}
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            aria-valuetext={`EMA weight ${smoothing.toFixed(2)}`}
            onChange={(e) => setSmoothing(Number(e.target.value))}
          />
          <output htmlFor={ids.smooth} className="sub">
            {smoothing.toFixed(2)}
          </output>
          <input id={ids.log} type="checkbox" checked={logLoss} onChange={(e) => setLogLoss(e.target.checked)} />
          <label htmlFor={ids.log}>Log scale (loss)</label>
        </div>
      </div>
      {runs.length === 0 ? (
        <p className="empty">Press Train to draw loss and accuracy curves here, or import exported metrics.</p>
      ) : !hasPoints ? (
        // a run has started and not yet finished a step: one placeholder, no empty axes
        <p className="empty">The curves start with the first training step…</p>
      ) : (
        <>
          <ChartLegend runs={chartRuns} />
          <div className="chart-pair">
            <MetricChart
              title="Loss"
              metric="loss"
              runs={chartRuns}
              x={xSpec}
              smoothing={smoothing}
              log={logLoss}
              yLabel="cross-entropy (nats)"
              describedBy={ids.numbers}
            />
            <MetricChart
              title="Accuracy"
              metric="accuracy"
              runs={chartRuns}
              x={xSpec}
              smoothing={smoothing}
              log={false}
              yLabel="accuracy (%)"
              describedBy={ids.numbers}
            />
          </div>
          <p className="hint" id={ids.numbers}>
            In numbers: each run’s latest loss and accuracy, train and test, are in the <JumpLink to={RUN_TABLE_ID}>Runs table</JumpLink>.
          </p>
        </>
      )}
    </section>
  );
}

function ChartLegend({ runs }: { runs: readonly ChartRun[] }) {
  return (
    <ul className="legend" aria-label="Legend" data-testid="chart-legend">
      {runs.map(({ run, label, color }) => (
        <li key={run.id} data-points={run.steps.length + run.evals.length} data-run={run.id}>
          <span className="swatch" style={{ background: color }} aria-hidden="true" />
          {label}
        </li>
      ))}
      <li className="legend-key" aria-label="Line styles: solid lines are training batches, dashed lines with dots are test evaluations">
        <span className="line-solid" aria-hidden="true" /> train
        <span className="line-dashed" aria-hidden="true" /> test
      </li>
    </ul>
  );
}

interface MetricChartProps {
  title: string;
  metric: MetricKey;
  runs: readonly ChartRun[];
  x: XAxisSpec;
  smoothing: number;
  log: boolean;
  yLabel: string;
  /** the id of the text that points to the same numbers in a table */
  describedBy: string;
}

const MetricChart = memo(function MetricChart({ title, metric, runs, x, smoothing, log, yLabel, describedBy }: MetricChartProps) {
  // Per-run cache: while one model trains, the finished ones' lines are reused, not recomputed per update.
  const cache = useRef(new WeakMap<RunRecord, { settings: string; train: XY[]; test: XY[] }>());
  const { rows, lines, points } = useMemo(() => {
    const settings = `${x.key}/${x.divisor}/${smoothing}`;
    const linesOf = (run: RunRecord) => {
      const hit = cache.current.get(run);
      if (hit && hit.settings === settings) return hit;
      const fresh = { settings, train: downsample(trainLine(run.steps, metric, x, smoothing), MAX_DRAWN), test: testLine(run.evals, metric, x) };
      cache.current.set(run, fresh);
      return fresh;
    };
    const lines = runs.flatMap(({ run, label, color }) => {
      const { train, test } = linesOf(run);
      return [
        { key: `${run.id}|train`, name: `${label} train`, color, dashed: false, points: train },
        { key: `${run.id}|test`, name: `${label} test`, color, dashed: true, points: test },
      ];
    });
    const points = runs.reduce((n, { run }) => n + run.steps.length + run.evals.length, 0);
    return { rows: mergeLines(lines), lines, points };
  }, [runs, metric, x, smoothing]);

  const yDomain = useMemo((): [number, number] | ['auto', 'auto'] => {
    if (!log) return ['auto', 'auto'];
    // A log axis needs positive, finite bounds; 'auto' may pick 0.
    const ys = lines.flatMap((l) => l.points.map((p) => p.y)).filter((y) => y > 0);
    return ys.length ? [Math.min(...ys) * 0.9, Math.max(...ys) * 1.1] : [0.01, 10];
  }, [lines, log]);

  const testId = `chart-${metric}`;
  return (
    <figure className="chart" data-testid={testId} data-points={points} data-series={lines.length} aria-describedby={describedBy}>
      <figcaption>
        {title} <span className="sub">vs {x.label}</span>
      </figcaption>
      <ResponsiveContainer width="100%" height={260}>
        <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 24, left: 8 }}>
          <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
          <XAxis
            type="number"
            dataKey="x"
            domain={[0, 'auto']}
            tickFormatter={(v: number) => formatShort(v)}
            label={{ value: x.label, position: 'insideBottom', offset: -14 }}
            allowDecimals={x.key !== 'step'}
            padding={{ left: 4, right: 10 }}
          />
          <YAxis
            scale={log ? 'log' : 'linear'}
            domain={yDomain}
            allowDataOverflow={log}
            width={56}
            tickFormatter={yTick}
            label={{ value: yLabel, angle: -90, position: 'insideLeft', offset: 8, style: { textAnchor: 'middle' } }}
          />
          <Tooltip
            formatter={(value, name) => [
              typeof value === 'number' ? value.toFixed(metric === 'loss' ? 3 : 1) + (metric === 'accuracy' ? '%' : '') : String(value),
              name,
            ]}
            labelFormatter={(label) => `${x.label}: ${typeof label === 'number' ? formatShort(label) : String(label)}`}
            // text in the body colour: some runs' colours are too light for text on white; the lines carry the colour
            itemStyle={{ color: 'var(--text)' }}
          />
          {lines.map((l) => (
            <Line
              key={l.key}
              dataKey={l.key}
              name={l.name}
              stroke={l.color}
              strokeWidth={l.dashed ? 1.5 : 2}
              {...(l.dashed ? { strokeDasharray: '5 4' } : {})}
              connectNulls
              // solid, filled dots: each is one evaluation, and a dashed outline would look broken
              dot={l.dashed ? { r: 3, fill: l.color, strokeDasharray: '0' } : false}
              isAnimationActive={false}
              type="linear"
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
});

/**
 * A y tick: four significant digits below 10, so that close ticks of a flat early loss (2.425, 2.43, 2.435) stay
 * distinct; the short form above.
 */
function yTick(v: number): string {
  return Math.abs(v) < 10 ? String(Number(v.toPrecision(4))) : formatShort(Number(v.toPrecision(3)));
}
