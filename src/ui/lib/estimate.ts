/**
 * How long a run will take on the backend in use, before it starts: the nets' forward multiply-accumulates per image
 * (`wrnCost`) times the images the run trains on and evaluates, over a speed in forward MACs per second of training.
 *
 * The speed is this browser's own, measured on its last run with this backend where there was one (kept in
 * localStorage), else one measured on the team's machines (BENCHMARKS.md). Scaling by MACs is rough: wider nets use
 * a CPU or GPU better than thin ones, so an estimate from a thin net's speed errs long for a wide one. It is meant
 * to tell minutes from hours, and the page says what it rests on. Nets the page has timed on this device (the
 * speed probe, core/speedProbe.ts) are estimated from their own speed at that batch, setup included.
 */
import type { Config, ModelConfig } from '../../core/config';
import { modelName, runJobs } from '../../core/config';
import { wrnCost } from '../../core/cost';
import type { NetSpeed } from '../../core/speedProbe';
import type { BackendInfo } from '../../worker/protocol';

/** A training speed and what it rests on. */
export interface Speed {
  /** forward multiply-accumulates per second of training (images/s x forward MACs per image) */
  macsPerSec: number;
  /** for people: "measured here: WRN-10-1 at 95 images/s" or the benchmark it comes from */
  basis: string;
  /** true when measured in this browser */
  measured: boolean;
  /** nets timed on this device (the speed probe): used for those nets at that batch instead of scaling by MACs */
  nets?: readonly NetSpeed[];
}

/** An evaluation image costs one forward pass; a training image about three (forward, and backward twice as much). */
const EVAL_COST = 1 / 3;

/** Speeds measured on the team's machines (BENCHMARKS.md, README "What to expect"). */
const MEASURED: Record<string, Speed> = {
  wasm: {
    macsPerSec: 240 * 12_501_632,
    basis: 'WRN-10-1 trained at 240 images/s on WASM in a Chromium worker, one thread of a 2-core laptop-class CPU',
    measured: false,
  },
  cpu: { macsPerSec: 0.37 * 26_657_408, basis: "tfjs's CPU backend trained WRN-16-1 at 0.37 images/s in Chromium", measured: false },
  webgpuSoftware: { macsPerSec: 0.47 * 26_657_408, basis: 'WebGPU on SwiftShader (a CPU emulation) trained WRN-16-1 at 0.47 images/s', measured: false },
  webglSoftware: { macsPerSec: 1.32 * 26_657_408, basis: 'WebGL on SwiftShader (a CPU emulation) trained WRN-16-1 at 1.3 images/s', measured: false },
  webgpu: {
    macsPerSec: 307 * 392_612_352,
    basis: 'WRN-16-4 trained at 307 images/s on WebGPU on an NVIDIA H200; most GPUs are several times slower',
    measured: false,
  },
};

/** The key a measured speed is kept under: the backend and, for GPUs, the adapter or renderer. */
export function speedKey(info: BackendInfo): string {
  const device = info.backend === 'webgpu' ? info.adapter : info.backend === 'webgl' ? info.webglRenderer : '';
  return `wrn-playground:speed:${info.backend}:${device ?? ''}`;
}

/** The speed measured on the team's machines for this backend, or null where none was (WebGL on a hardware GPU). */
export function referenceSpeed(info: BackendInfo): Speed | null {
  switch (info.backend) {
    case 'wasm':
      return MEASURED['wasm']!;
    case 'cpu':
      return MEASURED['cpu']!;
    case 'webgpu':
      return MEASURED[info.softwareAdapter ? 'webgpuSoftware' : 'webgpu']!;
    case 'webgl':
      return info.softwareWebgl ? MEASURED['webglSoftware']! : null;
    default:
      return null;
  }
}

/** What a run measured, as a speed: images/s on one net. */
export function measuredSpeed(net: string, macsPerImage: number, imagesPerSec: number): Speed {
  return {
    macsPerSec: imagesPerSec * macsPerImage,
    basis: `measured here: ${net} at ${formatRate(imagesPerSec)} images/s`,
    measured: true,
  };
}

/**
 * Seconds a config takes at `speed`, every model of it (compare= and seeds= included): each epoch trains on
 * `trainImages` and evaluates `testImages` (the subset sizes the data source will actually hold).
 */
export function estimateSeconds(config: Config, trainImages: number, testImages: number, speed: Speed): number {
  let seconds = 0;
  for (const { model } of runJobs(config)) {
    const net = netSpeedOf(speed, model, config.batch);
    if (net) {
      seconds += net.setupSeconds + config.epochs * (trainImages / net.imagesPerSec + testImages / net.evalImagesPerSec);
    } else {
      seconds += (config.epochs * (trainImages + EVAL_COST * testImages) * wrnCost(model).macs) / speed.macsPerSec;
    }
  }
  return seconds;
}

/** The probe's measurement of `model` at `batch`, if the speed has one. */
export function netSpeedOf(speed: Speed, model: ModelConfig, batch: number): NetSpeed | null {
  return (
    speed.nets?.find((n) => n.batch === batch && n.model.depth === model.depth && n.model.width === model.width && n.model.dropout === model.dropout) ??
    null
  );
}

/** Whether every net of `config` was timed on this device at its batch (the estimate then rests on those alone). */
export function timedHere(config: Config, speed: Speed): boolean {
  return runJobs(config).every((j) => netSpeedOf(speed, j.model, config.batch) !== null);
}

/**
 * The speed of nets the probe timed: their own figures, and for every other net the MACs per second of the timed
 * nets on average (`fallback`'s where the probe measured nothing).
 */
export function probedSpeed(nets: readonly NetSpeed[], fallback: Speed | null): Speed | null {
  if (nets.length === 0) return fallback;
  const macsPerSec = nets.reduce((sum, n) => sum + n.imagesPerSec * wrnCost(n.model).macs, 0) / nets.length;
  const each = nets.map((n) => `${modelName(n.model)} at ${formatRate(n.imagesPerSec)}`).join(' and ');
  return {
    macsPerSec: fallback?.measured ? fallback.macsPerSec : macsPerSec,
    basis: fallback?.measured ? fallback.basis : `measured here: ${each} images/s (batch ${nets[0]!.batch})`,
    measured: true,
    nets,
  };
}

/** The basis in words for an estimate of `config`: the timed nets when it rests on them alone. */
export function basisFor(config: Config, speed: Speed): string {
  if (!speed.nets?.length || !timedHere(config, speed)) return speed.basis;
  const nets = runJobs(config)
    .filter((j, i, all) => all.findIndex((k) => k.net === j.net) === i)
    .map((j) => `${modelName(j.model)} at ${formatRate(netSpeedOf(speed, j.model, config.batch)!.imagesPerSec)}`);
  return `measured here: ${nets.join(' and ')} images/s`;
}

function formatRate(imagesPerSec: number): string {
  return imagesPerSec.toFixed(imagesPerSec < 10 ? 1 : 0);
}

/** Runs longer than this are "long" for a first try: the page offers the quick presets next to the estimate. */
export const LONG_RUN_SECONDS = 15 * 60;

/** An estimate's duration without false precision: "under a minute", "about 7 min", "about 4.2 h". */
export function roughDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  if (seconds < 60) return 'under a minute';
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
}
