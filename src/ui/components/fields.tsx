/**
 * Labelled form fields with units and inline validation. A field keeps the person's text while it is invalid
 * (so typing "0." on the way to "0.3" is not fought), shows why it is refused, and commits only valid values;
 * the config, and so the URL, always holds the last valid one.
 */
import { useId, useState, type ReactNode } from 'react';
import type { Config } from '../../core/config';
import { validateField } from '../lib/fieldValidation';

type NumericProp = { [K in keyof Config]: Config[K] extends number ? K : never }[keyof Config];

interface NumberFieldProps<K extends NumericProp> {
  prop: K;
  label: string;
  value: number;
  onCommit: (value: Config[K]) => void;
  /** shown after the input and read as its description, e.g. "images" */
  unit?: string;
  hint?: ReactNode;
  step?: number | 'any';
  min?: number;
  max?: number;
  disabled?: boolean | undefined;
  /** the label is read by assistive technology but not shown (the row has visible column headings) */
  hideLabel?: boolean;
}

export function NumberField<K extends NumericProp>(props: NumberFieldProps<K>) {
  const { prop, label, value, onCommit, unit, hint, step = 'any', min, max, disabled, hideLabel } = props;
  const id = useId();
  const [draft, setDraft] = useState(String(value));
  const [shown, setShown] = useState(value);
  // The value changed from outside (a link, a preset): show it, dropping any half-typed text.
  if (shown !== value) {
    setShown(value);
    setDraft(String(value));
  }
  const result = validateField(prop, draft);
  const error = result.ok ? null : result.message;
  const describedBy = [unit ? `${id}-unit` : '', hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');

  return (
    <div className="field">
      <div className="field-label">
        <label htmlFor={id} className={hideLabel ? 'visually-hidden' : undefined}>
          {label}
        </label>
        {unit && (
          <span id={`${id}-unit`} className="unit">
            {unit}
          </span>
        )}
      </div>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        value={draft}
        step={step}
        min={min}
        max={max}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        onChange={(e) => {
          const text = e.target.value;
          setDraft(text);
          const r = validateField(prop, text);
          if (r.ok && r.value !== value) {
            setShown(r.value as number);
            onCommit(r.value);
          }
        }}
      />
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {label}: {error}
        </p>
      )}
    </div>
  );
}

interface SelectFieldProps<T extends string | number> {
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (value: T) => void;
  hint?: ReactNode;
  disabled?: boolean | undefined;
  hideLabel?: boolean;
}

export function SelectField<T extends string | number>(props: SelectFieldProps<T>) {
  const { label, value, options, onChange, hint, disabled, hideLabel } = props;
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id} className={hideLabel ? 'visually-hidden' : undefined}>
        {label}
      </label>
      <select
        id={id}
        value={String(value)}
        disabled={disabled}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onChange={(e) => {
          const match = options.find((o) => String(o.value) === e.target.value);
          if (match) onChange(match.value);
        }}
      >
        {options.map((o) => (
          <option key={String(o.value)} value={String(o.value)}>
            {o.label}
          </option>
        ))}
      </select>
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
    </div>
  );
}

interface CheckboxFieldProps {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ReactNode;
  disabled?: boolean | undefined;
}

export function CheckboxField({ label, checked, onChange, hint, disabled }: CheckboxFieldProps) {
  const id = useId();
  return (
    <div className="field field-check">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        disabled={disabled}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onChange={(e) => onChange(e.target.checked)}
      />
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
    </div>
  );
}
