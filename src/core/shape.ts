/**
 * The shape of WRN-d-k without tfjs: class count, image size, group widths and the depth rule. `model.ts` builds
 * the net from these and `cost.ts` counts it, so the page can show costs without loading tfjs (about 800 kB).
 */
import { blocksPerGroup, DEPTH_RULE } from './config';

export const NUM_CLASSES = 10;
export const IMAGE_SIZE = 32;

/** Channel widths of the three groups: 16k, 32k, 64k. */
export function groupWidths(width: number): [number, number, number] {
  return [16 * width, 32 * width, 64 * width];
}

/** Blocks per group, or a clear error for a depth the architecture does not have. */
export function checkDepth(depth: number): number {
  const n = blocksPerGroup(depth);
  if (n === null) {
    throw new RangeError(
      `WRN ${DEPTH_RULE}; got ${depth}: ` + `3 groups of N blocks with 2 convolutions each, plus conv1, the classifier and the 2 strided shortcuts.`,
    );
  }
  return n;
}

/** A clear error for a widening factor the builder cannot make (k is a whole number >= 1). */
export function checkWidth(width: number): void {
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`WRN width k must be a whole number >= 1; got ${width}`);
}

/** Blocks per group of a net the builder can make, or a RangeError naming the depth or width it cannot. */
export function checkNet(m: { depth: number; width: number }): number {
  const n = checkDepth(m.depth);
  checkWidth(m.width);
  return n;
}
