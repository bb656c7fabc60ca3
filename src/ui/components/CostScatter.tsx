/**
 * Accuracy against cost in one picture, as the paper argues: each finished run's final test accuracy against its
 * parameters, training FLOPs or active training seconds (a switch, log scale), with its 95% interval as an error
 * bar; a net with several seeds adds a diamond at the mean of its seeds with the 95% t interval of that mean.
 * The paper's full-CIFAR-10 results are a separate layer, off by default and labelled as not comparable.
 */
import { memo, useId, useMemo, useState } from 'react';
import { CartesianGrid, ErrorBar, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { formatShort } from '../lib/format';
import { groupByNet, runLabel, type NetGroup } from '../lib/comparison';
import { PAPER_EPOCHS, PAPER_RESULTS, PAPER_TRAIN_IMAGES } from '../lib/paperReference';
import type { RunRecord } from '../lib/runRecord';
import { colorOf } from './colors';
import { COMPARISON_ID } from './RunVerdict';
import { JumpLink } from './JumpLink';

export type CostAxis = 'params' | 'flops' | 'seconds';

const AXES: Record<CostAxis, { option: string; label: string }> = {
  params: { option: 'Parameters', label: 'parameters (log scale)' },
  flops: { option: 'Training FLOPs', label: 'training FLOPs spent (log scale)' },
  seconds: { option: 'Training time', label: 'active training time, s (log scale)' },
};

/** The paper's marks: grey, so they never read as one of this page's nets. */
const PAPER_COLOR = '#6b6b6b';

interface Point {
  /** the net's colour (absent on reference marks) */
  color?: string;
  /** reference marks only: the number printed by the mark (the note lists them), and where */
  mark?: { label: string; dy: number };
  x: number;
  /** test accuracy in % */
  y: number;
  /** [below, above] the point, in % */
  err: [number, number];
  name: string;
  detail: string;
}

interface Props {
  runs: readonly RunRecord[];
  /** the budget in words ("equal epochs (5 per net)"), null when unknown (imported runs only) */
  budget: string | null;
}

export const CostScatter = memo(function CostScatter({ runs, budget }: Props) {
  const ids = { x: useId(), paper: useId(), title: useId(), numbers: useId() };
  const [axis, setAxis] = useState<CostAxis>('params');
  const [showPaper, setShowPaper] = useState(false);

  const groups = useMemo(() => groupByNet(runs), [runs]);
  const layers = useMemo(() => scatterLayers(groups, runs, axis), [groups, runs, axis]);
  const paper = useMemo(() => (showPaper ? paperPoints(axis) : []), [showPaper, axis]);
  const finished = layers.reduce((n, l) => n + l.runs.length, 0);

  const all = [...layers.flatMap((l) => [...l.runs, ...l.mean]), ...paper];
  const xDomain = logDomain(all.map((p) => p.x));
  const yDomain = percentDomain(all.flatMap((p) => [p.y - p.err[0], p.y + p.err[1]]));

  if (runs.length === 0) return null;
  return (
    <section className="card" aria-labelledby={ids.title} data-testid="cost-scatter" data-finished={finished}>
      <div className="card-head">
        <h2 id={ids.title}>Accuracy vs cost</h2>
        <div className="chart-settings">
          <label htmlFor={ids.x}>Cost axis</label>
          <select id={ids.x} value={axis} onChange={(e) => setAxis(e.target.value as CostAxis)}>
            {(Object.keys(AXES) as CostAxis[]).map((k) => (
              <option key={k} value={k}>
                {AXES[k].option}
              </option>
            ))}
          </select>
          <span className="check-pair">
            <input id={ids.paper} type="checkbox" checked={showPaper} onChange={(e) => setShowPaper(e.target.checked)} />
            <label htmlFor={ids.paper}>Paper’s results (reference layer)</label>
          </span>
        </div>
      </div>
      {budget && (
        <p className="hint" data-testid="scatter-budget">
          Budget: {budget}.
        </p>
      )}
      {finished === 0 && !showPaper ? (
        // one placeholder, no empty chart under it
        <p className="empty">Each finished run becomes a point here: its final test accuracy against its cost.</p>
      ) : (
        <>
          <ul className="legend" aria-label="Scatter legend">
            {layers.map((l) => (
              <li key={l.key}>
                <span className="swatch" style={{ background: l.color }} aria-hidden="true" />
                {l.name}
                <span className="sub"> {l.runs.length === 1 ? '1 run' : `${l.runs.length} runs`}</span>
              </li>
            ))}
            {showPaper && (
              <li>
                <span className="swatch paper-swatch" style={{ background: PAPER_COLOR }} aria-hidden="true" />
                Paper, full CIFAR-10
              </li>
            )}
          </ul>
          <figure
            className="chart"
            aria-label={`Final test accuracy against ${AXES[axis].label}`}
            aria-describedby={finished > 0 ? ids.numbers : undefined}
          >
            <ResponsiveContainer width="100%" height={300}>
              <ScatterChart margin={{ top: showPaper ? 30 : 12, right: 20, bottom: 24, left: 8 }}>
                <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
                <XAxis
                  type="number"
                  dataKey="x"
                  scale="log"
                  domain={xDomain}
                  ticks={logTicks(xDomain)}
                  interval={0}
                  tickFormatter={(v: number) => formatShort(v)}
                  label={{ value: AXES[axis].label, position: 'insideBottom', offset: -14 }}
                />
                <YAxis
                  type="number"
                  dataKey="y"
                  domain={yDomain}
                  width={56}
                  ticks={percentTicks(yDomain)}
                  interval={0}
                  tickFormatter={(v: number) => `${v}`}
                  label={{ value: 'final test accuracy (%)', angle: -90, position: 'insideLeft', offset: 8, style: { textAnchor: 'middle' } }}
                />
                <Tooltip cursor={{ strokeDasharray: '3 3' }} content={<PointTooltip />} />
                {layers.map((l) => (
                  <Scatter
                    key={`${l.key}-runs`}
                    name={`${l.name} runs`}
                    data={l.runs}
                    fill={l.color}
                    className="scatter-runs"
                    shape={RunDot}
                    isAnimationActive={false}
                  >
                    {l.mean.length === 0 && <ErrorBar dataKey="err" direction="y" width={4} stroke={l.color} strokeWidth={1.5} />}
                  </Scatter>
                ))}
                {layers
                  .filter((l) => l.mean.length)
                  .map((l) => (
                    <Scatter
                      key={`${l.key}-mean`}
                      name={`${l.name} mean`}
                      data={l.mean}
                      fill="#fff"
                      stroke={l.color}
                      strokeWidth={2}
                      className="scatter-means"
                      shape={MeanDiamond}
                      isAnimationActive={false}
                    >
                      <ErrorBar dataKey="err" direction="y" width={6} stroke={l.color} strokeWidth={2} />
                    </Scatter>
                  ))}
                {showPaper && paper.length > 0 && (
                  <Scatter
                    name="Paper, full CIFAR-10"
                    data={paper}
                    fill={PAPER_COLOR}
                    className="scatter-paper"
                    shape={PaperMark}
                    isAnimationActive={false}
                  />
                )}
              </ScatterChart>
            </ResponsiveContainer>
          </figure>
          {finished > 0 && (
            <p className="hint" id={ids.numbers}>
              In numbers: each net’s final test accuracy and its interval are in the table <JumpLink to={COMPARISON_ID}>Is the difference real?</JumpLink>,
              and sizes and costs in the Runs table.
            </p>
          )}
          <p className="hint">
            Error bars, 95%: a net with one run shows the binomial (Wilson) interval of its accuracy on the test images, which is test-set noise only; a
            net with several seeds shows each seed as a dot and ◆ the mean of its seeds with the Student’s t interval of that mean.
          </p>
        </>
      )}
      {showPaper && (
        <p className="hint paper-note" data-testid="paper-note">
          Reference layer (grey +, numbered): the paper’s median of 5 runs, trained {PAPER_EPOCHS} epochs on all{' '}
          {PAPER_TRAIN_IMAGES.toLocaleString('en-US')} training images and tested on 10,000. Not comparable with a run here on a subset for a few epochs;
          it shows where the same nets end up. {PAPER_RESULTS.map((r, i) => `${i + 1} ${r.name} ${pct(r.testAccuracy).toFixed(2)}%`).join(' · ')}.
          {axis === 'seconds' && ' The paper gives no training times, so this axis has no reference marks.'}
          {axis === 'flops' && ' Its FLOPs are those 200 epochs; the pre-act ResNets are left out (no cost model here).'}
        </p>
      )}
    </section>
  );
});

interface Layer {
  key: string;
  name: string;
  color: string;
  runs: Point[];
  /** the seeds' mean, when the net has two or more finished runs */
  mean: Point[];
}

const pct = (x: number) => 100 * x;

function costOf(axis: CostAxis, params: number, seconds: number, flops: number): number {
  return axis === 'params' ? params : axis === 'flops' ? flops : seconds;
}

function scatterLayers(groups: readonly NetGroup[], runs: readonly RunRecord[], axis: CostAxis): Layer[] {
  return groups
    .filter((g) => g.finished.length > 0)
    .map((g) => {
      const runPoints = g.finished.map(
        (f): Point => ({
          x: costOf(axis, f.run.params, f.seconds, f.flops),
          y: pct(f.accuracy),
          color: colorOf(g.slot),
          err: [pct(f.accuracy - f.interval[0]), pct(f.interval[1] - f.accuracy)],
          name: runLabel(f.run, runs),
          detail: `${f.testImages.toLocaleString('en-US')} test images; 95% binomial interval ${pct(f.interval[0]).toFixed(1)}–${pct(f.interval[1]).toFixed(1)}%`,
        }),
      );
      const s = g.summary;
      const mean: Point[] = s?.ci95
        ? [
            {
              x: runPoints.reduce((a, p) => a + p.x, 0) / runPoints.length,
              y: pct(s.mean),
              color: colorOf(g.slot),
              err: [pct(s.mean - s.ci95[0]), pct(s.ci95[1] - s.mean)],
              name: `${g.name}, mean of ${s.n} seeds`,
              detail: `± ${pct(s.std).toFixed(1)} (std); 95% t interval ${pct(s.ci95[0]).toFixed(1)}–${pct(s.ci95[1]).toFixed(1)}%`,
            },
          ]
        : [];
      return { key: g.key, name: g.name, color: colorOf(g.slot), runs: runPoints, mean };
    });
}

/** Label offsets (px) for the reference marks in x order: three levels, so that neighbours in a cluster do not collide. */
const MARK_LEVELS = [-9, 17, -21] as const;

function paperPoints(axis: CostAxis): Point[] {
  if (axis === 'seconds') return [];
  const points = PAPER_RESULTS.map((r, i) => ({ r, number: i + 1 }))
    .filter(({ r }) => axis === 'params' || r.trainFlops !== null)
    .map(
      ({ r, number }): Point => ({
        x: axis === 'params' ? r.params : r.trainFlops!,
        y: pct(r.testAccuracy),
        err: [0, 0],
        name: `${number}. ${r.name} (paper)`,
        detail: `full CIFAR-10, ${PAPER_EPOCHS} epochs, median of 5 runs`,
        mark: { label: String(number), dy: 0 },
      }),
    );
  [...points].sort((a, b) => a.x - b.x || a.y - b.y).forEach((p, i) => (p.mark!.dy = MARK_LEVELS[i % MARK_LEVELS.length]!));
  return points;
}

/** A reference mark: a grey plus with its number (the note says which net each number is). */
function PaperMark(props: ShapeProps) {
  const { cx = 0, cy = 0, payload } = props;
  return (
    <g>
      <path d={`M${cx - 5},${cy}h10M${cx},${cy - 5}v10`} stroke={PAPER_COLOR} strokeWidth={2.5} />
      <text x={cx} y={cy + (payload?.mark?.dy ?? -9)} textAnchor="middle" fontSize={11} fontWeight={600} fill={PAPER_COLOR}>
        {payload?.mark?.label}
      </text>
    </g>
  );
}

/** A run: a filled dot, see-through so that the seeds of one net at the same cost show as a darker cluster. */
function RunDot({ cx = 0, cy = 0, payload }: ShapeProps) {
  return <circle cx={cx} cy={cy} r={4.5} fill={payload?.color} fillOpacity={0.75} stroke="#fff" strokeWidth={1} />;
}

/** The mean of a net's seeds: a hollow diamond, larger than a run's dot. */
function MeanDiamond({ cx = 0, cy = 0, payload }: ShapeProps) {
  return (
    <path d={`M${cx},${cy - 8}L${cx + 7},${cy}L${cx},${cy + 8}L${cx - 7},${cy}Z`} fill="#fff" fillOpacity={0.6} stroke={payload?.color} strokeWidth={2} />
  );
}

/** What recharts passes a custom scatter shape: the point's pixel centre and its datum. */
interface ShapeProps {
  cx?: number | undefined;
  cy?: number | undefined;
  payload?: Point | undefined;
}

/**
 * Ticks of a log axis: powers of ten, with 2 and 5 times them when the domain spans few decades; at least two.
 * Recharts' own ticks on a log scale land at odd values ("1.06T"), hence these.
 */
export function logTicks([lo, hi]: [number, number]): number[] {
  const from = Math.floor(Math.log10(lo));
  const to = Math.ceil(Math.log10(hi));
  const pick = (mults: readonly number[]) => {
    const out: number[] = [];
    for (let e = from; e <= to; e++)
      for (const m of mults) {
        const v = m * 10 ** e;
        if (v >= lo && v <= hi) out.push(Number(v.toPrecision(6)));
      }
    return out;
  };
  const decades = to - from;
  for (const mults of decades > 4
    ? [[1]]
    : decades > 2
      ? [[1], [1, 3]]
      : [
          [1, 2, 5],
          [1, 2, 3, 4, 5, 6, 7, 8, 9],
        ]) {
    const t = pick(mults);
    if (t.length >= 3 || (mults.length > 3 && t.length >= 2)) return t;
  }
  return [Number(lo.toPrecision(2)), Number(hi.toPrecision(2))];
}

/** Whole-number percent ticks every 10 points (every 5 on a short axis). */
function percentTicks([lo, hi]: [number, number]): number[] {
  const step = hi - lo <= 30 ? 5 : 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
  return out;
}

/** A log axis needs positive bounds; pad by a factor so that points sit inside, and widen a single value. */
function logDomain(xs: number[]): [number, number] {
  const pos = xs.filter((x) => x > 0 && Number.isFinite(x));
  if (!pos.length) return [1, 10];
  const lo = Math.min(...pos);
  const hi = Math.max(...pos);
  return [lo / 1.6, hi * 1.6];
}

/** Accuracy axis in whole tens of percent around what is drawn, inside 0..100. */
function percentDomain(ys: number[]): [number, number] {
  const fin = ys.filter(Number.isFinite);
  if (!fin.length) return [0, 100];
  const lo = Math.max(0, Math.floor(Math.min(...fin) / 10) * 10);
  const hi = Math.min(100, Math.ceil(Math.max(...fin) / 10) * 10);
  return hi > lo ? [lo, hi] : [Math.max(0, lo - 10), Math.min(100, hi + 10)];
}

function PointTooltip({ active, payload }: { active?: boolean; payload?: readonly { payload?: unknown }[] }) {
  const p = payload?.[0]?.payload as Point | undefined;
  if (!active || !p) return null;
  return (
    <div className="scatter-tooltip">
      <strong>{p.name}</strong>
      <div>
        {p.y.toFixed(1)}% at {formatShort(p.x)}
      </div>
      <div className="sub">{p.detail}</div>
    </div>
  );
}
