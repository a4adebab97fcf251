// Bootstrap resampling over items (or clusters of items), percentile intervals.
import type { Rng } from "./rng.ts";

/** Linear-interpolation quantile of sorted values (R type 7, numpy's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

/** Sums and sizes of each resampling unit. */
function unitTotals(values: readonly number[], groups: readonly (readonly number[])[]) {
  const G = groups.length;
  const sums = new Float64Array(G);
  const sizes = new Float64Array(G);
  let singletons = true;
  for (let j = 0; j < G; j++) {
    const g = groups[j]!;
    let s = 0;
    for (const i of g) s += values[i] as number;
    sums[j] = s;
    sizes[j] = g.length;
    if (g.length !== 1) singletons = false;
  }
  return { G, sums, sizes, singletons };
}

/** B bootstrap replicates of the mean of `values`, resampling whole groups: `groups` lists the
 *  indices in each resampling unit (one per item, or one per cluster). The reference form of
 *  `bootstrapMeansSeeded`, for any Rng. */
export function bootstrapMeans(values: readonly number[], groups: readonly (readonly number[])[], B: number, rng: Rng): number[] {
  const { G, sums, sizes, singletons } = unitTotals(values, groups);
  const out = new Array<number>(B);
  for (let b = 0; b < B; b++) {
    let sum = 0;
    let count = 0;
    if (singletons) {
      for (let j = 0; j < G; j++) sum += sums[Math.floor(rng() * G)] as number;
      count = G;
    } else {
      for (let j = 0; j < G; j++) {
        const g = Math.floor(rng() * G);
        sum += sums[g] as number;
        count += sizes[g] as number;
      }
    }
    out[b] = count === 0 ? Number.NaN : sum / count;
  }
  return out;
}

/** `bootstrapMeans(values, groups, B, mulberry32(seed))`, bit for bit, with the generator's
 *  steps written inline: B·G draws are the whole cost of a report's interval, and a call per draw
 *  was most of it. tests/stats check the two against each other. */
export function bootstrapMeansSeeded(values: readonly number[], groups: readonly (readonly number[])[], B: number, seed: number): number[] {
  const { G, sums, sizes, singletons } = unitTotals(values, groups);
  const out = new Array<number>(B);
  // The state kept as int32 (same bits as rng.ts's uint32) so it stays in a register; `| 0` is
  // Math.floor here because 0 <= u·G < G < 2^31.
  let a = seed | 0;
  for (let b = 0; b < B; b++) {
    let sum = 0;
    let count = 0;
    if (singletons) {
      for (let j = 0; j < G; j++) {
        a = (a + 0x6d2b79f5) | 0;
        let t = Math.imul(a ^ (a >>> 15), a | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        sum += sums[((((t ^ (t >>> 14)) >>> 0) / 4294967296) * G) | 0] as number;
      }
      count = G;
    } else {
      for (let j = 0; j < G; j++) {
        a = (a + 0x6d2b79f5) | 0;
        let t = Math.imul(a ^ (a >>> 15), a | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        const g = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * G) | 0;
        sum += sums[g] as number;
        count += sizes[g] as number;
      }
    }
    out[b] = count === 0 ? Number.NaN : sum / count;
  }
  return out;
}

/** Percentile interval (Efron & Tibshirani 1993, §13.3) at the given level. */
export function percentileInterval(replicates: readonly number[], level = 0.95): [number, number] {
  const sorted = replicates.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return [quantileSorted(sorted, tail), quantileSorted(sorted, 1 - tail)];
}

/** Each item its own resampling unit, or items grouped by cluster id. */
export function resamplingUnits(n: number, clusterOf?: readonly (string | undefined)[]): number[][] {
  if (!clusterOf) return Array.from({ length: n }, (_, i) => [i]);
  const byCluster = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const c = clusterOf[i] ?? `\u0000item${i}`;
    let g = byCluster.get(c);
    if (!g) byCluster.set(c, (g = []));
    g.push(i);
  }
  return [...byCluster.values()];
}
