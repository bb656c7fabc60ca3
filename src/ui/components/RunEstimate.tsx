/**
 * Next to Train: about how long the run will take on the backend in use and what that rests on, then the
 * thin-deep vs wide-shallow comparison sized for this device at a few lengths (the first one is what a plain visit
 * trains first), each with its own estimate.
 */
import type { Config } from '../../core/config';
import { useTrainingSelector } from '../hooks/useTraining';
import type { DeviceSpeed } from '../hooks/useDeviceSpeed';
import { basisFor, estimateSeconds, LONG_RUN_SECONDS, roughDuration } from '../lib/estimate';
import { describeComparison, FIRST_RUN_SECONDS, sameRun, sizedComparisons } from '../lib/sizedComparison';

interface Props {
  /** the config Train would start (already fitted to the data source) */
  config: Config;
  /** the most images the data source holds: the sample's 2,000 + 1,000, or the full 50,000 + 10,000 */
  limit: { train: number; test: number };
  /** how fast this device trains (useDeviceSpeed) */
  device: DeviceSpeed;
  /** the length of the shortest sized comparison (s) */
  firstTarget?: number;
  /** applies a sized comparison's config */
  onApply: (config: Config) => void;
  disabled?: boolean;
}

export function RunEstimate({ config, limit, device, firstTarget = FIRST_RUN_SECONDS, onApply, disabled }: Props) {
  const backend = useTrainingSelector((v) => v.backend);
  if (!backend)
    return (
      <p className="hint run-estimate" data-testid="run-estimate">
        Estimated time: once the backend is chosen…
      </p>
    );
  const speed = device.speed;
  if (!speed) {
    return (
      <p className="hint run-estimate" data-testid="run-estimate">
        Estimated time: not known yet for {backend.backend.toUpperCase()} on this GPU; the first steps of a run will measure it.
      </p>
    );
  }
  const seconds = (c: Config) => estimateSeconds(c, Math.min(c.train, limit.train), Math.min(c.test, limit.test), speed);
  const total = seconds(config);
  const plans = sizedComparisons(config, backend, seconds, limit, firstTarget);
  return (
    <div className="run-estimate" data-testid="run-estimate">
      <p className="hint">
        Estimated time: <strong data-testid="run-estimate-time">{roughDuration(total)}</strong> on {backend.backend.toUpperCase()}{' '}
        <span className="sub">(rough; {basisFor(config, speed)})</span>
      </p>
      <fieldset className="quick-presets">
        <legend className="hint">
          {total > LONG_RUN_SECONDS ? 'That is long for a first try. ' : ''}Thin-deep vs wide-shallow, sized for this device:
        </legend>
        {plans.map((p) => {
          const current = sameRun(p.config, config);
          return (
            <button
              key={p.target}
              type="button"
              className="secondary small"
              disabled={disabled}
              aria-pressed={current}
              data-testid="sized-comparison"
              data-seconds={Math.round(p.seconds)}
              onClick={() => onApply(p.config)}
            >
              {capitalise(roughDuration(p.seconds))}: <span className="sub">{describeComparison(p.config)}</span>
            </button>
          );
        })}
        {device.probing && <p className="sub">Timing the two nets on this device…</p>}
      </fieldset>
    </div>
  );
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
