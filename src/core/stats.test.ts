/**
 * The statistics against hand computations and against SciPy 1.17 (scipy.stats.t, ttest_ind(equal_var=False),
 * beta.cdf, norm.cdf), whose values are quoted to the digits SciPy printed.
 */
import { describe, expect, it } from 'vitest';
import {
  compareNets,
  formatP,
  mean,
  normalCdf,
  regularizedIncompleteBeta,
  sampleStd,
  studentTCdf,
  studentTQuantile,
  summarize,
  twoProportionTest,
  welchTTest,
  wilsonInterval,
} from './stats';

describe('mean and sample standard deviation', () => {
  it('equal the hand computation for three seeds', () => {
    // 0.412 + 0.431 + 0.405 = 1.248, / 3 = 0.416; deviations -0.004, 0.015, -0.011; squares 16e-6 + 225e-6 +
    // 121e-6 = 362e-6; / (3 - 1) = 181e-6; sqrt = 0.0134536...
    const xs = [0.412, 0.431, 0.405];
    expect(mean(xs)).toBeCloseTo(0.416, 12);
    expect(sampleStd(xs)).toBeCloseTo(Math.sqrt(181e-6), 12);
  });

  it('are NaN where they are undefined, not a made-up 0', () => {
    expect(mean([])).toBeNaN();
    expect(sampleStd([0.5])).toBeNaN();
    expect(summarize([0.5])).toEqual({ n: 1, mean: 0.5, std: NaN, ci95: null });
  });
});

describe("Student's t", () => {
  it('quantiles equal the t-table (SciPy t.ppf(0.975, df))', () => {
    const table: [number, number][] = [
      [1, 12.706204736174694],
      [2, 4.302652729749462],
      [3, 3.1824463052837078],
      [4, 2.7764451051977934],
      [5, 2.5705818356363146],
      [9, 2.262157162798205],
      [29, 2.045229642132703],
      [100, 1.9839715185235518],
      [2.5, 3.5746548420036817], // a fractional df, as Welch's test gives
    ];
    for (const [df, q] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(q, 8);
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.7764451051977934, 8);
    expect(studentTQuantile(0.5, 7)).toBe(0);
  });

  it('CDF equals SciPy, and the incomplete beta under it too', () => {
    expect(studentTCdf(-1.5, 3.7)).toBeCloseTo(0.10679908460100675, 10);
    expect(studentTCdf(2.0, 1)).toBeCloseTo(0.8524163823495667, 10); // Cauchy: 1/2 + atan(2)/π
    expect(studentTCdf(0.3, 50)).toBeCloseTo(0.6172895598723483, 10);
    expect(studentTCdf(-2.2, 7.3)).toBeCloseTo(0.0310845827000118, 10);
    expect(regularizedIncompleteBeta(0.3, 2.5, 4.0)).toBeCloseTo(0.3521975859067672, 10);
    expect(regularizedIncompleteBeta(0.9, 0.5, 0.5)).toBeCloseTo(0.7951672353008665, 10);
  });

  it('the normal CDF equals SciPy to 1e-7', () => {
    expect(normalCdf(-1.96)).toBeCloseTo(0.024997895148220435, 7);
    expect(normalCdf(0.5)).toBeCloseTo(0.6914624612740131, 7);
    expect(normalCdf(-3.2)).toBeCloseTo(0.0006871379379158471, 7);
  });
});

describe('95% interval of a mean', () => {
  it('is mean ± t(0.975, n-1) · s / √n', () => {
    // 0.416 ± 4.302652729749462 · 0.0134536240470737 / √3 = 0.416 ± 0.0334206548...
    const s = summarize([0.412, 0.431, 0.405]);
    expect(s.n).toBe(3);
    expect(s.ci95![0]).toBeCloseTo(0.416 - 0.033420654855046875, 10);
    expect(s.ci95![1]).toBeCloseTo(0.416 + 0.033420654855046875, 10);
  });
});

describe("Welch's t-test", () => {
  it('equals SciPy ttest_ind(equal_var=False) on a textbook pair', () => {
    const r = welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])!;
    expect(r.t).toBeCloseTo(-1.8973665961010275, 10);
    expect(r.df).toBeCloseTo(5.882352941176471, 10);
    expect(r.p).toBeCloseTo(0.10753119493062728, 8);
  });

  it('equals SciPy on three seeds per net, with the interval of the difference', () => {
    const r = welchTTest([0.412, 0.431, 0.405], [0.452, 0.447, 0.47])!;
    expect(r.difference).toBeCloseTo(0.416 - 0.456333333333333, 12);
    expect(r.t).toBeCloseTo(-3.861265159949251, 8);
    expect(r.df).toBeCloseTo(3.9556330373074626, 8);
    expect(r.p).toBeCloseTo(0.018510649741456463, 8);
    expect(r.halfWidth95).toBeCloseTo(0.029130446756340533, 8);
  });

  it('is null where it is undefined', () => {
    expect(welchTTest([0.5], [0.4, 0.6])).toBeNull();
    expect(welchTTest([0.5, 0.5], [0.4, 0.4])).toBeNull();
  });
});

