/**
 * The statistics a comparison needs to say whether a difference is real: mean, sample standard deviation, the 95%
 * interval of a mean with Student's t, Welch's t-test, and the binomial (Wilson) interval of one accuracy measured
 * on n test images. Pure functions, no dependencies.
 *
 * Why hand-written: the few JS statistics libraries either lack Welch's test and the t quantile (simple-statistics)
 * or are unmaintained and untyped (jStat). What is needed is small: the regularised incomplete beta function (the
 * t distribution's CDF), by its continued fraction (Numerical Recipes 6.4, modified Lentz), and a bisection for the
 * quantile. `stats.test.ts` checks every function against values computed with SciPy.
 *
 * Accuracies are fractions 0..1 throughout; the verdict's words speak in percentage points.
 */

/** Arithmetic mean; NaN for no values. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n - 1 in the denominator); NaN for fewer than two values. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; about 15 significant digits). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x); // reflection
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularised incomplete beta function I_x(a, b), for 0 <= x <= 1 and a, b > 0. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0) || Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); otherwise use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  const EPS = 1e-15;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** P(T <= t) for Student's t with `df` degrees of freedom (df > 0, need not be whole: Welch's df is not). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0) || Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5); // P(T > |t|)
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom (0 < p < 1), by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN;
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e12) return Infinity;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The standard normal CDF, Φ(z) = erfc(-z/√2) / 2, with erfc by Numerical Recipes' Chebyshev fit `erfcc`
 * (fractional error below 1.2e-7 everywhere: far finer than the two digits a p-value is shown with).
 */
export function normalCdf(z: number): number {
  const x = -z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const poly =
    -x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return 0.5 * (x >= 0 ? erfc : 2 - erfc);
}

/** A sample's summary: what the runs table shows for a net with several seeds. */
export interface SampleSummary {
  n: number;
  mean: number;
  /** sample standard deviation; NaN for one value */
  std: number;
  /** 95% interval of the mean, mean ± t(0.975, n-1) · std / √n; null for one value */
  ci95: [number, number] | null;
}

export function summarize(xs: readonly number[]): SampleSummary {
  const n = xs.length;
  const m = mean(xs);
  const s = sampleStd(xs);
  if (n < 2) return { n, mean: m, std: s, ci95: null };
  const half = (studentTQuantile(0.975, n - 1) * s) / Math.sqrt(n);
  return { n, mean: m, std: s, ci95: [m - half, m + half] };
}

export interface WelchResult {
  /** mean(a) - mean(b) */
  difference: number;
  /** standard error of the difference, √(sa²/na + sb²/nb) */
  se: number;
  t: number;
  /** Welch-Satterthwaite degrees of freedom */
  df: number;
  /** two-sided p-value */
  p: number;
  /** half-width of the 95% interval of the difference, t(0.975, df) · se */
  halfWidth95: number;
}

/**
 * Welch's unequal-variance t-test of mean(a) = mean(b), two-sided. Null when either sample has fewer than two
 * values, or when both have no spread at all (the statistic is then undefined).
 */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchResult | null {
  if (a.length < 2 || b.length < 2) return null;
  const va = sampleStd(a) ** 2 / a.length;
  const vb = sampleStd(b) ** 2 / b.length;
  const se = Math.sqrt(va + vb);
  if (!(se > 0)) return null;
  const difference = mean(a) - mean(b);
  const t = difference / se;
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const p = Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
  return { difference, se, t, df, p, halfWidth95: studentTQuantile(0.975, df) * se };
}

/** z for a two-sided 95% interval: Φ⁻¹(0.975). */
export const Z95 = 1.959963984540054;

/**
 * The 95% Wilson score interval of an accuracy `k / n` measured on `n` test images: the binomial noise of the
 * test set alone (it says nothing about seed-to-seed noise). Preferred to the normal ("Wald") interval because it
 * stays inside 0..1 and is honest near 0% and 100%; at 50% on 1,000 images it is ±3.1 points.
 */
