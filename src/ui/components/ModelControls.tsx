/**
 * The main net: depth, width and dropout (accessible names "Depth", "Width (k)", "Dropout"; tests and
 * documentation rely on them). Depth is a select of the valid 6N+4 values, so an invalid depth cannot be picked.
 */
import { LIMITS, type ModelConfig } from '../../core/config';
import { NumberField, SelectField } from './fields';

/** 10, 16, 22, ... 100: every depth the architecture has (d = 6N + 4) within the limits. */
export const VALID_DEPTHS: readonly number[] = Array.from(
  { length: (LIMITS.depth.max - 4) / 6 },
  (_, i) => 6 * (i + 1) + 4,
).filter((d) => d >= LIMITS.depth.min);

export const DEPTH_OPTIONS = VALID_DEPTHS.map((d) => ({ value: d, label: String(d) }));

interface Props {
  model: ModelConfig;
  onChange: (model: ModelConfig) => void;
  disabled?: boolean;
}

export function ModelControls({ model, onChange, disabled }: Props) {
  return (
    <div className="field-grid model-fields">
      <SelectField
        label="Depth"
        value={model.depth}
        options={DEPTH_OPTIONS}
        onChange={(depth) => onChange({ ...model, depth })}
        hint={`6N+4: ${(model.depth - 4) / 6} block${model.depth === 10 ? '' : 's'}/group`}
        disabled={disabled}
      />
      <NumberField
        prop="width"
        label="Width (k)"
        value={model.width}
        onCommit={(width) => onChange({ ...model, width })}
        step={1}
        min={LIMITS.width.min}
        max={LIMITS.width.max}
        hint={`${16 * model.width}/${32 * model.width}/${64 * model.width} ch.`}
        disabled={disabled}
      />
      <NumberField
        prop="dropout"
        label="Dropout"
        value={model.dropout}
        onCommit={(dropout) => onChange({ ...model, dropout })}
        step={0.05}
        min={LIMITS.dropout.min}
        max={LIMITS.dropout.max}
        hint="0 = off"
        disabled={disabled}
      />
    </div>
  );
}