describe('binomial interval of one accuracy', () => {
  it('is the Wilson interval: ±3.1 points at 50% on 1,000 test images', () => {
    const [lo, hi] = wilsonInterval(0.5, 1000);
    expect(lo).toBeCloseTo(0.4690696003681042, 10);
    expect(hi).toBeCloseTo(0.5309303996318958, 10);
    const [lo2, hi2] = wilsonInterval(0.429, 1000);
    expect(lo2).toBeCloseTo(0.3986535230179055, 10);
    expect(hi2).toBeCloseTo(0.45988987668704334, 10);
  });

  it('stays inside 0..1 at the ends', () => {
    expect(wilsonInterval(0, 20)[0]).toBe(0);
    expect(wilsonInterval(0, 20)[1]).toBeCloseTo(0.16112515805281938, 10);
    expect(wilsonInterval(1, 20)[0]).toBeCloseTo(0.8388748419471806, 10);
    expect(wilsonInterval(1, 20)[1]).toBe(1);
  });

  it('two-proportion z-test equals the hand computation', () => {
    // se = √(0.45·0.55/1000 + 0.41·0.59/1000) = 0.0221224; z = 0.04 / se = 1.80812; p = 2Φ(-z) = 0.0705873
    const r = twoProportionTest(0.45, 1000, 0.41, 1000)!;
    expect(r.se).toBeCloseTo(0.022122386851332297, 10);
    expect(r.z).toBeCloseTo(1.808123159079061, 8);
    expect(r.p).toBeCloseTo(0.07058733449900917, 6);
    expect(r.halfWidth95).toBeCloseTo(0.04335908148067375, 8);
  });
});

describe('the verdict in words', () => {
  const main = (accuracies: number[]) => ({ name: 'WRN-16-4', accuracies, testImages: 1000 });
  const other = (accuracies: number[]) => ({ name: 'WRN-10-1', accuracies, testImages: 1000 });

  it("says a seeded difference is larger than the noise, with Welch's p", () => {
    const v = compareNets(main([0.452, 0.447, 0.47]), other([0.412, 0.431, 0.405]));
    expect(v).toMatchObject({ significant: true, test: 'welch' });
    expect(v.text).toBe("WRN-16-4 is ahead of WRN-10-1 by 4.0 ± 2.9 points, larger than the noise (Welch's t, p=0.019)");
    expect(v.headline).toBe('WRN-16-4 is ahead of WRN-10-1 by 4.0 ± 2.9 points, larger than the noise');
  });

  it('says within the noise when the seeds overlap, and names the leader either way', () => {
    const v = compareNets(main([0.41, 0.44, 0.42]), other([0.43, 0.415, 0.445]));
    expect(v.significant).toBe(false);
    // means 1.27 / 3 = 0.4233 and 1.29 / 3 = 0.43: 0.67 points; SciPy's p = 0.6183
    expect(v.p).toBeCloseTo(0.618268582234818, 8);
    expect(v.text).toBe("WRN-10-1 is ahead of WRN-16-4 by 0.7 ± 3.4 points, within the noise (Welch's t, p=0.62)");
  });

  it('single runs: the test-set noise only, and it says so', () => {
    const v = compareNets(main([0.45]), other([0.41]));
    expect(v).toMatchObject({ significant: false, test: 'binomial' });
    expect(v.p).toBeCloseTo(0.0706, 3);
    expect(v.text).toContain('within the test-set noise');
    expect(v.text).toContain('seed noise is not measured');
    // the one-line form: the same words, without the test's details
    expect(v.headline).toBe('WRN-16-4 is ahead of WRN-10-1 by 4.0 ± 4.3 points, within the test-set noise');
    expect(v.text.startsWith(`${v.headline} (two-proportion z-test`)).toBe(true);
  });

  it('no runs, no verdict', () => {
    expect(compareNets(main([]), other([0.4])).test).toBe('none');
  });

  it('formats p-values', () => {
    expect(formatP(0.0186)).toBe('0.019');
    expect(formatP(0.43)).toBe('0.43');
    expect(formatP(0.0004)).toBe('<0.001');
  });
});
