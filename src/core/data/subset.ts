/**
 * Which records of a split a run keeps, decided one record at a time while the data streams by.
 * 'first': the first N records in source order. 'balanced': N/10 per class (the first N mod 10 classes take one
 * more), the first ones of each class in source order; surplus records of a full class are skipped.
 */
import type { SubsetMode } from '../config';

export class SubsetSelector {
  /** [10] records each class may still take; Infinity per class in 'first' mode */
  private readonly quota: number[];
  private taken = 0;

  /** @param target records wanted (N); @param mode how to choose them */
  constructor(
    readonly target: number,
    readonly mode: SubsetMode,
  ) {
    const base = Math.floor(target / 10);
    this.quota = Array.from({ length: 10 }, (_, c) => (mode === 'balanced' ? base + (c < target % 10 ? 1 : 0) : Infinity));
  }

  /** Whether to keep a record of class `label`; counts it if kept. */
  accept(label: number): boolean {
    if (this.taken >= this.target || !(this.quota[label]! > 0)) return false;
    this.quota[label]!--;
    this.taken++;
    return true;
  }

  /** True once nothing more would be accepted, so the source can stop early. */
  isDone(): boolean {
    return this.taken >= this.target;
  }
}
