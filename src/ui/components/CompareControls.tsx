/**
 * The comparison list: more nets trained with the same recipe, seeds and data (in turn or racing, CompareSchedule).
 * Each row is a
 * WRN-d-k with its own dropout. Row labels avoid the words "Depth", "Width" and "Dropout" on purpose: those
 * accessible names belong to the main model's controls, which tests find by label.
 */
import { useId, useState } from 'react';
import { LIMITS, modelName, type Config, type ModelConfig } from '../../core/config';
import { wrnCost } from '../../core/cost';
import { formatShort } from '../lib/format';
import { applyPreset, PRESETS } from '../lib/presets';
import { CompareSchedule } from './CompareSchedule';
import { DEPTH_OPTIONS } from './ModelControls';
import { NumberField, SelectField } from './fields';

interface Props {
  config: Config;
  onChange: (config: Config) => void;
  disabled?: boolean;
}

export function CompareControls({ config, onChange, disabled }: Props) {
  const presetId = useId();
  const [preset, setPreset] = useState(PRESETS[0]!.id);
  const chosen = PRESETS.find((p) => p.id === preset);
  const setCompare = (compare: ModelConfig[]) => onChange({ ...config, compare });
  const full = config.compare.length >= LIMITS.compare.max;

  return (
    <section className="panel-section" aria-labelledby="compare-title">
      <h2 id="compare-title">Compare</h2>
      <p className="hint">Extra nets trained with the same recipe, seeds and data as the main one; their curves overlay.</p>
      <div className="preset-row">
        <label htmlFor={presetId}>Preset</label>
        <select id={presetId} value={preset} disabled={disabled} onChange={(e) => setPreset(e.target.value)}>
          {PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
        </select>
        <button type="button" disabled={disabled || !chosen} onClick={() => chosen && onChange(applyPreset(config, chosen))}>
          Apply preset
        </button>
      </div>
      {chosen && (
        <p className="hint">
          {chosen.models.map((m) => `${modelName(m)}: ${formatShort(wrnCost(m).params)} params`).join(' vs ')} — {chosen.note}
        </p>
      )}
      {config.compare.length > 0 && (
        <ol className="compare-list">
          <li className="compare-head" aria-hidden="true">
            <span>net</span>
            <span>layers d</span>
            <span>k</span>
            <span>drop rate</span>
            <span />
          </li>
          {config.compare.map((m, i) => (
            <CompareRow
              key={i}
              index={i + 2}
              model={m}
              disabled={disabled}
              onChange={(next) => setCompare(config.compare.map((old, j) => (j === i ? next : old)))}
              onRemove={() => setCompare(config.compare.filter((_, j) => j !== i))}
            />
          ))}
        </ol>
      )}
      <button type="button" className="secondary" disabled={disabled || full} onClick={() => setCompare([...config.compare, counterpart(config)])}>
        Add model
      </button>
      {full && <p className="hint">At most {LIMITS.compare.max} comparison models.</p>}
      <CompareSchedule config={config} onChange={(patch) => onChange({ ...config, ...patch })} disabled={disabled} />
    </section>
  );
}

interface RowProps {
  /** 1-based position among all models (the main one is 1) */
  index: number;
  model: ModelConfig;
  onChange: (model: ModelConfig) => void;
  onRemove: () => void;
  disabled?: boolean | undefined;
}

function CompareRow({ index, model, onChange, onRemove, disabled }: RowProps) {
  const name = modelName(model);
  return (
    <li className="compare-row" aria-label={`Model ${index}: ${name}`}>
      <span className="compare-name">{name}</span>
      <div className="field-grid compact">
        <SelectField
          label={`Model ${index} layers`}
          value={model.depth}
          options={DEPTH_OPTIONS}
          onChange={(depth) => onChange({ ...model, depth })}
          disabled={disabled}
          hideLabel
        />
        <NumberField
          prop="width"
          label={`Model ${index} k`}
          value={model.width}
          onCommit={(width) => onChange({ ...model, width })}
          step={1}
          min={LIMITS.width.min}
          max={LIMITS.width.max}
          disabled={disabled}
          hideLabel
        />
        <NumberField
          prop="dropout"
          label={`Model ${index} drop rate`}
          value={model.dropout}
          onCommit={(dropout) => onChange({ ...model, dropout })}
          step={0.05}
          min={LIMITS.dropout.min}
          max={LIMITS.dropout.max}
          disabled={disabled}
          hideLabel
        />
      </div>
      <button type="button" className="secondary small" disabled={disabled} onClick={onRemove} aria-label={`Remove ${name}`}>
        Remove
      </button>
    </li>
  );
}

/** A sensible net to add: the main one twice as wide (the paper's question), or one step deeper when at max width. */
function counterpart(config: Config): ModelConfig {
  if (config.width * 2 <= LIMITS.width.max) return { depth: config.depth, width: config.width * 2, dropout: config.dropout };
  return { depth: Math.min(config.depth + 6, LIMITS.depth.max), width: config.width, dropout: config.dropout };
}
