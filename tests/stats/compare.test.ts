import { describe, expect, it } from "vitest";
import { compareTask, compareTasks, pairItems } from "../../harness/compare.ts";
import { holm, benjaminiHochberg, type ItemRewards, mulberry32 } from "../../harness/stats.ts";

const items = (rows: [string, number[]][]): ItemRewards[] => rows.map(([itemId, rewards]) => ({ itemId, rewards }));

/** Binary K=1 runs of n items with pass probabilities pBase / pCur, correlated per item. */
function pairedBinary(seed: number, n: number, pBase: number, pCur: number): { base: ItemRewards[]; cur: ItemRewards[] } {
  const rng = mulberry32(seed);
  const base: ItemRewards[] = [];
  const cur: ItemRewards[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng(); // shared item difficulty
    base.push({ itemId: `q${i}`, rewards: [u < pBase ? 1 : 0] });
    cur.push({ itemId: `q${i}`, rewards: [u < pCur ? 1 : 0] });
  }
  return { base, cur };
}

describe("pairing", () => {
  it("pairs by itemId and counts items present in only one run", () => {
    const { pairs, unpaired } = pairItems(items([["a", [1]], ["b", [0]], ["x", [1]]]), items([["b", [1]], ["a", [1]], ["y", [0]], ["z", [1]]]));
    expect(pairs.map((p) => p.current.itemId)).toEqual(["a", "b"]);
    expect(unpaired).toBe(3);
    const c = compareTask("t", items([["a", [1]], ["b", [0]], ["x", [1]]]), items([["b", [1]], ["a", [1]], ["y", [0]]]));
    expect(c.pairedItems).toBe(2);
    expect(c.unpairedItems).toBe(2);
    expect(c.delta).toBeCloseTo(-0.5, 14);
  });

  it("no common items: NaN delta, p = 1, never significant", () => {
    const c = compareTask("t", items([["a", [1]]]), items([["b", [0]]]));
    expect(c.pairedItems).toBe(0);
    expect(Number.isNaN(c.delta)).toBe(true);
    expect(c.pValue).toBe(1);
    expect(c.significant).toBe(false);
  });
});

