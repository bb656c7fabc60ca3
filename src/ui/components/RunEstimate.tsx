/**
 * Next to Train: about how long the run will take on the backend in use, what that rests on, and, when it is long
 * for a first try, the quick presets with their own estimates. Speeds this browser measures on a run are kept (per
 * backend and device) and used from then on.
 */
import { useEffect, useState } from 'react';
import type { Config } from '../../core/config';
import { modelName } from '../../core/config';
import { useTrainingSelector } from '../hooks/useTraining';
import { estimateSeconds, LONG_RUN_SECONDS, measuredSpeed, referenceSpeed, roughDuration, speedKey, type Speed } from '../lib/estimate';
import { applyPreset, PRESETS } from '../lib/presets';
import type { RunRecord } from '../lib/runRecord';

interface Props {
  /** the config Train would start (already fitted to the data source) */
  config: Config;
  /** the most images the data source holds: the sample's 2,000 + 1,000, or the full 50,000 + 10,000 */
  limit: { train: number; test: number };
  /** applies a preset's config */
  onApply: (config: Config) => void;
  disabled?: boolean;
}

const QUICK = PRESETS.filter((p) => p.id.startsWith('quick'));

export function RunEstimate({ config, limit, onApply, disabled }: Props) {
  const backend = useTrainingSelector((v) => v.backend);
  const runs = useTrainingSelector((v) => v.runs);
  const key = backend ? speedKey(backend) : null;
  const [stored, setStored] = useState<{ key: string; speed: Speed } | null>(null);

  // A speed this browser measured before, on this backend and device.
  useEffect(() => {
    if (!key) return;
    const speed = readSpeed(key);
    setStored(speed ? { key, speed } : null);
  }, [key]);

  // ...and the one the run in progress (or the last one) measures now.
  useEffect(() => {
    if (!key) return;
    const speed = speedOfRuns(runs);
    if (!speed) return;
    setStored({ key, speed });
    try {
      localStorage.setItem(key, JSON.stringify(speed));
    } catch {
      // storage full or blocked: the estimate just stays with the reference speed next time
    }
  }, [key, runs]);

  if (!backend)
    return (
      <p className="hint run-estimate" data-testid="run-estimate">
        Estimated time: once the backend is chosen…
      </p>
    );
  const speed = stored?.key === key ? stored.speed : referenceSpeed(backend);
  if (!speed) {
    return (
      <p className="hint run-estimate" data-testid="run-estimate">
        Estimated time: not known yet for {backend.backend.toUpperCase()} on this GPU; the first steps of a run will measure it.
      </p>
    );
  }
  const seconds = (c: Config) => estimateSeconds(c, Math.min(c.train, limit.train), Math.min(c.test, limit.test), speed);
  const total = seconds(config);
  return (
    <div className="run-estimate" data-testid="run-estimate">
      <p className="hint">
        Estimated time: <strong data-testid="run-estimate-time">{roughDuration(total)}</strong> on {backend.backend.toUpperCase()}{' '}
        <span className="sub">(rough; {speed.basis})</span>
      </p>
      {total > LONG_RUN_SECONDS && (
        <fieldset className="quick-presets" aria-label="Quicker runs">
          <p className="hint">That is long for a first try. A quicker run:</p>
          {QUICK.map((p) => {
            const next = applyPreset(config, p);
            return (
              <button key={p.id} type="button" className="secondary small" disabled={disabled} onClick={() => onApply(next)}>
                {p.label} <span className="sub">({roughDuration(seconds(next))})</span>
              </button>
            );
          })}
          <button
            type="button"
            className="secondary small"
            disabled={disabled}
            onClick={() => onApply({ ...config, depth: 10, width: 1, dropout: 0, epochs: 1, compare: [] })}
          >
            {modelName({ depth: 10, width: 1, dropout: 0 })}, 1 epoch{' '}
            <span className="sub">({roughDuration(seconds({ ...config, depth: 10, width: 1, dropout: 0, epochs: 1, compare: [] }))})</span>
          </button>
        </fieldset>
      )}
    </div>
  );
}

/** The speed the latest model with enough steps trained at: the median images/s of its steps after the first. */
function speedOfRuns(runs: readonly RunRecord[]): Speed | null {
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i]!;
    if (run.imported || run.steps.length < 4) continue;
    const rates = run.steps
      .slice(1)
      .map((s) => s.imagesPerSec)
      .filter((r) => Number.isFinite(r) && r > 0)
      .sort((a, b) => a - b);
    if (rates.length < 3) continue;
    return measuredSpeed(run.name, run.macs, rates[Math.floor(rates.length / 2)]!);
  }
  return null;
}

function readSpeed(key: string): Speed | null {
  try {
    const v = JSON.parse(localStorage.getItem(key) ?? 'null') as Partial<Speed> | null;
    if (v && typeof v.macsPerSec === 'number' && v.macsPerSec > 0 && typeof v.basis === 'string')
      return { macsPerSec: v.macsPerSec, basis: v.basis, measured: true };
  } catch {
    // unreadable: ignore it
  }
  return null;
}
