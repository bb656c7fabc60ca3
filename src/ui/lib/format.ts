/** Number formatting for people: counts with separators, FLOPs and bytes with SI units, durations. */

const COUNT = new Intl.NumberFormat('en-US');

/** 36479194 -> "36,479,194" (en-US separators so that links, tests and screenshots read the same everywhere). */
export function formatCount(n: number): string {
  return COUNT.format(Math.round(n));
}

/** 1_234_000 -> "1.23M": a short form for tight table cells and axis ticks. */
export function formatShort(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e12) return `${trim(n / 1e12)}T`;
  if (a >= 1e9) return `${trim(n / 1e9)}G`;
  if (a >= 1e6) return `${trim(n / 1e6)}M`;
  if (a >= 1e3) return `${trim(n / 1e3)}k`;
  return trim(n);
}

/** FLOPs with SI prefix: 5.243e9 -> "5.24 GFLOP". */
export function formatFlops(flops: number): string {
  const units: [number, string][] = [
    [1e15, 'PFLOP'],
    [1e12, 'TFLOP'],
    [1e9, 'GFLOP'],
    [1e6, 'MFLOP'],
    [1e3, 'kFLOP'],
  ];
  for (const [scale, unit] of units) if (Math.abs(flops) >= scale) return `${trim(flops / scale)} ${unit}`;
  return `${trim(flops)} FLOP`;
}

/** Bytes in binary units, as the browser's memory tools show them: 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trim(v)} ${units[i]}`;
}

/** Seconds as "42 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${seconds < 10 ? trim(seconds) : Math.round(seconds)} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(rest).padStart(2, '0')} s`;
}

/** 0.9123 -> "91.2%". */
export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/**
 * A learning rate as typed in a link: up to 4 significant digits, no exponent down to 1e-6 (0.05 -> "0.05",
 * 0.1 * 0.2 ** 3 -> "0.0008", 1/3 -> "0.3333").
 */
export function formatRate(lr: number): string {
  return String(Number(lr.toPrecision(4)));
}

/** Three significant digits without trailing zeros: 1.50 -> "1.5", 123.4 -> "123". */
function trim(v: number): string {
  if (v === 0) return '0';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return String(Number(v.toFixed(digits)));
}
