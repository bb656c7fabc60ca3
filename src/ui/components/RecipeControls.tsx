/**
 * The training recipe: everything in the config besides the nets and the data URL. Defaults are the paper's
 * (SGD, Nesterov momentum 0.9, lr 0.1 x0.2 at 30/60/80%, weight decay 5e-4, batch 128, flip + crop), with the run
 * scaled down so a browser finishes in minutes.
 */
import { BACKENDS, LIMITS, SCHEDULES, SUBSETS, type Config } from '../../core/config';
import { CheckboxField, NumberField, SelectField } from './fields';

interface Props {
  config: Config;
  onChange: (patch: Partial<Config>) => void;
  disabled?: boolean;
}

const SCHEDULE_LABELS: Record<Config['schedule'], string> = {
  step: 'step ×0.2 (paper)',
  cosine: 'cosine to 0',
  constant: 'constant',
};

const SUBSET_LABELS: Record<Config['subset'], string> = {
  first: 'first N images',
  balanced: 'N/10 per class',
};

const BACKEND_LABELS: Record<Config['backend'], string> = {
  auto: 'auto',
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WASM (CPU)',
  cpu: 'plain JS',
};

export function RecipeControls({ config, onChange, disabled }: Props) {
  const c = config;
  return (
    <section className="panel-section" aria-labelledby="recipe-title">
      <h2 id="recipe-title">Recipe</h2>
      <div className="field-grid two">
        <NumberField
          prop="batch"
          label="Batch size"
          value={c.batch}
          onCommit={(batch) => onChange({ batch })}
          unit="images"
          step={1}
          min={LIMITS.batch.min}
          max={LIMITS.batch.max}
          disabled={disabled}
        />
        <NumberField
          prop="epochs"
          label="Epochs"
          value={c.epochs}
          onCommit={(epochs) => onChange({ epochs })}
          step={1}
          min={LIMITS.epochs.min}
          max={LIMITS.epochs.max}
          disabled={disabled}
        />
        <NumberField
          prop="train"
          label="Train images"
          value={c.train}
          onCommit={(train) => onChange({ train })}
          unit="of 50,000"
          step={1}
          min={LIMITS.train.min}
          max={LIMITS.train.max}
          disabled={disabled}
        />
        <NumberField
          prop="test"
          label="Test images"
          value={c.test}
          onCommit={(test) => onChange({ test })}
          unit="of 10,000"
          step={1}
          min={LIMITS.test.min}
          max={LIMITS.test.max}
          disabled={disabled}
        />
        <NumberField
          prop="lr"
          label="Learning rate"
          value={c.lr}
          onCommit={(lr) => onChange({ lr })}
          unit="peak"
          step="any"
          min={LIMITS.lr.min}
          max={LIMITS.lr.max}
          disabled={disabled}
        />
        <NumberField
          prop="warmup"
          label="Warm-up"
          value={c.warmup}
          onCommit={(warmup) => onChange({ warmup })}
          unit="epochs"
          step="any"
          min={LIMITS.warmup.min}
          max={LIMITS.warmup.max}
          disabled={disabled}
        />
        <SelectField
          label="Schedule"
          value={c.schedule}
          disabled={disabled}
          hint={c.schedule === 'step' ? 'lr ×0.2 at 30, 60, 80% of the run' : undefined}
          options={SCHEDULES.map((s) => ({ value: s, label: SCHEDULE_LABELS[s] }))}
          onChange={(schedule) => onChange({ schedule })}
        />
        <NumberField
          prop="momentum"
          label="Momentum"
          value={c.momentum}
          onCommit={(momentum) => onChange({ momentum })}
          unit="paper: 0.9"
          step={0.01}
          min={LIMITS.momentum.min}
          max={LIMITS.momentum.max}
          disabled={disabled}
        />
        <NumberField
          prop="wd"
          label="Weight decay"
          value={c.wd}
          onCommit={(wd) => onChange({ wd })}
          unit="paper: 5e-4"
          step="any"
          min={LIMITS.wd.min}
          max={LIMITS.wd.max}
          disabled={disabled}
        />
        <NumberField
          prop="seed"
          label="Seed"
          value={c.seed}
          onCommit={(seed) => onChange({ seed })}
          step={1}
          min={LIMITS.seed.min}
          max={LIMITS.seed.max}
          disabled={disabled}
        />
        <NumberField
          prop="evalEvery"
          label="Evaluate every"
          value={c.evalEvery}
          onCommit={(evalEvery) => onChange({ evalEvery })}
          unit="steps"
          hint="0 = once per epoch"
          step={1}
          min={LIMITS.evalEvery.min}
          max={LIMITS.evalEvery.max}
          disabled={disabled}
        />
        <SelectField
          label="Subset"
          value={c.subset}
          disabled={disabled}
          options={SUBSETS.map((s) => ({ value: s, label: SUBSET_LABELS[s] }))}
          onChange={(subset) => onChange({ subset })}
        />
        <SelectField
          label="Backend"
          value={c.backend}
          disabled={disabled}
          hint={c.backend === 'auto' ? 'fastest that works here' : undefined}
          options={BACKENDS.map((b) => ({ value: b, label: BACKEND_LABELS[b] }))}
          onChange={(backend) => onChange({ backend })}
        />
      </div>
      <div className="check-row">
        <CheckboxField label="Nesterov" checked={c.nesterov} onChange={(nesterov) => onChange({ nesterov })} disabled={disabled} />
        <CheckboxField label="Augment (flip + crop)" checked={c.augment} onChange={(augment) => onChange({ augment })} disabled={disabled} />
      </div>
    </section>
  );
}
