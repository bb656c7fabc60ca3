/**
 * After an evaluation: the confusion matrix, accuracy per class and test images with their predictions, for one
 * run at a time. Clicking a class shows that class's mistakes in the image grid.
 */
import { useCallback, useId, useState } from 'react';
import type { TestSamples } from '../../core/data/dataset';
import { runLabel } from '../lib/comparison';
import type { RunRecord } from '../lib/runRecord';
import { ConfusionMatrix } from './ConfusionMatrix';
import { PerClassAccuracy } from './PerClassAccuracy';
import { SampleGrid } from './SampleGrid';

interface Props {
  runs: readonly RunRecord[];
  samples: TestSamples | null;
  /** the test image picked for feature maps, and how to pick one */
  picked?: number | null;
  onPick?: ((index: number) => void) | null;
}

export function EvaluationViews({ runs, samples, picked = null, onPick = null }: Props) {
  const id = useId();
  const evaluated = runs.filter((r) => r.evals.length > 0 && r.evals.at(-1)!.confusion.length === 100);
  const [chosenId, setChosenId] = useState<string | null>(null);
  const [mistakesOf, setMistakesOf] = useState<number | null>(null);
  // Stable, so that the memoised image grid is not redrawn on every metrics update.
  const showAll = useCallback(() => setMistakesOf(null), []);
  // By default the latest live run (just trained, or weights just opened); imported curves only when alone.
  const run = evaluated.find((r) => r.id === chosenId) ?? evaluated.filter((r) => !r.imported).at(-1) ?? evaluated.at(-1);
  if (!run) return null;
  const last = run.evals.at(-1)!;
  // Predictions exist for live runs once the model has ended; they are per test image, in test-set order.
  const predictions = run.imported ? null : (run.summary?.predictions ?? null);

  return (
    <section className="card evaluation" aria-labelledby={`${id}-title`}>
      <div className="card-head">
        <h2 id={`${id}-title`}>Evaluation</h2>
        {evaluated.length > 1 && (
          <div className="inline-field">
            <label htmlFor={id}>Model</label>
            <select id={id} value={run.id} onChange={(e) => setChosenId(e.target.value)}>
              {evaluated.map((r) => (
                <option key={r.id} value={r.id}>
                  {runLabel(r, runs)}
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      <p className="sub">
        {runLabel(run, runs)} at step {last.step} (epoch {last.epoch.toFixed(2)}), {last.testImages.toLocaleString('en-US')} test images:{' '}
        {(100 * last.testAccuracy).toFixed(1)}% right.
      </p>
      <div className="eval-grid">
        <ConfusionMatrix confusion={last.confusion} selected={mistakesOf} onSelect={setMistakesOf} />
        <PerClassAccuracy confusion={last.confusion} selected={mistakesOf} onSelect={setMistakesOf} />
      </div>
      {samples && <SampleGrid samples={samples} predictions={predictions} mistakesOf={mistakesOf} onShowAll={showAll} picked={picked} onPick={onPick} />}
    </section>
  );
}
