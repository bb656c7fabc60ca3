/**
 * How fast this device trains a net: a few real SGD steps (the trainer's own, on the backend in use) on random
 * images, timed after a first step that builds the net and compiles its kernels, and one evaluation pass. The page
 * sizes its first comparison from this, before any data has arrived.
 */
import { LIMITS, type Config, type ModelConfig } from './config';
import { RECORD_PIXELS, type ImageSource } from './data/dataset';
import { mulberry32 } from './rng';
import { Trainer } from './trainer';

/** What one net's probe measured. */
export interface NetSpeed {
  model: ModelConfig;
  /** the batch it was measured at */
  batch: number;
  /** training images per second, over the timed steps */
  imagesPerSec: number;
  /** test images per second in an evaluation (forward passes only) */
  evalImagesPerSec: number;
  /** building the net and its first step (kernel compilation on a GPU): paid once per net of a run, in seconds */
  setupSeconds: number;
}

export interface ProbeOptions {
  /** timed steps go on until this much time has passed (s)... */
  minSeconds?: number;
  /** ...or this many steps were timed, whichever comes first; at least 2 are */
  maxSteps?: number;
  /** test images in the timed evaluation */
  evalImages?: number;
  now?: () => number;
}

/** Random records that are all there: the probe times the step, not the data. */
export function randomImages(count: number, seed: number): ImageSource {
  const rand = mulberry32(seed);
  const pixels = new Uint8Array(count * RECORD_PIXELS);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(rand() * 256);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return {
    available: () => count,
    isComplete: () => true,
    waitFor: () => Promise.resolve(),
    gather(indices, out, outLabels) {
      for (let i = 0; i < indices.length; i++) {
        const r = indices[i]! % count;
        out.set(pixels.subarray(r * RECORD_PIXELS, (r + 1) * RECORD_PIXELS), i * RECORD_PIXELS);
        outLabels[i] = labels[r]!;
      }
    },
  };
}

/** Measures `model` trained with `config`'s recipe (its batch, augmentation, optimizer) on the current backend. */
export async function measureNetSpeed(config: Config, model: ModelConfig, opts: ProbeOptions = {}): Promise<NetSpeed> {
  const now = opts.now ?? (() => performance.now());
  const minMs = 1000 * (opts.minSeconds ?? 1.5);
  const maxSteps = Math.max(2, opts.maxSteps ?? 5);
  const evalImages = opts.evalImages ?? 100;
  const batch = config.batch;
  const images = batch * (maxSteps + 1);
  const recipe: Config = {
    ...config,
    ...model,
    compare: [],
    seeds: 1,
    train: images,
    test: evalImages,
    epochs: 2, // the run's last step would evaluate: it is never reached
    evalEvery: LIMITS.evalEvery.max, // no evaluation between the timed steps
    budget: { kind: 'epochs' },
  };
  const start = now();
  const trainer = new Trainer({
    config: recipe,
    model,
    train: randomImages(images, 1),
    test: randomImages(evalImages, 2),
    trainImages: images,
    readEvery: maxSteps,
  });
  try {
    trainer.begin();
    await trainer.advance(1); // builds, compiles and reads back: the setup a run pays once per net
    const setupMs = now() - start;
    const t0 = now();
    let steps = 0;
    while (steps < maxSteps && (steps < 2 || now() - t0 < minMs)) {
      await trainer.advance(1);
      steps++;
    }
    const trainMs = now() - t0;
    const e0 = now();
    await trainer.evaluate();
    const evalMs = now() - e0;
    return {
      model: { ...model },
      batch,
      imagesPerSec: (steps * batch) / (trainMs / 1000),
      evalImagesPerSec: evalImages / (evalMs / 1000),
      setupSeconds: setupMs / 1000,
    };
  } finally {
    trainer.dispose();
  }
}
