/** 10x10 confusion matrix: rows are true classes, columns predictions, cells shaded by share of the row. */
import { memo } from 'react';
import { CLASS_NAMES } from '../../core/data/dataset';
import { TableScroll } from './TableScroll';

interface Props {
  /** confusion[true * 10 + predicted] counts */
  confusion: readonly number[];
  selected: number | null;
  onSelect: (cls: number | null) => void;
}

export const ConfusionMatrix = memo(function ConfusionMatrix({ confusion, selected, onSelect }: Props) {
  const rowTotals = CLASS_NAMES.map((_, t) => CLASS_NAMES.reduce((n, _c, p) => n + (confusion[t * 10 + p] ?? 0), 0));
  return (
    <TableScroll label="Confusion matrix">
      <table className="confusion" data-testid="confusion-matrix">
        <caption>Confusion matrix (rows: true class, columns: predicted)</caption>
        <thead>
          <tr>
            <th scope="col">
              <span className="visually-hidden">true class</span>
            </th>
            {CLASS_NAMES.map((name) => (
              <th key={name} scope="col" className="rot">
                <span>{name}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {CLASS_NAMES.map((name, t) => (
            <tr key={name} className={selected === t ? 'selected' : undefined}>
              <th scope="row">
                <button
                  type="button"
                  className="link"
                  aria-pressed={selected === t}
                  onClick={() => onSelect(selected === t ? null : t)}
                  title={`Show the mistakes on ${name}`}
                >
                  {name}
                </button>
              </th>
              {CLASS_NAMES.map((pname, p) => {
                const count = confusion[t * 10 + p] ?? 0;
                const share = rowTotals[t] ? count / rowTotals[t]! : 0;
                return (
                  <td
                    key={pname}
                    className={t === p ? 'diag' : undefined}
                    // at most a 60% tint: the count's dark text stays readable on the strongest cell (4.5:1)
                    style={{ background: `color-mix(in srgb, ${t === p ? 'var(--good)' : 'var(--bad)'} ${Math.round(share * 60)}%, transparent)` }}
                    title={`${name} predicted as ${pname}: ${count}`}
                  >
                    {count}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
});
