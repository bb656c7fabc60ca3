/**
 * The learning rate of the run under way, changed by hand: type a rate and press Enter (or Set) to use it from the
 * next step on, for the rest of this run (every model of a comparison); "Back to schedule" returns to the recipe's
 * schedule. It is deliberately not a config key: the link describes the recipe that a run replays, and a rate
 * changed mid-run by hand is not part of it. The step points say which rate each step used (RunProgress shows it).
 */
import { useId, useState, type FormEvent } from 'react';
import { useTrainingClient, useTrainingSelector, type TrainingView } from '../hooks/useTraining';
import { validateField } from '../lib/fieldValidation';
import { formatRate } from '../lib/format';

/** The rate the current (or last) model's last reported step used; null before the first step. */
function lastStepRateOf(v: TrainingView): number | null {
  const run = (v.currentModel !== null ? v.runs[v.currentModel] : undefined) ?? v.runs.at(-1);
  return run?.steps.at(-1)?.lr ?? null;
}

const HELP =
  'Applies from the next step, for the rest of this run only. It is not saved in the link: the link describes the ' +
  'recipe (Learning rate and Schedule, below), and a rate changed by hand mid-run is not part of it.';

/** Its own subscriber (not App's), so that a schedule that changes the rate every step redraws only this. */
export function LiveLearningRate() {
  const client = useTrainingClient();
  const override = useTrainingSelector((v) => v.lrOverride);
  const lastStepRate = useTrainingSelector(lastStepRateOf);
  const id = useId();
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    // The same bounds as the recipe's `lr` key (1e-6..10), so a rate set here is one a link could hold too.
    const result = validateField('lr', draft);
    if (!result.ok) {
      setError(draft.trim() === '' ? 'enter a number' : result.message);
      return;
    }
    setError(null);
    client.setLearningRate(result.value);
  };

  const describedBy = [`${id}-help`, error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <section className="live-lr" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Learning rate of this run</h3>
      <p className="sub" data-testid="live-lr-mode" aria-live="polite">
        {override === null ? 'Following the schedule' : `Set by hand to ${formatRate(override)}`}
        {lastStepRate !== null && ` · last step used ${formatRate(lastStepRate)}`}
      </p>
      <form className="live-lr-form" onSubmit={submit} noValidate>
        <label htmlFor={id}>New learning rate</label>
        <input
          id={id}
          type="number"
          inputMode="decimal"
          step="any"
          min={1e-6}
          max={10}
          placeholder={lastStepRate !== null ? formatRate(lastStepRate) : 'e.g. 0.01'}
          value={draft}
          title={HELP}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          onChange={(e) => {
            setDraft(e.target.value);
            setError(null);
          }}
        />
        <button type="submit" className="secondary">
          Set
        </button>
        <button type="button" className="secondary" disabled={override === null} onClick={() => client.setLearningRate(null)}>
          Back to schedule
        </button>
      </form>
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          New learning rate: {error}
        </p>
      )}
      <p id={`${id}-help`} className="hint">
        {HELP}
      </p>
    </section>
  );
}
