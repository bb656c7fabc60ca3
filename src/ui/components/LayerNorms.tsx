/**
 * Each convolution's weight norm and gradient norm at the evaluation points, as small multiples: one box per layer,
 * every box on the same two scales (weights from 0, gradients on a log scale), so a layer whose gradient vanishes
 * sits visibly low among the others.
 */
import { memo } from 'react';
import type { LayerSeries } from '../lib/insight';

export interface LayerNet {
  id: string;
  label: string;
  color: string;
  layers: LayerSeries[];
}

interface Ranges {
  weightMax: number;
  gradMin: number;
  gradMax: number;
}

const W = 100;
const H = 36;

export const LayerNorms = memo(function LayerNorms({ nets, ranges }: { nets: readonly LayerNet[]; ranges: Ranges }) {
  return (
    <div className="layer-norms">
      <p className="layer-legend">
        <span className="key weight" aria-hidden="true" /> weight norm (0 to {ranges.weightMax.toPrecision(3)}){' '}
        <span className="key grad" aria-hidden="true" /> gradient norm (log scale, {ranges.gradMin.toExponential(1)} to {ranges.gradMax.toExponential(1)})
      </p>
      {nets.map((n) => (
        <figure key={n.id} className="layer-net" data-testid="layer-norms" data-net={n.label}>
          <figcaption>
            <span className="swatch" style={{ background: n.color }} aria-hidden="true" />
            <strong>{n.label}</strong> <span className="sub">{n.layers.length} convolutions</span>
          </figcaption>
          <ul className="layer-grid">
            {n.layers.map((s) => (
              <LayerBox key={s.layer} series={s} ranges={ranges} />
            ))}
          </ul>
        </figure>
      ))}
    </div>
  );
});

function LayerBox({ series, ranges }: { series: LayerSeries; ranges: Ranges }) {
  const n = series.steps.length;
  const x = (i: number) => (n === 1 ? W / 2 : (i * W) / (n - 1));
  const yWeight = (v: number) => H - 2 - (v / ranges.weightMax) * (H - 4);
  const logMin = Math.log10(ranges.gradMin);
  const span = Math.log10(ranges.gradMax) - logMin || 1;
  const yGrad = (v: number) => H - 2 - ((Math.log10(Math.max(v, ranges.gradMin)) - logMin) / span) * (H - 4);
  const weight = series.weightNorm.map((v, i) => `${x(i).toFixed(1)},${yWeight(v).toFixed(1)}`).join(' ');
  const grad = series.gradNorm.flatMap((v, i) => (v === null ? [] : [`${x(i).toFixed(1)},${yGrad(v).toFixed(1)}`])).join(' ');
  const lastGrad = series.gradNorm.filter((g): g is number => g !== null).at(-1);
  const summary =
    `${series.layer}: weight norm ${series.weightNorm[0]!.toPrecision(3)} to ${series.weightNorm.at(-1)!.toPrecision(3)}` +
    (lastGrad === undefined ? '' : `, last gradient norm ${lastGrad.toExponential(2)}`);
  return (
    <li className="layer-box" title={summary}>
      <span className="layer-name">{series.layer}</span>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={summary}>
        {n > 1 ? <polyline className="weight" points={weight} /> : <circle className="weight" cx={x(0)} cy={yWeight(series.weightNorm[0]!)} r={2} />}
        {grad &&
          (n > 1 ? <polyline className="grad" points={grad} /> : <circle className="grad" cx={x(0)} cy={yGrad(lastGrad ?? ranges.gradMin)} r={2} />)}
      </svg>
    </li>
  );
}
