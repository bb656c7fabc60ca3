/** Accuracy per true class as bars; each class is a button that filters the image grid to its mistakes. */
import { memo } from 'react';
import { CLASS_NAMES } from '../../core/data/dataset';
import { perClassAccuracy } from '../lib/evaluation';

interface Props {
  confusion: readonly number[];
  selected: number | null;
  onSelect: (cls: number | null) => void;
}

export const PerClassAccuracy = memo(function PerClassAccuracy({ confusion, selected, onSelect }: Props) {
  const acc = perClassAccuracy(confusion);
  return (
    <div className="per-class">
      <h3>Accuracy per class</h3>
      <ul data-testid="per-class-accuracy">
        {CLASS_NAMES.map((name, c) => {
          const a = acc[c] ?? Number.NaN;
          const text = Number.isNaN(a) ? 'no images' : `${(100 * a).toFixed(0)}%`;
          return (
            <li key={name}>
              <button
                type="button"
                className={`class-bar${selected === c ? ' selected' : ''}`}
                aria-pressed={selected === c}
                onClick={() => onSelect(selected === c ? null : c)}
              >
                {/* the name read out is the text shown ("bird 40%"), then what pressing does */}
                <span className="class-name">{name}</span>
                <span className="bar" aria-hidden="true">
                  <span style={{ width: `${Number.isNaN(a) ? 0 : 100 * a}%` }} />
                </span>
                <span className="class-value">{text}</span>
                <span className="visually-hidden">, show its mistakes</span>
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
});
