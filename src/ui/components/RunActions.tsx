/**
 * Train, Pause, Resume, Stop and Copy link. Buttons that do nothing in the current phase are disabled, so the
 * keyboard path only stops on what can be done now.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { isActive, type RunPhase } from '../hooks/useTraining';

interface Props {
  phase: RunPhase;
  /** why Train cannot start now (e.g. no files chosen), or null */
  blockedReason: string | null;
  onTrain: () => void;
  onPause: () => void;
  onResume: () => void;
  onStop: () => void;
  /** shown right under the buttons (the run's estimated time) */
  children?: ReactNode;
}

export function RunActions({ phase, blockedReason, onTrain, onPause, onResume, onStop, children }: Props) {
  const active = isActive(phase);
  const blockedId = useId();
  return (
    <div className="run-actions">
      <div className="run-buttons" role="group" aria-label="Run">
        <button
          type="button"
          className="primary"
          disabled={active || blockedReason !== null}
          onClick={onTrain}
          aria-describedby={blockedReason ? blockedId : undefined}
        >
          Train
        </button>
        <button type="button" disabled={phase !== 'running' && phase !== 'loading' && phase !== 'starting'} onClick={onPause}>
          Pause
        </button>
        <button type="button" disabled={phase !== 'paused'} onClick={onResume}>
          Resume
        </button>
        <button type="button" className="danger" disabled={!active || phase === 'stopping'} onClick={onStop}>
          Stop
        </button>
      </div>
      {blockedReason && (
        <p id={blockedId} className="hint">
          {blockedReason}
        </p>
      )}
      {children}
      <div className="share">
        <span className="sub">The link holds every setting.</span>
        <CopyLink />
      </div>
    </div>
  );
}

type CopyState = { kind: 'idle' } | { kind: 'copied' } | { kind: 'manual'; href: string };

/**
 * Copies location.href, which always holds the whole config. When the clipboard API is missing or refused (an
 * insecure origin, a denied permission), the link is shown selected so that Ctrl+C works.
 */
function CopyLink() {
  const [state, setState] = useState<CopyState>({ kind: 'idle' });
  const manualInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const el = manualInput.current;
    if (state.kind !== 'manual' || !el) return;
    el.focus();
    el.select();
    // Deprecated, but the only copy path left without the async clipboard API; if it fails, Ctrl+C does it.
    if (document.execCommand?.('copy')) setState({ kind: 'copied' });
  }, [state.kind]);
  const copy = async () => {
    const href = window.location.href;
    try {
      if (!navigator.clipboard) throw new Error('no clipboard API');
      await navigator.clipboard.writeText(href);
      setState({ kind: 'copied' });
      window.setTimeout(() => setState((s) => (s.kind === 'copied' ? { kind: 'idle' } : s)), 2500);
    } catch {
      // The API is missing or refused: show the link selected (see the effect above).
      setState({ kind: 'manual', href });
    }
  };
  return (
    <>
      <button type="button" className="secondary" onClick={() => void copy()}>
        Copy link
      </button>
      <span role="status" className="copy-status">
        {state.kind === 'copied' && 'Copied'}
      </span>
      {state.kind === 'manual' && (
        <div className="manual-copy">
          <label htmlFor="manual-link">Link (press Ctrl+C to copy)</label>
          <input id="manual-link" readOnly value={state.href} ref={manualInput} onBlur={() => setState({ kind: 'idle' })} />
        </div>
      )}
    </>
  );
}
