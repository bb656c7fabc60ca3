/**
 * After a reload or a crash: says at the top of the page that the latest run was interrupted, with Resume at hand
 * (the full list is under Run history, further down).
 */
import { describeRun } from '../history';
import { useHistoryView } from '../hooks/useHistory';
import { useTrainingSelector } from '../hooks/useTraining';

function showHistory() {
  const section = document.getElementById('run-history');
  section?.scrollIntoView({ block: 'start' });
  section?.focus({ preventScroll: true });
}

export function ResumeNotice({ onResume, busy }: { onResume: (key: string) => void; busy: boolean }) {
  const latest = useHistoryView((v) => v.entries?.[0] ?? null);
  const phase = useTrainingSelector((v) => v.phase);
  // Shown while nothing trains in this tab, or right after its run was interrupted.
  if (latest?.status !== 'interrupted' || (phase !== 'idle' && phase !== 'interrupted')) return null;
  const what = describeRun(latest.run);
  const from = latest.resumeFrom;
  return (
    <div className="notice warn" role="status" data-testid="resume-notice">
      <p>
        <strong>{what} was interrupted</strong>
        {from ? ` (its last checkpoint is at step ${from.step}).` : ' before its first checkpoint; its curves are kept.'}{' '}
      </p>
      {/* A button, not a #fragment link: the page's hash holds the config. */}
      <button type="button" className="secondary small" onClick={showHistory}>
        Show Run history
      </button>
      {from && (
        <button
          type="button"
          className="primary small"
          disabled={busy}
          onClick={() => onResume(latest.run.key)}
          aria-label={`Resume ${what} from step ${from.step}`}
        >
          Resume
        </button>
      )}
    </div>
  );
}
