import { describe, expect, it } from "vitest";
import { grpoAdvantages, type ItemRewards, mulberry32, passAtK, passHatK, rlooAdvantages, taskStats } from "../../harness/stats.ts";
import { wilson } from "../../harness/stats/estimators.ts";

/** n items; item i has success probability p_i ~ Beta-like(a); K Bernoulli samples each. */
function simulate(seed: number, n: number, K: number, p: (rng: () => number) => number): ItemRewards[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const pi = p(rng);
    return { itemId: `i${i}`, rewards: Array.from({ length: K }, () => (rng() < pi ? 1 : 0)) };
  });
}

describe("taskStats", () => {
  it("computes counts, item-weighted mean, pass@k/pass^k averaged over items, zero-variance fraction", () => {
    const items: ItemRewards[] = [
      { itemId: "a", rewards: [1, 1, 1, 1] },
      { itemId: "b", rewards: [0, 1, 0, 0] },
      { itemId: "c", rewards: [0, 0, 0, 0] },
      { itemId: "d", rewards: [1, 0, 1, 0], errors: 1 },
    ];
    const s = taskStats(items, { seed: 1 });
    expect(s.items).toBe(4);
    expect(s.samplesPerItem).toBe(4);
    expect(s.samples).toBe(16);
    expect(s.mean).toBeCloseTo((1 + 0.25 + 0 + 0.5) / 4, 14);
    expect(Object.keys(s.passAtK).map(Number)).toEqual([1, 2, 4]);
    expect(s.passAtK[2]).toBeCloseTo((passAtK(4, 4, 2) + passAtK(4, 1, 2) + passAtK(4, 0, 2) + passAtK(4, 2, 2)) / 4, 14);
    expect(s.passHatK[4]).toBeCloseTo(0.25, 14);
    expect(s.fracZeroStd).toBeCloseTo(0.5, 14);
    expect(s.passRate?.rate).toBeCloseTo(7 / 16, 14);
    expect(s.passRate?.ci95).toEqual(wilson(7, 16));
    expect(s.errors).toBe(1);
    expect(s.ci95[0]).toBeLessThan(s.mean);
    expect(s.ci95[1]).toBeGreaterThan(s.mean);
  });

  it("continuous rewards: no passRate; pass@k uses reward >= passThreshold or explicit passes", () => {
    const items: ItemRewards[] = [
      { itemId: "a", rewards: [0.2, 0.9] },
      { itemId: "b", rewards: [0.6, 0.4], passes: [true, false] },
    ];
    const s = taskStats(items, { passThreshold: 0.8, ks: [1, 2] });
    expect(s.passRate).toBeUndefined();
    expect(s.passAtK[1]).toBeCloseTo((0.5 + 0.5) / 2, 14);
    expect(s.passHatK[2]).toBe(0);
  });

  it("uneven K: samplesPerItem is the smallest K; items with fewer than k samples are left out of pass@k", () => {
    const s = taskStats([{ itemId: "a", rewards: [1, 0, 1] }, { itemId: "b", rewards: [0] }], { ks: [1, 3] });
    expect(s.samplesPerItem).toBe(1);
    expect(s.passAtK[1]).toBeCloseTo((2 / 3 + 0) / 2, 14);
    expect(s.passAtK[3]).toBe(1);
  });

  it("is reproducible for a seed and differs across seeds", () => {
    const items = simulate(1, 60, 3, (r) => r());
    expect(taskStats(items, { seed: 42 }).ci95).toEqual(taskStats(items, { seed: 42 }).ci95);
    expect(taskStats(items, { seed: 42 }).ci95).not.toEqual(taskStats(items, { seed: 43 }).ci95);
  });

  it("bad input is named", () => {
    expect(() => taskStats([{ itemId: "x", rewards: [Number.NaN] }])).toThrow(/item "x": reward NaN/);
    expect(() => taskStats([{ itemId: "y", rewards: [1, 0], passes: [true] }])).toThrow(/item "y": passes has 1/);
  });

  it("bootstrap CI covers the true mean in >= 90% of 200 simulated datasets", () => {
    // p_i = U^2 with U uniform: E[p] = 1/3; n = 40 items x K = 4 Bernoulli samples.
    let covered = 0;
    const reps = 200;
    for (let r = 0; r < reps; r++) {
      const s = taskStats(simulate(1000 + r, 40, 4, (rng) => rng() ** 2), { seed: r, bootstrap: 400 });
      if (s.ci95[0] <= 1 / 3 && 1 / 3 <= s.ci95[1]) covered++;
    }
    expect(covered / reps).toBeGreaterThanOrEqual(0.9);
    expect(covered / reps).toBeLessThanOrEqual(0.99);
  });

  it("clusters: shared-cluster items widen SE and CI relative to treating items as independent", () => {
    // 10 clusters of 6 items; items within a cluster share their success probability.
    const rng = mulberry32(77);
    const items: ItemRewards[] = [];
    const clusters = new Map<string, string>();
    for (let c = 0; c < 10; c++) {
      const p = rng();
      for (let j = 0; j < 6; j++) {
        const id = `c${c}-${j}`;
        clusters.set(id, `c${c}`);
        items.push({ itemId: id, rewards: [rng() < p ? 1 : 0, rng() < p ? 1 : 0] });
      }
    }
    const plain = taskStats(items, { seed: 1 });
    const clustered = taskStats(items, { seed: 1, clusters });
    expect(clustered.mean).toBe(plain.mean);
    expect(clustered.stderr).toBeGreaterThan(plain.stderr * 1.3);
    expect(clustered.ci95[1] - clustered.ci95[0]).toBeGreaterThan((plain.ci95[1] - plain.ci95[0]) * 1.3);
  });

  it("empty input gives zero items and NaN mean rather than throwing", () => {
    const s = taskStats([]);
    expect(s.items).toBe(0);
    expect(Number.isNaN(s.mean)).toBe(true);
    expect(s.passAtK).toEqual({});
  });

  it("pass^k averaged over items equals the direct formula", () => {
    const items = simulate(9, 25, 5, (r) => r());
    const s = taskStats(items, { ks: [3] });
    const direct = items.reduce((acc, it) => acc + passHatK(5, it.rewards.filter((x) => x === 1).length, 3), 0) / 25;
    expect(s.passHatK[3]).toBeCloseTo(direct, 14);
  });
});

