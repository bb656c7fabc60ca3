/**
 * When a comparison has ended, what it shows in one line: which net is ahead, by how much and whether that is beyond
 * the noise, in the words of the comparison table ("Is the difference real?"), which gives the test's details.
 */
import { useMemo } from 'react';
import { useTrainingSelector } from '../hooks/useTraining';
import { groupByNet, verdictsAgainstMain } from '../lib/comparison';
import { JumpLink } from './JumpLink';

/** The id of the comparison table's card, which the verdict links to. */
export const COMPARISON_ID = 'comparison-details';

export function RunVerdict() {
  const phase = useTrainingSelector((v) => v.phase);
  const runs = useTrainingSelector((v) => v.runs);
  const verdicts = useMemo(() => verdictsAgainstMain(groupByNet(runs)).filter((v) => v !== null && v.test !== 'none'), [runs]);
  if (phase !== 'finished' || verdicts.length === 0) return null;
  return (
    <p className="run-verdict" role="status" data-testid="run-verdict" data-significant={verdicts.some((v) => v?.significant)}>
      <strong>Result:</strong> {verdicts.map((v) => v!.headline).join('; ')}. <JumpLink to={COMPARISON_ID}>How sure is that?</JumpLink>
    </p>
  );
}
