/**
 * How a comparison is run: repeats (seeds), order (one after another, or taking turns so that the curves grow
 * together) and the budget each net gets (equal epochs, equal active seconds or equal training FLOPs). Each control
 * writes its URL key (seeds, order, budget); an amount is checked with the codec's own rules before it is kept.
 */
import { useId, useState } from 'react';
import { LIMITS, seedsOf, type Budget, type Config } from '../../core/config';
import { decodeConfig, encodeBudget } from '../../core/url';
import { NumberField, SelectField } from './fields';

interface Props {
  config: Config;
  onChange: (patch: Partial<Config>) => void;
  disabled?: boolean | undefined;
}

const ORDER_OPTIONS = [
  { value: 'sequential', label: 'One by one' },
  { value: 'interleaved', label: 'Racing' },
] as const;

const BUDGET_OPTIONS = [
  { value: 'epochs', label: 'Epochs' },
  { value: 'time', label: 'Time' },
  { value: 'flops', label: 'FLOPs' },
] as const;

/** What a newly chosen budget starts at: ten minutes, or about 3 epochs of 5,000 images for WRN-16-4. */
const DEFAULT_AMOUNT = { time: 600, flops: 2e16 } as const;

export function CompareSchedule({ config, onChange, disabled }: Props) {
  const seeds = seedsOf(config);
  return (
    <div className="compare-schedule">
      <div className="field-grid">
        <NumberField
          prop="seeds"
          label="Seeds per net"
          value={config.seeds}
          onCommit={(n) => onChange({ seeds: n })}
          step={1}
          min={LIMITS.seeds.min}
          max={LIMITS.seeds.max}
          disabled={disabled}
          hint={seeds.length > 1 ? `seeds ${seeds[0]}–${seeds.at(-1)}` : `seed ${seeds[0]}`}
        />
        <SelectField label="Order" value={config.order} options={ORDER_OPTIONS} onChange={(order) => onChange({ order })} disabled={disabled} />
      </div>
      <div className="field-grid">
        <SelectField
          label="Budget per net"
          value={config.budget.kind}
          options={BUDGET_OPTIONS}
          disabled={disabled}
          onChange={(kind) =>
            onChange({
              budget: kind === 'epochs' ? { kind } : kind === 'time' ? { kind, seconds: DEFAULT_AMOUNT.time } : { kind, flops: DEFAULT_AMOUNT.flops },
            })
          }
        />
        {config.budget.kind !== 'epochs' && <BudgetAmount budget={config.budget} onCommit={(budget) => onChange({ budget })} disabled={disabled} />}
      </div>
      <p className="hint">
        {config.budget.kind === 'epochs'
          ? `Every net trains ${config.epochs} ${config.epochs === 1 ? 'epoch' : 'epochs'}.`
          : config.budget.kind === 'time'
            ? 'Every net trains until its own active training time reaches the budget (pauses and other nets’ turns do not count); the learning-rate schedule spans the budget.'
            : 'Every net trains until its training FLOPs reach the budget: a wide net takes fewer steps; the schedule spans the budget.'}
        {config.order === 'interleaved'
          ? ' Racing: the nets take turns of a few steps each on the same device, so their curves grow together.'
          : ' One by one: each net trains to its end before the next starts.'}
      </p>
    </div>
  );
}

function BudgetAmount({
  budget,
  onCommit,
  disabled,
}: {
  budget: Exclude<Budget, { kind: 'epochs' }>;
  onCommit: (b: Budget) => void;
  disabled?: boolean | undefined;
}) {
  const id = useId();
  const value = budget.kind === 'time' ? budget.seconds : budget.flops;
  const [draft, setDraft] = useState(String(value));
  const [shown, setShown] = useState(encodeBudget(budget));
  if (shown !== encodeBudget(budget)) {
    setShown(encodeBudget(budget));
    setDraft(String(value));
  }
  const parse = (text: string): { budget: Budget } | { error: string } => {
    const { config, corrections } = decodeConfig(`budget=${budget.kind}:${encodeURIComponent(text.trim())}`);
    const c = corrections[0];
    return c ? { error: c.reason.split(';')[0] ?? c.reason } : { budget: config.budget };
  };
  const result = parse(draft);
  const error = 'error' in result ? result.error : null;
  const unit = budget.kind === 'time' ? 's per net' : 'FLOPs per net';
  return (
    <div className="field">
      <div className="field-label">
        <label htmlFor={id}>{budget.kind === 'time' ? 'Seconds' : 'Training FLOPs'}</label>
        <span id={`${id}-unit`} className="unit">
          {unit}
        </span>
      </div>
      <input
        id={id}
        type="text"
        inputMode="decimal"
        value={draft}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-unit${error ? ` ${id}-error` : ''}`}
        onChange={(e) => {
          setDraft(e.target.value);
          const r = parse(e.target.value);
          if ('budget' in r && encodeBudget(r.budget) !== encodeBudget(budget)) {
            setShown(encodeBudget(r.budget));
            onCommit(r.budget);
          }
        }}
      />
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
