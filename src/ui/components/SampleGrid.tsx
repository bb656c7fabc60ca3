/**
 * Test images (the worker's 'samples': CHW uint8 records) drawn on canvases, with true and predicted labels.
 * Mistakes are outlined; a class filter shows only that class's mistakes.
 */
import { memo, useEffect, useRef } from 'react';
import { CLASS_NAMES } from '../../core/data/dataset';
import type { TestSamples } from '../../core/data/dataset';
import { chwToRgba, selectSamples } from '../lib/evaluation';

interface Props {
  samples: TestSamples;
  predictions: ArrayLike<number> | null;
  mistakesOf: number | null;
  onShowAll: () => void;
  /** the image picked for its feature maps (index into `samples`), and how to pick one; absent: no picking */
  picked?: number | null;
  onPick?: ((index: number) => void) | null;
}

export const SampleGrid = memo(function SampleGrid({ samples, predictions, mistakesOf, onShowAll, picked = null, onPick = null }: Props) {
  const items = selectSamples(samples.labels, predictions, mistakesOf);
  const className = mistakesOf === null ? null : (CLASS_NAMES[mistakesOf] ?? null);
  return (
    <div className="samples">
      <div className="card-head">
        <h3>
          {className ? `Mistakes on ${className}` : 'Test images'}
          <span className="sub"> ({items.length} shown)</span>
        </h3>
        {mistakesOf !== null && (
          <button type="button" className="secondary small" onClick={onShowAll}>
            Show all images
          </button>
        )}
      </div>
      {!predictions && <p className="hint">Predictions appear when the model has finished (or been stopped).</p>}
      {onPick && <p className="hint">Pick an image to see each net's feature maps under Inside the nets.</p>}
      {items.length === 0 && mistakesOf !== null && <p className="empty">No mistakes on {className} among these images.</p>}
      <ul className="sample-grid" data-testid="sample-grid">
        {items.map((it) => (
          <SampleImage
            key={it.index}
            pixels={samples.pixels}
            index={it.index}
            label={it.label}
            predicted={it.predicted}
            picked={picked === it.index}
            onPick={onPick}
          />
        ))}
      </ul>
    </div>
  );
});

function SampleImage({
  pixels,
  index,
  label,
  predicted,
  picked,
  onPick,
}: {
  pixels: Uint8Array;
  index: number;
  label: number;
  predicted: number | null;
  picked: boolean;
  onPick: ((index: number) => void) | null;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (ctx) ctx.putImageData(new ImageData(chwToRgba(pixels, index), 32, 32), 0, 0);
  }, [pixels, index]);
  const truth = CLASS_NAMES[label] ?? String(label);
  const guess = predicted === null ? null : (CLASS_NAMES[predicted] ?? String(predicted));
  const wrong = guess !== null && predicted !== label;
  const body = (
    <>
      <canvas ref={canvas} width={32} height={32} role="img" aria-label={`${truth}${guess ? `, predicted ${guess}` : ''}`} />
      <span className="caption">
        {truth}
        {guess && <span className={wrong ? 'bad' : 'good'}>{wrong ? `→ ${guess}` : '✓'}</span>}
      </span>
    </>
  );
  const kind = wrong ? 'wrong' : guess ? 'right' : '';
  return (
    <li className={`${kind}${picked ? ' picked' : ''}`.trim() || undefined}>
      {onPick ? (
        <button type="button" className="sample-pick" aria-pressed={picked} title="Show its feature maps" onClick={() => onPick(index)}>
          {body}
        </button>
      ) : (
        body
      )}
    </li>
  );
}
