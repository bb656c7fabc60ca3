/** Messages for people: what a link had corrected, and what went wrong in the worker with what to do. */
import { describeCorrections, type Correction } from '../../core/url';
import { SAMPLE } from '../../core/data/sampleInfo';
import { useTrainingClient, useTrainingSelector } from '../hooks/useTraining';
import type { ServerData } from '../hooks/useServerData';
import { formatCount } from '../lib/format';
import { FULL_DOWNLOAD } from './DataSourceControls';

/**
 * The run will train on the built-in sample: why (the person chose it, or this site has no CIFAR-10 ready), which
 * subset sizes it caps, and the full data set one click away with its size.
 */
export function SampleNotice({
  corrections,
  chosen,
  server,
  onFull,
}: {
  corrections: readonly Correction[];
  /** the person or the link chose the sample (else `source=auto` fell back to it) */
  chosen: boolean;
  server: ServerData;
  onFull: () => void;
}) {
  // Chosen and nothing capped: the data section says it all.
  if (chosen && corrections.length === 0) return null;
  const why = chosen
    ? 'Training on the built-in sample'
    : server.state === 'none'
      ? 'This site has no CIFAR-10 server, so training uses the built-in sample'
      : server.state === 'failed'
        ? 'This app’s server has no CIFAR-10 (its download failed), so training uses the built-in sample'
        : 'This app’s server has not downloaded CIFAR-10, so training uses the built-in sample';
  return (
    <div className="notice info" role="status" data-testid="sample-notice">
      <div>
        <strong>
          {why} ({formatCount(SAMPLE.train)} training and {formatCount(SAMPLE.test)} test images).
        </strong>
        {corrections.length > 0 && <CorrectionList corrections={corrections} />}
      </div>
      <button type="button" className="secondary small" onClick={onFull}>
        {server.state === 'none' ? `Use the full CIFAR-10 (${FULL_DOWNLOAD}, your files)` : `Use the full CIFAR-10 (${FULL_DOWNLOAD} download)`}
      </button>
    </div>
  );
}

/** The corrections as a list: a few described one by one, the rest collapsed ("49,988 more like this"). */
function CorrectionList({ corrections }: { corrections: readonly Correction[] }) {
  return (
    <ul>
      {describeCorrections(corrections).map((line, i) => (
        <li key={i}>
          <code>{line}</code>
        </li>
      ))}
    </ul>
  );
}

export function CorrectionNotice({ corrections, onDismiss }: { corrections: readonly Correction[]; onDismiss: () => void }) {
  if (corrections.length === 0) return null;
  return (
    <div className="notice warn" role="status" data-testid="correction-notice">
      <div>
        <strong>The link had values this playground cannot use; they were corrected:</strong>
        <CorrectionList corrections={corrections} />
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
              {e.suggestion && <span className="suggestion"> — {e.suggestion}</span>} <span className="sub">({e.code})</span>{' '}
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
