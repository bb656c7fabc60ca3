/** Messages for people: what a link had corrected, and what went wrong in the worker with what to do. */
import { describeCorrection, type Correction } from '../../core/url';
import { useTrainingClient, useTrainingSelector } from '../hooks/useTraining';

export function CorrectionNotice({ corrections, onDismiss }: { corrections: readonly Correction[]; onDismiss: () => void }) {
  if (corrections.length === 0) return null;
  return (
    <div className="notice warn" role="status" data-testid="correction-notice">
      <div>
        <strong>The link had values this playground cannot use; they were corrected:</strong>
        <ul>
          {corrections.map((c, i) => (
            <li key={i}>
              <code>{describeCorrection(c)}</code>
            </li>
          ))}
        </ul>
      </div>
      <button type="button" className="secondary small" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}

export function ErrorNotices() {
  const errors = useTrainingSelector((v) => v.errors);
  const client = useTrainingClient();
  if (errors.length === 0) return null;
  return (
    <div className="notice error" role="alert" data-testid="error-notice">
      <div>
        <strong>{errors.length === 1 ? 'Something went wrong' : `${errors.length} problems`}</strong>
        <ul>
          {errors.map((e) => (
            <li key={e.id}>
              {e.message}
              {e.suggestion && <span className="suggestion"> — {e.suggestion}</span>}{' '}
              <span className="sub">({e.code})</span>{' '}
              <button type="button" className="link" onClick={() => client.dismissError(e.id)} aria-label={`Dismiss: ${e.message}`}>
                Dismiss
              </button>
            </li>
          ))}
        </ul>
        <p className="sub">Curves so far are kept.</p>
      </div>
      {errors.length > 1 && (
        <button type="button" className="secondary small" onClick={() => client.clearErrors()}>
          Dismiss all
        </button>
      )}
    </div>
  );
}