describe("group advantages", () => {
  it("GRPO: zero group mean, unit population std, zero for constant groups, 'none' is r - mean", () => {
    const r = [1, 0, 0, 1, 1, 0.5];
    const a = grpoAdvantages(r, { eps: 0 });
    expect(a.reduce((s, x) => s + x, 0)).toBeCloseTo(0, 12);
    expect(Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length)).toBeCloseTo(1, 12);
    expect(grpoAdvantages([1, 1, 1])).toEqual([0, 0, 0]);
    const m = r.reduce((s, x) => s + x) / r.length;
    grpoAdvantages(r, { scale: "none" }).forEach((x, i) => expect(x).toBeCloseTo(r[i]! - m, 14));
    expect(grpoAdvantages([])).toEqual([]);
  });

  it("RLOO equals K/(K-1)(r - mean) and r minus the mean of the others", () => {
    const rng = mulberry32(4);
    for (let K = 2; K <= 8; K++) {
      const r = Array.from({ length: K }, () => rng());
      const m = r.reduce((s, x) => s + x) / K;
      const a = rlooAdvantages(r);
      a.forEach((x, i) => {
        expect(x).toBeCloseTo((K / (K - 1)) * (r[i]! - m), 12);
        const others = r.filter((_, j) => j !== i);
        expect(x).toBeCloseTo(r[i]! - others.reduce((s, y) => s + y) / (K - 1), 12);
      });
      expect(a.reduce((s, x) => s + x, 0)).toBeCloseTo(0, 12);
    }
    expect(rlooAdvantages([0.7])).toEqual([0]);
  });
});
