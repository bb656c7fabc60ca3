/**
 * The backend in use and the WebGPU adapter found (or why another backend was chosen), from the worker; on WebGL,
 * the renderer it draws with; and once a model trains, the engine that trains it (the compiled step or tfjs's path,
 * with the reason when the compiled step could not be planned).
 */
import { useTrainingSelector } from '../hooks/useTraining';

const BACKEND_NAMES = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM', cpu: 'plain JS (CPU)' } as const;

export function StatusBar() {
  const info = useTrainingSelector((v) => v.backend);
  const engine = useTrainingSelector((v) => v.engine);
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
  // A backend that computes on the CPU when a GPU was hoped for.
  const warn = info.backend === 'webgl' ? info.softwareWebgl === true : info.softwareAdapter === true || info.backend === 'cpu';
  return (
    <div className="status-bar" role="status" data-testid="backend-status">
      <p>
        <span className={`dot ${warn ? 'warn' : 'ok'}`} aria-hidden="true" />
        <strong>Backend: {BACKEND_NAMES[info.backend]}</strong>
        {info.threads !== undefined && info.backend === 'wasm' && (
          <span data-testid="wasm-threads">
            {' '}
            · {info.threads} thread{info.threads === 1 ? '' : 's'}
          </span>
        )}
        <span> · {adapter}</span>
        {info.backend === 'webgl' && info.webglRenderer && (
          <span data-testid="webgl-renderer">
            {' '}
            · WebGL renderer: {info.webglRenderer}
            {info.softwareWebgl ? ' (software emulation)' : ''}
          </span>
        )}
      </p>
      <p className="sub">
        {info.reason}
        {info.tried.length > 0 && ` Tried first: ${info.tried.map((t) => `${t.backend} (${t.error})`).join('; ')}.`}
      </p>
      {engine && (
        <p className="sub" data-testid="engine-status">
          <strong>Engine: {engine.engine === 'compiled' ? 'compiled step' : 'tfjs'}</strong> · {engine.reason}
        </p>
      )}
    </div>
  );
}
