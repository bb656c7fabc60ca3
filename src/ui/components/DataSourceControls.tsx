/**
 * Where CIFAR-10 comes from: the app's server (default), files the person picks or drops (read in the worker,
 * never uploaded), or a URL (the config's `data` key, so it travels with a link).
 */
import { useId, useState, type DragEvent } from 'react';
import { formatBytes } from '../lib/format';
import { validateField } from '../lib/fieldValidation';

export type SourceKind = 'server' | 'files' | 'url';

interface Props {
  kind: SourceKind;
  onKind: (kind: SourceKind) => void;
  files: readonly File[];
  onFiles: (files: File[]) => void;
  /** the config's data URL ('' when none) */
  dataUrl: string;
  onDataUrl: (url: string) => void;
  disabled?: boolean;
}

const ACCEPT = '.bin,.tar,.gz,.tgz';

export function DataSourceControls(props: Props) {
  const { kind, onKind, disabled } = props;
  const name = useId();
  const options: { value: SourceKind; label: string }[] = [
    { value: 'server', label: 'This app’s server' },
    { value: 'files', label: 'Files on this computer' },
    { value: 'url', label: 'From a URL' },
  ];
  return (
    <section className="panel-section" aria-labelledby="data-title">
      <h2 id="data-title">Data</h2>
      <fieldset className="radio-group" disabled={disabled}>
        <legend>CIFAR-10 source</legend>
        {options.map((o) => (
          <label key={o.value} className="radio">
            <input type="radio" name={name} value={o.value} checked={kind === o.value} onChange={() => onKind(o.value)} />
            {o.label}
          </label>
        ))}
      </fieldset>
      {kind === 'server' && (
        <p className="hint">The server downloads CIFAR-10 once (about 160 MB) and streams it; training starts on the first batch.</p>
      )}
      {kind === 'files' && <FilePicker {...props} />}
      {kind === 'url' && <DataUrlField {...props} />}
    </section>
  );
}

function FilePicker({ files, onFiles, disabled }: Props) {
  const id = useId();
  const [over, setOver] = useState(false);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (!disabled) onFiles([...e.dataTransfer.files]);
  };
  return (
    <div
      className={`drop-zone${over ? ' over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <label htmlFor={id}>CIFAR-10 files</label>
      <input id={id} type="file" multiple accept={ACCEPT} disabled={disabled}
        aria-describedby={`${id}-hint`} onChange={(e) => onFiles([...(e.target.files ?? [])])} />
      <p id={`${id}-hint`} className="hint">
        Pick or drop <code>cifar-10-binary.tar.gz</code> or its <code>.bin</code> files. They are read here, never uploaded.
      </p>
      {files.length > 0 && (
        <ul className="file-list" aria-label="Chosen files">
          {files.map((f) => (
            <li key={`${f.name}-${f.size}`}>
              {f.name} <span className="sub">({formatBytes(f.size)})</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function DataUrlField({ dataUrl, onDataUrl, disabled }: Props) {
  const id = useId();
  const [draft, setDraft] = useState(dataUrl);
  const [shown, setShown] = useState(dataUrl);
  if (shown !== dataUrl) {
    setShown(dataUrl);
    setDraft(dataUrl);
  }
  const check = draft.trim() === '' ? null : validateField('data', draft);
  const error = check && !check.ok ? check.message : null;
  return (
    <div className="field">
      <label htmlFor={id}>Data URL</label>
      <input
        id={id}
        type="url"
        value={draft}
        placeholder="https://example.org/cifar-10-binary.tar.gz"
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
        onChange={(e) => setDraft(e.target.value)}
        // Committed on blur or Enter, not per keystroke: each commit rewrites the link.
        onBlur={() => commit()}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
      <p id={`${id}-hint`} className="hint">
        A <code>.tar.gz</code> or <code>.bin</code> on a host that allows CORS. It is saved in the link.
      </p>
      {error && (
        <p id={`${id}-error`} className="field-error">
          Data URL: {error}
        </p>
      )}
    </div>
  );

  function commit() {
    const text = draft.trim();
    if (text === dataUrl) return;
    const r = validateField('data', text);
    if (text === '' || r.ok) {
      setShown(text);
      onDataUrl(text);
    }
  }
}
