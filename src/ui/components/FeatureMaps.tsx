/**
 * What each net sees in the picked test image: after each group (its output after batch norm and ReLU), the 16 most
 * active channels as grayscale tiles on one scale per group, nets side by side.
 */
import { memo, useEffect, useRef } from 'react';
import type { GroupFeatures } from '../../core/insight/features';

export type FeaturesState = { status: 'waiting' } | { status: 'done'; groups: GroupFeatures[] } | { status: 'failed'; message: string };

export interface FeatureNet {
  key: string;
  label: string;
  color: string;
  state: FeaturesState;
}

export const FeatureMaps = memo(function FeatureMaps({ nets, idle }: { nets: readonly FeatureNet[]; idle: boolean }) {
  return (
    <div className="feature-nets">
      {nets.map((n) => (
        <figure key={n.key} className="feature-net" data-testid="feature-net" data-net={n.label}>
          <figcaption>
            <span className="swatch" style={{ background: n.color }} aria-hidden="true" />
            <strong>{n.label}</strong>
          </figcaption>
          {n.state.status === 'waiting' && <p className="sub">{idle ? 'Computing…' : 'Computed when the run ends.'}</p>}
          {n.state.status === 'failed' && <p className="bad">Failed: {n.state.message}</p>}
          {n.state.status === 'done' &&
            n.state.groups.map((g) => (
              <div key={g.group} className="feature-group">
                <span className="sub">
                  group {g.group}: {g.size}×{g.size}, the {g.maps.length} most active of {g.channels} channels
                </span>
                <ul className="feature-tiles">
                  {g.maps.map((m) => (
                    <FeatureTile
                      key={m.channel}
                      size={g.size}
                      values={m.values}
                      max={g.max}
                      label={`group ${g.group}, channel ${m.channel}, mean ${m.mean.toFixed(3)}`}
                    />
                  ))}
                </ul>
              </div>
            ))}
        </figure>
      ))}
    </div>
  );
});

function FeatureTile({ size, values, max, label }: { size: number; values: Float32Array; max: number; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    const rgba = new Uint8ClampedArray(size * size * 4);
    for (let i = 0; i < size * size; i++) {
      const v = max > 0 ? Math.round((255 * values[i]!) / max) : 0;
      rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v;
      rgba[4 * i + 3] = 255;
    }
    ctx.putImageData(new ImageData(rgba, size, size), 0, 0);
  }, [size, values, max]);
  return (
    <li title={label}>
      <canvas ref={canvas} width={size} height={size} data-testid="feature-tile" role="img" aria-label={label} />
    </li>
  );
}
