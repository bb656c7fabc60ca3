/**
 * One colour per model, the same in every chart, legend and table. Okabe-Ito-like hues: distinguishable with the
 * common colour-vision deficiencies, and dark enough on white for thin lines.
 */
const PALETTE = ['#0b6bcb', '#d55e00', '#009e73', '#cc79a7', '#8a6d00', '#56b4e9', '#5b3fa8', '#c0392b'] as const;

export function colorOf(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}
