/** Synthetic CIFAR-shaped data for the benchmark: speed does not depend on pixel values, so no download is needed. */
import { GrowingDataset, RECORD_PIXELS } from '../../src/core/data/dataset';
import { NUM_CLASSES } from '../../src/core/model';
import { mulberry32 } from '../../src/core/rng';

/** Random records (uniform bytes, labels cycling 0..9), complete: the trainer never waits for data. */
export function syntheticSource(records: number, seed: number): GrowingDataset {
  const ds = new GrowingDataset(records);
  const rand = mulberry32(seed);
  const pixels = new Uint8Array(RECORD_PIXELS);
  for (let r = 0; r < records; r++) {
    for (let i = 0; i < RECORD_PIXELS; i++) pixels[i] = Math.floor(rand() * 256);
    ds.append(r % NUM_CLASSES, pixels);
  }
  ds.finish();
  return ds;
}
