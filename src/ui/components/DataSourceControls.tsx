/**
 * Where CIFAR-10 comes from: the built-in sample (2,000 + 1,000 real images shipped with the site), the app's server
 * (the full data set), files the person picks or drops (read in the worker, never uploaded), or a URL (the config's
 * `data` key, so it travels with a link). Each option says how much it downloads.
 */
import { useId, useState, type DragEvent } from 'react';
import { SAMPLE } from '../../core/data/sampleInfo';
import type { ServerData } from '../hooks/useServerData';
import { formatBytes, formatCount } from '../lib/format';
import { validateField } from '../lib/fieldValidation';

export type SourceKind = 'sample' | 'server' | 'files' | 'url';

/** The size of the official cifar-10-binary.tar.gz (170,052,171 bytes), what the app's server downloads. */
export const FULL_DOWNLOAD = formatBytes(170_052_171);

interface Props {
  /** null while the page asks the app's server whether it has CIFAR-10 */
  kind: SourceKind | null;
  /** what the app's server said */
  server: ServerData;
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
  const noServer = props.server.state === 'none';
  const options: { value: SourceKind; label: string; sub: string; disabled?: boolean }[] = [
    { value: 'sample', label: 'Built-in sample', sub: `${formatCount(SAMPLE.train)} + ${formatCount(SAMPLE.test)} images, ${formatBytes(SAMPLE.bytes)}` },
    {
      value: 'server',
      label: 'This app’s server',
      sub: `full CIFAR-10, 50,000 + 10,000 images${noServer ? ': none on this site' : ''}`,
      disabled: noServer,
    },
    { value: 'files', label: 'Files on this computer', sub: 'full CIFAR-10 you have' },
    { value: 'url', label: 'From a URL', sub: 'full CIFAR-10 on another site' },
  ];
  return (
    <section className="panel-section" aria-labelledby="data-title">
      <h2 id="data-title">Data</h2>
      <fieldset className="radio-group" disabled={disabled}>
        <legend>CIFAR-10 source</legend>
        {options.map((o) => (
          <label key={o.value} className="radio">
            <input type="radio" name={name} value={o.value} checked={kind === o.value} disabled={o.disabled} onChange={() => onKind(o.value)} />
            {o.label} <span className="sub">({o.sub})</span>
          </label>
        ))}
      </fieldset>
      {kind === null && <p className="hint">Asking this site’s server for CIFAR-10…</p>}
      {kind === 'sample' && (
        <p className="hint" data-testid="sample-hint">
          Real CIFAR-10 images that come with the playground: 200 training images per class (exact pixels) and 100 test images per class (JPEG-decoded
          copies, slightly blurred). Training starts at once; for higher accuracy use the full data set ({FULL_DOWNLOAD}
          {noServer ? ': pick the files or give a URL' : ' from this app’s server, files or a URL'}).
        </p>
      )}
      {kind === 'server' && <ServerHint server={props.server} />}
      {kind === 'files' && <FilePicker {...props} />}
      {kind === 'url' && <DataUrlField {...props} />}
    </section>
  );
}

function ServerHint({ server }: { server: ServerData }) {
  switch (server.state) {
    case 'ready':
      return <p className="hint">The server has CIFAR-10 and streams it; training starts once the first 1,024 images are in.</p>;
    case 'failed':
      return (
        <p className="hint">
          The server’s last download failed ({server.error}); Train asks it to try again ({FULL_DOWNLOAD}).
        </p>
      );
    case 'none':
      return <p className="hint">This site is plain static files, with no CIFAR-10 server: choose the sample, files or a URL.</p>;
    default:
      return (
        <p className="hint">The server downloads CIFAR-10 once ({FULL_DOWNLOAD}) and streams it; training starts once the first 1,024 images are in.</p>
      );
  }
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
      <input
        id={id}
        type="file"
        multiple
        accept={ACCEPT}
        disabled={disabled}
        aria-describedby={`${id}-hint`}
        onChange={(e) => onFiles([...(e.target.files ?? [])])}
      />
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
