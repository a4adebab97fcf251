import { describe, expect, it } from "vitest";
import { benjaminiHochberg, holm, mcnemar, mulberry32, signFlipTest } from "../../harness/stats.ts";
import { binomialTwoSidedHalf, bootstrapPValue, chiSquare1Sf, erfc } from "../../harness/stats/hypothesis.ts";

describe("special functions", () => {
  it("erfc against tabulated values (Abramowitz & Stegun table 7.1)", () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(0.5)).toBeCloseTo(0.4795001222, 7);
    expect(erfc(1)).toBeCloseTo(0.1572992070, 7);
    expect(erfc(2)).toBeCloseTo(0.004677734981, 8);
    expect(erfc(-1)).toBeCloseTo(1.8427007929, 7);
  });

  it("chi-square(1) upper tail at the 5% critical value 3.841459 is 0.05", () => {
    expect(chiSquare1Sf(3.841458820694124)).toBeCloseTo(0.05, 6);
    expect(chiSquare1Sf(6.634896601021214)).toBeCloseTo(0.01, 6);
  });

  it("exact binomial two-sided p equals the direct sum", () => {
    // 2 * sum_{i<=2} C(12,i) / 2^12 = 2 * 79 / 4096
    expect(binomialTwoSidedHalf(2, 12)).toBeCloseTo((2 * 79) / 4096, 14);
    expect(binomialTwoSidedHalf(6, 12)).toBe(1);
    expect(binomialTwoSidedHalf(0, 0)).toBe(1);
  });
});

describe("McNemar", () => {
  it("textbook example (Wikipedia, McNemar's test: b = 121, c = 59) with continuity correction", () => {
    const r = mcnemar(121, 59);
    expect(r.method).toBe("chi2_cc");
    expect(r.statistic).toBeCloseTo((62 - 1) ** 2 / 180, 12);
    expect(r.pValue).toBeCloseTo(5.450094825427123e-6, 9); // Python math.erfc(sqrt(x/2))
  });

  it("uses the exact binomial test below 25 discordant pairs", () => {
    const r = mcnemar(2, 10);
    expect(r.method).toBe("exact");
    expect(r.pValue).toBeCloseTo(0.03857421875, 12);
    expect(mcnemar(5, 5).pValue).toBe(1);
    expect(mcnemar(9, 21).method).toBe("chi2_cc");
    expect(mcnemar(9, 21).pValue).toBeCloseTo(0.04460971802493963, 6);
  });
});

describe("sign-flip permutation test", () => {
  it("exact p for a hand-enumerable case", () => {
    // d = [1, 2, 3]: 8 sign patterns, |sums| = 6,4,2,0,0,2,4,6; observed 6 -> 2/8.
    expect(signFlipTest([1, 2, 3], mulberry32(1)).pValue).toBeCloseTo(0.25, 12);
    expect(signFlipTest([1, -1], mulberry32(1)).pValue).toBe(1);
    expect(signFlipTest([0, 0], mulberry32(1)).pValue).toBe(1);
  });

  it("Monte Carlo agrees with brute-force enumeration for 18 differences", () => {
    const rng = mulberry32(5);
    const d = Array.from({ length: 18 }, () => Math.round((rng() - 0.3) * 100) / 100).map((x) => (x === 0 ? 0.01 : x));
    const obs = Math.abs(d.reduce((a, b) => a + b));
    let extreme = 0;
    for (let mask = 0; mask < 2 ** 18; mask++) {
      let s = 0;
      for (let i = 0; i < 18; i++) s += mask & (1 << i) ? -d[i]! : d[i]!;
      if (Math.abs(s) >= obs - 1e-12) extreme++;
    }
    const exact = extreme / 2 ** 18;
    const mc = signFlipTest(d, mulberry32(9), 20000);
    expect(mc.exact).toBe(false);
    expect(Math.abs(mc.pValue - exact)).toBeLessThan(4 * Math.sqrt((exact * (1 - exact)) / 20000) + 1e-4);
  });

  it("above 2000 non-zero differences the normal limit of the permutation distribution is used", () => {
    const rng = mulberry32(8);
    const d = Array.from({ length: 2500 }, () => rng() - 0.48);
    const normal = signFlipTest(d, mulberry32(1));
    expect(normal.method).toBe("normal");
    const sum = d.reduce((a, b) => a + b);
    const sumSq = d.reduce((a, b) => a + b * b, 0);
    expect(normal.pValue).toBeCloseTo(erfc(Math.abs(sum) / Math.sqrt(2 * sumSq)), 12);
    // One huge difference breaks the normal limit: Monte Carlo is used instead.
    expect(signFlipTest([...d, 1000], mulberry32(1), 200).method).toBe("monte_carlo");
  });

  it("Monte Carlo and the normal limit agree near the 2000-item boundary", () => {
    const rng = mulberry32(12);
    const d = Array.from({ length: 2001 }, () => rng() - 0.485);
    expect(signFlipTest(d, mulberry32(1)).method).toBe("normal");
    const mc = signFlipTest(d.slice(0, 2000), mulberry32(1), 20000);
    expect(mc.method).toBe("monte_carlo");
    const dropped = d.slice(0, 2000);
    const s = dropped.reduce((a, b) => a + b);
    const ss = dropped.reduce((a, b) => a + b * b, 0);
    expect(Math.abs(mc.pValue - erfc(Math.abs(s) / Math.sqrt(2 * ss)))).toBeLessThan(0.02);
  });

  it("bootstrap p-value reads both tails", () => {
    expect(bootstrapPValue([0.1, 0.2, 0.3, -0.1])).toBeCloseTo(3 / 5, 12);
    expect(bootstrapPValue([0.1, 0.2, 0.3, 0.4])).toBeCloseTo(1 / 5, 12);
  });
});

describe("multiple comparisons", () => {
  // Benjamini & Hochberg (1995), section 4: 15 p-values; at q = 0.05 BH rejects the first four,
  // Holm (like Bonferroni there) the first three.
  const ps = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262, 0.5719, 0.6528, 0.759, 1.0];

  it("BH on the paper's worked example", () => {
    const adj = benjaminiHochberg(ps);
    expect(adj.filter((p) => p <= 0.05)).toHaveLength(4);
    expect(adj[3]).toBeCloseTo((0.0095 * 15) / 4, 12);
    expect(adj[0]).toBeCloseTo(0.0015, 12);
  });

  it("Holm on the paper's worked example and on a four-hypothesis example", () => {
    expect(holm(ps).filter((p) => p <= 0.05)).toHaveLength(3);
    // p = [0.01, 0.04, 0.03, 0.005]: sorted x (4,3,2,1) = 0.02, 0.03, 0.06, 0.04 -> monotone 0.02, 0.03, 0.06, 0.06.
    const adj = holm([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((v, i) => expect(adj[i]).toBeCloseTo(v, 12));
    const bh = benjaminiHochberg([0.01, 0.04, 0.03, 0.005]);
    [0.02, 0.04, 0.04, 0.02].forEach((v, i) => expect(bh[i]).toBeCloseTo(v, 12));
  });

  it("adjusted p-values never fall below raw ones and are capped at 1", () => {
    const rng = mulberry32(3);
    const raw = Array.from({ length: 30 }, () => rng());
    for (const adj of [holm(raw), benjaminiHochberg(raw)]) {
      adj.forEach((p, i) => {
        expect(p).toBeGreaterThanOrEqual(raw[i]!);
        expect(p).toBeLessThanOrEqual(1);
      });
    }
  });
});
