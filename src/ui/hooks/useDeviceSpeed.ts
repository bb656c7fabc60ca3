/**
 * How fast this device trains, for the page's estimates: the speed probe's timings of the comparison's nets (asked
 * for by a plain visit, kept per backend and device in localStorage), the speed the last run measured (kept there
 * too), else the speed measured on the team's machines (estimate.ts).
 */
import { useEffect, useRef, useState } from 'react';
import type { Config } from '../../core/config';
import type { NetSpeed } from '../../core/speedProbe';
import { measuredSpeed, probedSpeed, referenceSpeed, speedKey, type Speed } from '../lib/estimate';
import type { RunRecord } from '../lib/runRecord';
import { useTrainingClient, useTrainingSelector } from './useTraining';

export interface DeviceSpeed {
  /** what estimates rest on; null until the backend is known, or where nothing is known for it */
  speed: Speed | null;
  /** the probe asked for has answered (or failed), or none was asked for: the speed is as good as it gets */
  settled: boolean;
  /** the probe is timing the nets now */
  probing: boolean;
}

/** `probeFor`: a config whose nets to time on this device, unless timed here before at its batch (null: none). */
export function useDeviceSpeed(probeFor: Config | null): DeviceSpeed {
  const client = useTrainingClient();
  const backend = useTrainingSelector((v) => v.backend);
  const runs = useTrainingSelector((v) => v.runs);
  const key = backend ? speedKey(backend) : null;
  const [stored, setStored] = useState<{ key: string; speed: Speed | null; nets: NetSpeed[] } | null>(null);
  const [probe, setProbe] = useState<{ key: string; state: 'running' | 'done' | 'failed' } | null>(null);
  const asked = useRef(new Set<string>());

  // What this browser measured before, on this backend and device.
  useEffect(() => {
    if (!key) return;
    setStored({ key, speed: readSpeed(key), nets: readNets(key) });
  }, [key]);

  // ...and what the run in progress (or the last one) measures now.
  useEffect(() => {
    if (!key) return;
    const speed = speedOfRuns(runs);
    if (!speed) return;
    setStored((s) => ({ key, speed, nets: s?.key === key ? s.nets : readNets(key) }));
    write(key, speed);
  }, [key, runs]);

  const batch = probeFor?.batch ?? null;
  const probeConfig = useRef(probeFor);
  probeConfig.current = probeFor;
  useEffect(() => {
    const config = probeConfig.current;
    if (!key || batch === null || !config || asked.current.has(key)) return;
    if (readNets(key).some((n) => n.batch === batch)) return; // timed here before
    asked.current.add(key);
    setProbe({ key, state: 'running' });
    client.measureSpeed(config).then(
      (nets) => {
        write(`${key}:nets`, nets);
        setStored((s) => ({ key, speed: s?.key === key ? s.speed : readSpeed(key), nets }));
        setProbe({ key, state: 'done' });
      },
      () => setProbe({ key, state: 'failed' }),
    );
  }, [client, key, batch]);

  if (!backend || !key) return { speed: null, settled: false, probing: false };
  const mine = stored?.key === key ? stored : null;
  const probing = probe?.key === key && probe.state === 'running';
  const timed = mine?.nets ?? [];
  const wanted = batch !== null;
  const settled = mine !== null && (!wanted || timed.some((n) => n.batch === batch) || (probe?.key === key && probe.state !== 'running'));
  return { speed: probedSpeed(timed, mine?.speed ?? referenceSpeed(backend)), settled, probing };
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

function write(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or blocked: the estimate just goes without it next time
  }
}

function readJson(key: string): unknown {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null; // unreadable: ignore it
  }
}

function readSpeed(key: string): Speed | null {
  const v = readJson(key) as Partial<Speed> | null;
  if (v && typeof v.macsPerSec === 'number' && v.macsPerSec > 0 && typeof v.basis === 'string')
    return { macsPerSec: v.macsPerSec, basis: v.basis, measured: true };
  return null;
}

const positive = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0;

function readNets(key: string): NetSpeed[] {
  const v = readJson(`${key}:nets`);
  if (!Array.isArray(v)) return [];
  return v.filter(
    (n: Partial<NetSpeed> | null): n is NetSpeed =>
      !!n &&
      !!n.model &&
      positive(n.model.depth) &&
      positive(n.model.width) &&
      typeof n.model.dropout === 'number' &&
      positive(n.batch) &&
      positive(n.imagesPerSec) &&
      positive(n.evalImagesPerSec) &&
      typeof n.setupSeconds === 'number' &&
      n.setupSeconds >= 0,
  );
}
