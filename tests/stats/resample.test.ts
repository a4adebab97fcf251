import { describe, expect, it } from "vitest";
import { bootstrapMeans, bootstrapMeansSeeded, resamplingUnits } from "../../harness/stats/resample.ts";
import { mulberry32 } from "../../harness/stats/rng.ts";

// The inlined generator must reproduce the reference replicates exactly (reports are pinned by seed).
describe("bootstrapMeansSeeded", () => {
  const rng = mulberry32(7);
  const values = Array.from({ length: 257 }, () => rng() * 3 - 1);

  it.each([0, 1, 42, 0xffffffff, 2 ** 40 + 5, -3])("equals the reference on singleton units, seed %s", (seed) => {
    const units = resamplingUnits(values.length);
    const fast = bootstrapMeansSeeded(values, units, 300, seed);
    expect(fast).toEqual(bootstrapMeans(values, units, 300, mulberry32(seed)));
    expect(new Set(fast).size).toBeGreaterThan(100);
  });

  it("equals the reference on clusters of unequal size", () => {
    const clusters = values.map((_, i) => (i % 5 === 0 ? undefined : `c${i % 17}`));
    const units = resamplingUnits(values.length, clusters);
    expect(units.some((u) => u.length > 1)).toBe(true);
    for (const seed of [3, 99]) {
      expect(bootstrapMeansSeeded(values, units, 200, seed)).toEqual(bootstrapMeans(values, units, 200, mulberry32(seed)));
    }
  });

  it("gives NaN replicates when there are no units", () => {
    expect(bootstrapMeansSeeded([], [], 3, 1)).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    expect(bootstrapMeans([], [], 3, mulberry32(1))).toEqual([Number.NaN, Number.NaN, Number.NaN]);
  });
});
