/**
 * The order in which a run visits its training records: a function of the seed and the plan only, never of when
 * the records arrive, so that a shared link replays the same batches in the page (where CIFAR-10 streams in while
 * training runs) and in the CLI (which loads everything first).
 *
 * The rule:
 * - Epoch 1 walks the first `stepsPerEpoch * batch` records (the plan's, so the same whatever has arrived) block by
 *   block in file order: blocks of `BLOCK_RECORDS` records (the last one shorter), each shuffled by its own seeded
 *   permutation. A batch may span two blocks. Training waits only for the block it needs, so it starts once the
 *   first block (3 MB) has arrived, not after the whole download.
 * - Every later epoch is a seeded permutation of all the plan's training records, drawn when the epoch starts (the
 *   data has arrived by then: the first epoch needed nearly all of it); it waits for the rest if not.
 * Why this is enough shuffling: the CIFAR-10 binary files are already in random order (no class runs), so the first
 * epoch's batches are still random draws; what blocks give up is only that a record's place in epoch 1 stays within a
 * block of its place in the file. The paper's recipe (and PyTorch's loader) reshuffles fully every epoch, as the
 * later epochs here do. A `balanced` subset's last records lean toward the classes that filled last; blocks of 1,024
 * spread that over a thousand records.
 * - A split that ended short of the plan (fewer records than it was planned for): a block past its end, or a later
 *   epoch's permutation that runs out, is drawn over all the records there are. That is decided only once the split
 *   is complete, so it too is the same whatever the timing.
 *
 * The state (the current segment: a block's or an epoch's permutation, and the next place in it) is what a checkpoint
 * keeps as `dataOrder`. A checkpoint written under the earlier rule (a permutation of everything that had arrived when
 * the epoch began) goes on through that permutation to the end of its epoch, then follows this rule.
 */
import type { ImageSource } from './data/dataset';
import { mixSeed, mulberry32, permutation } from './rng';

/** Records per block of the first epoch: 1,024 records are 3 MB of the 170 MB of CIFAR-10. */
export const BLOCK_RECORDS = 1024;

/** Seeds of the order's random streams (the trainer's augmentation uses 2). */
const STREAM = { epoch: 1, block: 3 } as const;

/** Where the order stands: the segment being walked (absolute record indices) and the next place in it. */
export interface OrderState {
  perm: Int32Array;
  next: number;
}

export interface OrderPlan {
  /** images per step */
  batch: number;
  /** steps per epoch: an epoch visits stepsPerEpoch * batch records */
  stepsPerEpoch: number;
}

export class DataOrder {
  private state: OrderState = { perm: new Int32Array(0), next: 0 };

  /**
   * @param source the training split (it may still be filling)
   * @param seed the run's seed
   * @param plan batch and steps per epoch
   * @param trainImages the training records the plan was made for (later epochs permute these)
   */
  constructor(
    private readonly source: ImageSource,
    private readonly seed: number,
    private readonly plan: OrderPlan,
    private readonly trainImages: number,
  ) {}

  /** A copy of the state at this step boundary, for a checkpoint. */
  snapshot(): OrderState {
    return { perm: this.state.perm.slice(), next: this.state.next };
  }

  /**
   * Sets the state back to a checkpoint's (of this rule or the earlier one), waiting until the records it names
   * have arrived. Throws when it names records the training split does not hold.
   */
  async restore(s: OrderState): Promise<void> {
    let top = -1;
    for (const r of s.perm) {
      if (!(r >= 0)) throw new RangeError(`the checkpoint's data order names record ${r}`);
      if (r > top) top = r;
    }
    if (!(Number.isInteger(s.next) && s.next >= 0 && s.next <= s.perm.length))
      throw new RangeError(`the checkpoint's data order is at ${s.next}, outside its ${s.perm.length} records`);
    if (top >= 0) await this.source.waitFor(top + 1);
    if (top >= this.source.available())
      throw new RangeError(`the checkpoint's data order names record ${top}; the training data has ${this.source.available()}`);
    this.state = { perm: s.perm.slice(), next: s.next };
  }

