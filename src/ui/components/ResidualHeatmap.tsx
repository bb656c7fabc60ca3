/**
 * Each block's residual contribution r_b = ||F_b(x)|| / ||s_b(x)|| over training, one heatmap per net: rows are the
 * blocks grouped by the three groups, columns the evaluation points, one colour scale shared by every net shown.
 * Values on hover (and as each cell's title); a table of the same values for screen readers.
 */
import { memo, useState, type PointerEvent } from 'react';
import { scaleColor, scaleGradient, type Heatmap } from '../lib/insight';

export interface HeatmapNet {
  id: string;
  label: string;
  color: string;
  map: Heatmap;
  probeImages: number;
}

export const ResidualHeatmaps = memo(function ResidualHeatmaps({ nets, max }: { nets: readonly HeatmapNet[]; max: number }) {
  return (
    <div className="heatmaps">
      <ScaleLegend max={max} />
      <div className="heatmap-list">
        {nets.map((n) => (
          <NetHeatmap key={n.id} net={n} max={max} />
        ))}
      </div>
    </div>
  );
});

function ScaleLegend({ max }: { max: number }) {
  return (
    <div className="heatmap-legend" aria-hidden="true">
      <span>r = 0</span>
      <span className="heatmap-gradient" style={{ background: scaleGradient() }} />
      <span>{max.toFixed(2)}</span>
    </div>
  );
}

function NetHeatmap({ net, max }: { net: HeatmapNet; max: number }) {
  const { map } = net;
  const [hover, setHover] = useState<{ row: number; col: number } | null>(null);
  const cols = map.steps.length;
  const template = `3.4em repeat(${cols}, minmax(2px, 1fr))`;
  // One listener for all cells: the cell under the pointer names its row and column.
  const onOver = (e: PointerEvent<HTMLDivElement>) => {
    const cell = (e.target as HTMLElement).dataset;
    if (cell['row'] !== undefined && cell['col'] !== undefined) setHover({ row: Number(cell['row']), col: Number(cell['col']) });
  };
  const shown = hover ? `${map.blocks[hover.row]} at step ${map.steps[hover.col]}: r = ${map.values[hover.row]![hover.col]!.toFixed(3)}` : null;
  const last = map.values.map((row) => row.at(-1)!);
  const quiet = last.filter((v) => v < 0.1 * max).length;
  return (
    <figure className="heatmap" data-testid="residual-heatmap" data-net={net.label}>
      <figcaption>
        <span className="swatch" style={{ background: net.color }} aria-hidden="true" />
        <strong>{net.label}</strong>{' '}
        <span className="sub">
          {map.blocks.length} blocks, {map.points} evaluation{map.points === 1 ? '' : 's'}
          {cols < map.points ? ` (${cols} shown)` : ''}, {net.probeImages} probe images
        </span>
      </figcaption>
      <p className="heatmap-readout" aria-hidden="true">
        {shown ?? (quiet ? `${quiet} of ${map.blocks.length} blocks end below a tenth of the scale` : 'Point at a cell for its value')}
      </p>
      <div className="heatmap-grid" aria-hidden="true" onPointerMove={onOver} onPointerDown={onOver} onPointerLeave={() => setHover(null)}>
        {map.blocks.map((block, row) => (
          <div
            key={block}
            className={`heatmap-row${row > 0 && map.groups[row] !== map.groups[row - 1] ? ' group-start' : ''}`}
            style={{ gridTemplateColumns: template }}
            data-testid="heatmap-row"
            data-block={block}
          >
            <span className="heatmap-label">{block}</span>
            {map.values[row]!.map((v, col) => (
              <span
                key={map.steps[col]}
                className={`heatmap-cell${hover?.row === row && hover.col === col ? ' hovered' : ''}`}
                style={{ background: scaleColor(v, max) }}
                title={`${block}, step ${map.steps[col]}: r = ${v.toFixed(3)}`}
                data-row={row}
                data-col={col}
              />
            ))}
          </div>
        ))}
        <div className="heatmap-row heatmap-axis" style={{ gridTemplateColumns: template }}>
          <span className="heatmap-label" />
          <span className="heatmap-steps" style={{ gridColumn: `span ${cols}` }}>
            <span>step {map.steps[0]}</span>
            {cols > 1 && <span>step {map.steps.at(-1)}</span>}
          </span>
        </div>
      </div>
      <div className="visually-hidden">
        <table>
          <caption>{net.label}: residual ratio r = ||F(x)|| / ||shortcut(x)|| of each block (rows) at each evaluation step (columns)</caption>
          <thead>
            <tr>
              <th scope="col">block</th>
              {map.steps.map((s) => (
                <th key={s} scope="col">
                  step {s}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {map.blocks.map((block, row) => (
              <tr key={block}>
                <th scope="row">{block}</th>
                {map.values[row]!.map((v, col) => (
                  <td key={map.steps[col]}>{v.toFixed(3)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
