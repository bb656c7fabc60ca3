/**
 * The main net: depth, width and dropout (accessible names "Depth", "Width (k)", "Dropout"; tests and
 * documentation rely on them). Depth is a select of the valid 6N+4 values, so an invalid depth cannot be picked.
 */
import { blocksPerGroup, LIMITS, type ModelConfig } from '../../core/config';
import { groupWidths } from '../../core/shape';
import { NumberField, SelectField } from './fields';

/** 10, 16, 22, ... 100: every depth the architecture has (d = 6N + 4) within the limits. */
export const VALID_DEPTHS: readonly number[] = Array.from({ length: (LIMITS.depth.max - 4) / 6 }, (_, i) => 6 * (i + 1) + 4).filter(
  (d) => d >= LIMITS.depth.min,
);

export const DEPTH_OPTIONS = VALID_DEPTHS.map((d) => ({ value: d, label: String(d) }));

/** "6N+4: 2 blocks/group" (the select offers only valid depths). */
function blocksHint(depth: number): string {
  const n = blocksPerGroup(depth);
  return `6N+4: ${n ?? '?'} block${n === 1 ? '' : 's'}/group`;
}

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
        hint={blocksHint(model.depth)}
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
        hint={`${groupWidths(model.width).join('/')} ch.`}
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