export function wilsonInterval(accuracy: number, n: number, z = Z95): [number, number] {
  if (!(n > 0) || !(accuracy >= 0 && accuracy <= 1)) return [NaN, NaN];
  const z2 = z * z;
  const d = 1 + z2 / n;
  const centre = (accuracy + z2 / (2 * n)) / d;
  const half = (z * Math.sqrt((accuracy * (1 - accuracy)) / n + z2 / (4 * n * n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface ProportionTest {
  difference: number;
  se: number;
  z: number;
  p: number;
  halfWidth95: number;
}

/**
 * Two accuracies on test sets of na and nb images: an unpooled two-proportion z-test. It treats the test sets
 * as independent; when both nets saw the same images the true noise of the difference is smaller, so this errs
 * on the side of "within the noise". Null when the standard error is 0 (both at 0% or 100%).
 */
export function twoProportionTest(pa: number, na: number, pb: number, nb: number): ProportionTest | null {
  const se = Math.sqrt((pa * (1 - pa)) / na + (pb * (1 - pb)) / nb);
  if (!(se > 0)) return null;
  const difference = pa - pb;
  const z = difference / se;
  return { difference, se, z, p: Math.min(1, 2 * normalCdf(-Math.abs(z))), halfWidth95: Z95 * se };
}

/** One net's final test accuracies, one per seed, and the test-set size they were measured on. */
export interface NetResult {
  name: string;
  accuracies: readonly number[];
  testImages: number;
}

export interface Verdict {
  /** true when the difference is larger than the noise at the 5% level */
  significant: boolean;
  /** 'welch' with two or more seeds on both sides; 'binomial' with single runs (test-set noise only) */
  test: 'welch' | 'binomial' | 'none';
  p: number | null;
  /** the sentence the table shows */
  text: string;
  /** its first part, without the test's details: who is ahead, by how much, and against the noise (one line) */
  headline: string;
}

/** Significance level of the verdicts. */
export const ALPHA = 0.05;

/**
 * Says in words whether `other` differs from `main` by more than the noise. With two or more seeds each it is
 * Welch's t on the per-seed accuracies (seed noise and test-set noise together); with single runs it can only
 * be the two-proportion test on the test images (test-set noise; the seed noise is not measured).
 */
export function compareNets(main: NetResult, other: NetResult): Verdict {
  const pts = (x: number) => (100 * x).toFixed(1);
  const ahead = (diff: number) => (diff >= 0 ? `${main.name} is ahead of ${other.name}` : `${other.name} is ahead of ${main.name}`);
  const verdict = (v: Omit<Verdict, 'text'>, details = ''): Verdict => ({ ...v, text: v.headline + details });
  if (main.accuracies.length === 0 || other.accuracies.length === 0) {
    return verdict({ significant: false, test: 'none', p: null, headline: 'no finished run to compare yet' });
  }
  const welch = welchTTest(main.accuracies, other.accuracies);
  if (welch) {
    const significant = welch.p < ALPHA;
    const size = `${pts(Math.abs(welch.difference))} ± ${pts(welch.halfWidth95)} points`;
    const words = significant ? 'larger than the noise' : 'within the noise';
    return verdict(
      { significant, test: 'welch', p: welch.p, headline: `${ahead(welch.difference)} by ${size}, ${words}` },
      ` (Welch's t, p=${formatP(welch.p)})`,
    );
  }
  if (main.accuracies.length >= 2 && other.accuracies.length >= 2) {
    // Both samples have no spread (every seed gave the same accuracy): no test statistic exists.
    const diff = mean(main.accuracies) - mean(other.accuracies);
    return verdict(
      { significant: false, test: 'none', p: null, headline: `${ahead(diff)} by ${pts(Math.abs(diff))} points` },
      '; the seeds show no spread, so no test applies',
    );
  }
  const pa = mean(main.accuracies);
  const pb = mean(other.accuracies);
  const z = twoProportionTest(pa, main.testImages, pb, other.testImages);
  if (!z) {
    return verdict(
      { significant: false, test: 'none', p: null, headline: `${ahead(pa - pb)} by ${pts(Math.abs(pa - pb))} points` },
      '; no test applies at 0% or 100%',
    );
  }
  const significant = z.p < ALPHA;
  const words = significant ? 'larger than the test-set noise' : 'within the test-set noise';
  const single = [main, other].filter((n) => n.accuracies.length < 2).map((n) => n.name);
  const why = single.length === 2 ? 'one seed each' : `${single[0]} has one run`;
  return verdict(
    {
      significant,
      test: 'binomial',
      p: z.p,
      headline: `${ahead(z.difference)} by ${pts(Math.abs(z.difference))} ± ${pts(z.halfWidth95)} points, ${words}`,
    },
    ` (two-proportion z-test on ${main.testImages.toLocaleString('en')} test images, p=${formatP(z.p)}; ${why}, so seed noise is not measured: use seeds=3 or more)`,
  );
}

/** p-values as people read them: two significant digits, "<0.001" below that. */
export function formatP(p: number): string {
  if (p < 0.001) return '<0.001';
  return p >= 0.1 ? p.toFixed(2) : p.toPrecision(2);
}