  /** The record indices of step `step`'s batch (0-based steps, taken in order), waiting for them to arrive. */
  async batch(step: number): Promise<Int32Array> {
    const n = this.plan.batch;
    const epoch = Math.floor(step / this.plan.stepsPerEpoch);
    const epochStep = step % this.plan.stepsPerEpoch;
    if (epochStep === 0) this.state = { perm: new Int32Array(0), next: 0 }; // an epoch starts a segment of its own
    const out = new Int32Array(n);
    for (let i = 0; i < n; ) {
      if (this.state.next >= this.state.perm.length) this.state = await this.segment(epoch, epochStep * n + i, step);
      const take = Math.min(n - i, this.state.perm.length - this.state.next);
      out.set(this.state.perm.subarray(this.state.next, this.state.next + take), i);
      this.state.next += take;
      i += take;
    }
    return out;
  }

  /** The segment that holds place `at` of epoch `epoch`, positioned there. */
  private async segment(epoch: number, at: number, step: number): Promise<OrderState> {
    const n = this.plan.batch;
    const epochRecords = this.plan.stepsPerEpoch * n;
    if (epoch === 0) {
      const block = Math.floor(at / BLOCK_RECORDS);
      const start = block * BLOCK_RECORDS;
      const end = Math.min(start + BLOCK_RECORDS, epochRecords);
      await this.source.waitFor(end);
      if (this.source.available() >= end) {
        const perm = permutation(end - start, mulberry32(mixSeed(this.seed, STREAM.block, block)));
        for (let i = 0; i < perm.length; i++) perm[i]! += start;
        return { perm, next: at - start };
      }
      // the split ended short of this block: fall through to a permutation of all it holds
    } else {
      await this.source.waitFor(Math.max(n, this.trainImages));
    }
    const have = Math.min(this.source.available(), Math.max(n, this.trainImages));
    if (have < n) throw new Error(`the training data ended with ${have} images, fewer than one batch of ${n}`);
    // At an epoch's start (the usual case) the seed is the same as the earlier rule's for that epoch.
    return { perm: permutation(have, mulberry32(mixSeed(this.seed, STREAM.epoch, epoch, step))), next: 0 };
  }
}

/**
 * True when `state` (a checkpoint's) is one this rule draws with `seed` and `plan` for a model at `step` (steps
 * done): nothing yet, a block of the first epoch, or an epoch's permutation (also one drawn mid-epoch when a split
 * ended short, and the earlier rule's). False when another seed or another run drew it: a checkpoint copied from
 * another run's folder. Costs a few permutations of the training set at most.
 */
export function orderDrawnBy(state: OrderState, seed: number, plan: OrderPlan, step: number): boolean {
  const perm = state.perm;
  const n = perm.length;
  if (n === 0) return true;
  const same = (other: Int32Array, offset = 0) => other.every((v, i) => v + offset === perm[i]);
  // A block of the first epoch: its records start..start+n-1, shuffled by the block's own stream.
  let start = perm[0]!;
  for (const r of perm) if (r < start) start = r;
  if (start % BLOCK_RECORDS === 0 && same(permutation(n, mulberry32(mixSeed(seed, STREAM.block, start / BLOCK_RECORDS))), start)) return true;
  // An epoch's permutation of n records, drawn at some step of the epoch that the last step taken was in (at its
  // start, as a rule). Fisher-Yates puts its first draw last, so each candidate costs one draw until one fits.
  const last = Math.max(0, step - 1);
  const epoch = Math.floor(last / plan.stepsPerEpoch);
  for (let t = epoch * plan.stepsPerEpoch; t <= last; t++) {
    const rand = mulberry32(mixSeed(seed, STREAM.epoch, epoch, t));
    if (perm[n - 1] !== Math.floor(rand() * n)) continue;
    if (same(permutation(n, mulberry32(mixSeed(seed, STREAM.epoch, epoch, t))))) return true;
  }
  return false;
}
