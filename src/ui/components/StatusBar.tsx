/** The backend in use and the WebGPU adapter found (or why another backend was chosen), from the worker. */
import { useTrainingSelector } from '../hooks/useTraining';

const BACKEND_NAMES = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM', cpu: 'plain JS (CPU)' } as const;

export function StatusBar() {
  const info = useTrainingSelector((v) => v.backend);
  if (!info) {
    return (
      <p className="status-bar" role="status" data-testid="backend-status">
        <span className="dot pending" aria-hidden="true" /> Starting the training worker…
      </p>
    );
  }
  const adapter = info.adapter
    ? `WebGPU adapter: ${info.adapter}${info.softwareAdapter ? ' (software emulation)' : ''}`
    : info.tried.some((t) => t.backend === 'webgpu')
      ? 'WebGPU not used (see why below)'
      : 'no WebGPU adapter';
  return (
    <div className="status-bar" role="status" data-testid="backend-status">
      <p>
        <span className={`dot ${info.softwareAdapter || info.backend === 'cpu' ? 'warn' : 'ok'}`} aria-hidden="true" />
        <strong>Backend: {BACKEND_NAMES[info.backend]}</strong>
        {info.threads !== undefined && info.backend === 'wasm' && (
          <span data-testid="wasm-threads"> · {info.threads} thread{info.threads === 1 ? '' : 's'}</span>
        )}
        <span> · {adapter}</span>
      </p>
      <p className="sub">
        {info.reason}
        {info.tried.length > 0 && ` Tried first: ${info.tried.map((t) => `${t.backend} (${t.error})`).join('; ')}.`}
      </p>
    </div>
  );
}
