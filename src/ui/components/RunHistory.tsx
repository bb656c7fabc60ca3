/**
 * The runs kept in this browser: each with its date, models, steps and what became of it; Open (show it alone
 * next to the live run), Compare (add it to those shown), Resume (an interrupted run, from its last checkpoint),
 * Delete (asked inline first). The storage used is shown, and a refused write is an alert that says the run goes
 * on in memory. Every button's accessible name says which run it acts on.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { dateTimeOf, describeRun, type HistoryEntry } from '../history';
import { useHistory, useHistoryView } from '../hooks/useHistory';
import { formatBytes, formatCount } from '../lib/format';
import './RunHistory.css';

interface Props {
  /** resumes a stored run (the page picks its data source); resolves when the run was started */
  onResume: (key: string) => void;
  /** a run holds the worker: Resume must wait */
  busy: boolean;
}

const STATUS_TEXT: Record<HistoryEntry['status'], string> = {
  starting: 'starting',
  loading: 'loading data',
  running: 'training',
  paused: 'paused',
  stopping: 'stopping',
  finished: 'finished',
  stopped: 'stopped',
  failed: 'failed',
  interrupted: 'interrupted',
};

export function RunHistory({ onResume, busy }: Props) {
  const id = useId();
  const history = useHistory();
  const entries = useHistoryView((v) => v.entries);
  const shownKeys = useHistoryView((v) => v.shownKeys);
  const usage = useHistoryView((v) => v.usage);
  const storageError = useHistoryView((v) => v.storageError);
  const note = useHistoryView((v) => v.note);
  const unavailable = useHistoryView((v) => v.unavailable);
  const [confirming, setConfirming] = useState<string | null>(null);
  if (!history) return null;

  return (
    <section className="card run-history" id="run-history" tabIndex={-1} aria-labelledby={`${id}-title`} data-testid="run-history">
      <div className="card-head">
        <h2 id={`${id}-title`}>Run history</h2>
        <p className="sub" data-testid="storage-usage">
          {usage ? `Stored in this browser: ${formatBytes(usage.usage)} of ${formatBytes(usage.quota)} allowed` : 'Runs are kept in this browser.'}
        </p>
      </div>
      {storageError && (
        <p className="notice error" role="alert" data-testid="storage-error">
          {storageError}
        </p>
      )}
      {unavailable && (
        <p className="notice warn" role="alert">
          {unavailable}
        </p>
      )}
      {entries !== null && entries.length === 0 && !unavailable && <p className="hint">No runs yet: each run you train is kept here.</p>}
      {entries && entries.length > 0 && (
        <ul className="history-list" aria-label="Stored runs">
          {entries.map((e) => (
            <HistoryItem
              key={e.run.key}
              entry={e}
              shown={shownKeys.includes(e.run.key)}
              confirming={confirming === e.run.key}
              busy={busy}
              onOpen={() => void history.open(e.run.key)}
              onCompare={() => void history.compare(e.run.key)}
              onHide={() => history.hide(e.run.key)}
              onResume={() => onResume(e.run.key)}
              onAskDelete={() => setConfirming(e.run.key)}
              onCancelDelete={() => setConfirming(null)}
              onDelete={() => {
                setConfirming(null);
                void history.remove(e.run.key);
              }}
            />
          ))}
        </ul>
      )}
      <p role="status" className={note?.kind === 'error' ? 'field-error' : 'sub'} data-testid="history-note">
        {note?.text}
      </p>
    </section>
  );
}

interface ItemProps {
  entry: HistoryEntry;
  shown: boolean;
  confirming: boolean;
  busy: boolean;
  onOpen: () => void;
  onCompare: () => void;
  onHide: () => void;
  onResume: () => void;
  onAskDelete: () => void;
  onCancelDelete: () => void;
  onDelete: () => void;
}

function HistoryItem({ entry, shown, confirming, busy, onOpen, onCompare, onHide, onResume, onAskDelete, onCancelDelete, onDelete }: ItemProps) {
  const { run, status, resumeFrom, live } = entry;
  const what = describeRun(run);
  const models = run.models.filter((m) => m !== null);
  const last = models.at(-1);
  const checkpointStep = resumeFrom?.step ?? (last && last.summary?.status !== 'finished' ? last.checkpointStep : null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const deleteRef = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  // Focus follows the question: onto "Delete for good" when asked, back to "Delete" when cancelled.
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
    else if (wasConfirming.current) deleteRef.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);

  return (
    <li className="history-item" aria-label={what} data-status={status}>
      <div className="history-what">
        <strong>{models.map((m) => m.name).join(' vs ') || 'Run'}</strong> <span className="sub">{dateTimeOf(run.createdAt)}</span>
        <span className={`history-status status-${status}`} data-testid="history-status">
          {live ? 'training in this tab' : STATUS_TEXT[status]}
        </span>
        <div className="sub">
          {models.map((m) => `${m.name}: step ${formatCount(m.lastStep)} of ${formatCount(m.totalSteps)}`).join(' · ')}
          {checkpointStep !== null && ` · checkpoint at step ${formatCount(checkpointStep)}`}
        </div>
      </div>
      {confirming ? (
        <fieldset className="button-row confirm-delete" aria-label={`Delete ${what}?`}>
          <legend>Delete this run and its checkpoint?</legend>
          <button type="button" className="danger small" ref={confirmRef} onClick={onDelete}>
            Delete for good
          </button>
          <button type="button" className="secondary small" onClick={onCancelDelete}>
            Keep it
          </button>
        </fieldset>
      ) : (
        <div className="button-row">
          <button type="button" className="secondary small" onClick={onOpen} aria-label={`Open ${what}`} disabled={live}>
            Open
          </button>
          {shown ? (
            <button type="button" className="secondary small" onClick={onHide} aria-label={`Hide ${what}`}>
              Hide
            </button>
          ) : (
            <button type="button" className="secondary small" onClick={onCompare} aria-label={`Compare ${what}`} disabled={live}>
              Compare
            </button>
          )}
          {resumeFrom && (
            <button type="button" className="primary small" onClick={onResume} disabled={busy} aria-label={`Resume ${what} from step ${resumeFrom.step}`}>
              Resume
            </button>
          )}
          <button type="button" className="danger small" ref={deleteRef} onClick={onAskDelete} disabled={live} aria-label={`Delete ${what}`}>
            Delete
          </button>
        </div>
      )}
    </li>
  );
}
