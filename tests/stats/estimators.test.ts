import { describe, expect, it } from "vitest";
import { clusteredStderr, passAtK, passHatK, stderrOfMean, wilson } from "../../harness/stats.ts";

function comb(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}
/** num/den as a float, exactly rounded to ~1e-19. */
function ratio(num: bigint, den: bigint): number {
  const SCALE = 1n << 64n;
  return Number((num * SCALE) / den) / 2 ** 64;
}

describe("pass@k and pass^k", () => {
  it("match the direct binomial formula computed with exact BigInt combinatorics", () => {
    for (let n = 1; n <= 40; n += 3) {
      for (let c = 0; c <= n; c++) {
        for (const k of [1, 2, 3, 5, 8, n]) {
          if (k > n) continue;
          const exactAt = 1 - ratio(comb(n - c, k), comb(n, k));
          const exactHat = ratio(comb(c, k), comb(n, k));
          expect(passAtK(n, c, k)).toBeCloseTo(exactAt, 12);
          expect(passHatK(n, c, k)).toBeCloseTo(exactHat, 12);
        }
      }
    }
  });

  it("match the Codex paper's numpy estimator on hand-computed cases", () => {
    // Values from Chen et al.'s pass_at_k (numpy) run by hand: 1 - prod(1 - k/arange(n-c+1, n+1)).
    expect(passAtK(5, 2, 2)).toBeCloseTo(0.7, 12);
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    expect(passAtK(10, 3, 5)).toBeCloseTo(0.9166666666666666, 12);
    expect(passAtK(7, 3, 3)).toBeCloseTo(0.8857142857142857, 12);
    expect(passAtK(200, 13, 100)).toBeCloseTo(0.9999194971988055, 12);
    expect(passAtK(20, 0, 5)).toBe(0);
    expect(passAtK(4, 4, 2)).toBe(1);
  });

  it("is stable where the naive ratio of binomials overflows", () => {
    const v = passAtK(2000, 10, 1000);
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeCloseTo(1 - ratio(comb(1990, 1000), comb(2000, 1000)), 12);
  });

  it("pass@1 is c/n and pass^1 is c/n; pass^k <= pass@1 <= pass@k", () => {
    expect(passAtK(8, 3, 1)).toBeCloseTo(3 / 8, 14);
    expect(passHatK(8, 3, 1)).toBeCloseTo(3 / 8, 14);
    expect(passHatK(8, 3, 4)).toBe(0);
    expect(passHatK(8, 3, 3)).toBeLessThan(passAtK(8, 3, 3));
  });

  it("rejects impossible counts with a precise message", () => {
    expect(() => passAtK(3, 1, 4)).toThrow(/k <= n .*k=4 > n=3/);
    expect(() => passAtK(3, 4, 1)).toThrow(RangeError);
    expect(() => passHatK(3, 1, 0)).toThrow(RangeError);
  });
});

describe("wilson", () => {
  it("matches published values", () => {
    const [lo, hi] = wilson(8, 10);
    expect(lo).toBeCloseTo(0.4902, 4);
    expect(hi).toBeCloseTo(0.9433, 4);
    const [lo0, hi0] = wilson(0, 10);
    expect(lo0).toBe(0);
    expect(hi0).toBeCloseTo(0.2775, 4);
    const [lo1, hi1] = wilson(81, 263);
    expect(lo1).toBeCloseTo(0.2553, 4);
    expect(hi1).toBeCloseTo(0.3662, 4);
  });

  it("is symmetric, inside [0, 1], and narrows with n", () => {
    const [a, b] = wilson(3, 20);
    const [c, d] = wilson(17, 20);
    expect(a).toBeCloseTo(1 - d, 12);
    expect(b).toBeCloseTo(1 - c, 12);
    expect(wilson(10, 10)[1]).toBeLessThanOrEqual(1);
    expect(wilson(500, 1000)[1] - wilson(500, 1000)[0]).toBeLessThan(wilson(5, 10)[1] - wilson(5, 10)[0]);
    expect(wilson(0, 0)).toEqual([0, 1]);
  });
});

describe("standard errors", () => {
  it("CLT SE is sqrt(s^2/n)", () => {
    const xs = [1, 0, 1, 1, 0, 1, 0, 1];
    const m = 5 / 8;
    const s2 = xs.reduce((s, x) => s + (x - m) ** 2, 0) / 7;
    expect(stderrOfMean(xs)).toBeCloseTo(Math.sqrt(s2 / 8), 14);
  });

  it("clustered SE: singletons give sqrt(C/(C-1)) x the biased SE; positively correlated clusters inflate it", () => {
    const xs = [0.9, 0.8, 0.2, 0.1, 0.7, 0.3];
    const n = xs.length;
    const m = xs.reduce((a, b) => a + b) / n;
    const biased = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0)) / n;
    expect(clusteredStderr(xs, xs.map((_, i) => `c${i}`))).toBeCloseTo(Math.sqrt(n / (n - 1)) * biased, 12);
    // By hand: clusters {0.9,0.8}, {0.2,0.1}, {0.7,0.3}; sums of deviations 0.7, -0.7, 0; C = 3.
    const byHand = Math.sqrt((3 / 2) * (0.7 ** 2 + 0.7 ** 2)) / 6;
    const clustered = clusteredStderr(xs, ["a", "a", "b", "b", "c", "c"]);
    expect(clustered).toBeCloseTo(byHand, 12);
    expect(clustered).toBeGreaterThan(stderrOfMean(xs));
  });
});