describe("compareTask", () => {
  it("binary K=1 uses McNemar on the discordant pairs", () => {
    // 30 items: 12 baseline-only passes, 2 current-only passes, 16 concordant.
    const base: [string, number[]][] = [];
    const cur: [string, number[]][] = [];
    for (let i = 0; i < 30; i++) {
      const [b, c] = i < 12 ? [1, 0] : i < 14 ? [0, 1] : i < 22 ? [1, 1] : [0, 0];
      base.push([`q${i}`, [b]]);
      cur.push([`q${i}`, [c]]);
    }
    const r = compareTask("t", items(cur), items(base), { margin: 0.05 });
    expect(r.test).toBe("mcnemar");
    expect(r.discordant).toEqual({ baselineOnly: 12, currentOnly: 2, method: "exact" });
    // exact two-sided binomial: 2 * sum_{i<=2} C(14,i) / 2^14 = 2 * 106 / 16384
    expect(r.pValue).toBeCloseTo((2 * 106) / 16384, 12);
    expect(r.delta).toBeCloseTo(-10 / 30, 14);
    expect(r.regression).toBe(true);
    expect(r.improvement).toBe(false);
    expect(r.ci95[1]).toBeLessThan(0);
  });

  it("K > 1 uses the sign-flip test on per-item means; paired_bootstrap on request", () => {
    const rng = mulberry32(11);
    const base: ItemRewards[] = [];
    const cur: ItemRewards[] = [];
    for (let i = 0; i < 50; i++) {
      const p = rng();
      base.push({ itemId: `i${i}`, rewards: Array.from({ length: 4 }, () => (rng() < p ? 1 : 0)) });
      cur.push({ itemId: `i${i}`, rewards: Array.from({ length: 4 }, () => (rng() < Math.min(1, p + 0.2) ? 1 : 0)) });
    }
    const r = compareTask("t", cur, base, { seed: 3 });
    expect(r.test).toBe("sign_flip");
    expect(r.method).toBe("monte_carlo");
    expect(r.delta).toBeGreaterThan(0.1);
    expect(r.pValue).toBeLessThan(0.01);
    expect(r.improvement).toBe(true);
    expect(r.ci95[0]).toBeGreaterThan(0);
    const b = compareTask("t", cur, base, { seed: 3, continuousTest: "paired_bootstrap" });
    expect(b.test).toBe("paired_bootstrap");
    expect(b.pValue).toBeLessThan(0.01);
  });

  it("identical runs: delta 0, p = 1, nothing flagged", () => {
    const { base } = pairedBinary(5, 80, 0.6, 0.6);
    const r = compareTask("t", base, base);
    expect(r.delta).toBe(0);
    expect(r.pValue).toBe(1);
    expect(r.significant || r.regression || r.improvement).toBe(false);
  });

  it("a significant drop within the margin is not a regression", () => {
    const { base, cur } = pairedBinary(6, 2000, 0.7, 0.66);
    const r = compareTask("t", cur, base, { margin: 0.05 });
    expect(r.significant).toBe(true);
    expect(r.delta).toBeLessThan(0);
    expect(r.delta).toBeGreaterThan(-0.05);
    expect(r.regression).toBe(false);
    expect(compareTask("t", cur, base, { margin: 0.01 }).regression).toBe(true);
  });

  it("false-positive rate under the null is near alpha (McNemar and sign-flip)", () => {
    let flaggedBinary = 0;
    let flaggedCont = 0;
    const reps = 200;
    for (let r = 0; r < reps; r++) {
      const rng = mulberry32(500 + r);
      const base: ItemRewards[] = [];
      const cur: ItemRewards[] = [];
      const baseC: ItemRewards[] = [];
      const curC: ItemRewards[] = [];
      for (let i = 0; i < 60; i++) {
        const p = rng();
        base.push({ itemId: `${i}`, rewards: [rng() < p ? 1 : 0] });
        cur.push({ itemId: `${i}`, rewards: [rng() < p ? 1 : 0] });
        baseC.push({ itemId: `${i}`, rewards: [p + rng() * 0.2, p + rng() * 0.2] });
        curC.push({ itemId: `${i}`, rewards: [p + rng() * 0.2, p + rng() * 0.2] });
      }
      if (compareTask("t", cur, base, { seed: r, bootstrap: 200 }).significant) flaggedBinary++;
      if (compareTask("t", curC, baseC, { seed: r, bootstrap: 200, permutations: 2000 }).significant) flaggedCont++;
    }
    expect(flaggedBinary / reps).toBeLessThanOrEqual(0.09);
    expect(flaggedCont / reps).toBeLessThanOrEqual(0.09);
    expect(flaggedCont / reps).toBeGreaterThan(0.005);
  });
});

describe("compareTasks", () => {
  it("adjusts p-values across tasks with Holm (default) or BH and decides on the adjusted value", () => {
    const rows = [
      { task: "big-drop", ...swap(pairedBinary(1, 400, 0.8, 0.6)) },
      { task: "small-drop", ...swap(pairedBinary(2, 400, 0.8, 0.76)) },
      { task: "same", ...swap(pairedBinary(3, 400, 0.5, 0.5)) },
      { task: "up", ...swap(pairedBinary(4, 400, 0.5, 0.6)) },
    ];
    const holmed = compareTasks(rows, { margin: 0.02 });
    const raw = holmed.map((c) => c.pValue);
    holm(raw).forEach((p, i) => expect(holmed[i]!.pAdjusted).toBeCloseTo(p, 14));
    const bh = compareTasks(rows, { correction: "bh", margin: 0.02 });
    benjaminiHochberg(raw).forEach((p, i) => expect(bh[i]!.pAdjusted).toBeCloseTo(p, 14));
    expect(holmed.map((c) => c.task)).toEqual(["big-drop", "small-drop", "same", "up"]);
    expect(holmed[0]!.regression).toBe(true);
    expect(holmed[2]!.significant).toBe(false);
    expect(holmed[3]!.improvement).toBe(true);
    for (const c of holmed) expect(c.regression).toBe(c.pAdjusted < 0.05 && c.delta < -0.02);
  });

  it("is reproducible for a seed", () => {
    const rows = [{ task: "t", current: items([["a", [0.2, 0.4]], ["b", [0.9, 0.1]]]), baseline: items([["a", [0.1, 0.3]], ["b", [0.5, 0.5]]]) }];
    expect(compareTasks(rows, { seed: 5 })).toEqual(compareTasks(rows, { seed: 5 }));
  });
});

function swap(x: { base: ItemRewards[]; cur: ItemRewards[] }) {
  return { current: x.cur, baseline: x.base };
}
