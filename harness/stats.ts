// Per-task statistics over K samples of n items: mean with bootstrap CI, Wilson pass rate,
// pass@k / pass^k, zero-variance groups. Pure functions; formulas in docs/statistics.md.
import { clusteredStderr, mean, passAtK, passHatK, stderrOfMean, wilson } from "./stats/estimators.ts";
import { bootstrapMeansSeeded, percentileInterval, resamplingUnits } from "./stats/resample.ts";
import { mulberry32 } from "./stats/rng.ts";

export { grpoAdvantages, rlooAdvantages } from "./stats/advantages.ts";
export { clusteredStderr, mean, passAtK, passHatK, stderrOfMean, variance, wilson, Z95 } from "./stats/estimators.ts";
export { benjaminiHochberg, holm, mcnemar, signFlipTest } from "./stats/hypothesis.ts";
export { mulberry32 } from "./stats/rng.ts";

/** The K samples of one item. `passes` defaults to reward >= passThreshold. */
export interface ItemRewards {
  itemId: string;
  rewards: number[];
  passes?: boolean[];
  /** How many of this item's samples ended in a verifier error (their rewards are included). */
  errors?: number;
}

export interface TaskStats {
  items: number;
  /** K: the fewest samples any item has (pass@k is reported for k <= K). */
  samplesPerItem: number;
  samples: number;
  /** Mean over items of each item's mean reward. */
  mean: number;
  /** CLT standard error over items, or clustered when clusters are given. */
  stderr: number;
  /** Percentile bootstrap over items (or clusters). */
  ci95: [number, number];
  /** Wilson interval over all samples, when outcomes are binary. */
  passRate?: { rate: number; ci95: [number, number] };
  passAtK: Record<number, number>;
  passHatK: Record<number, number>;
  /** Fraction of items with K >= 2 whose rewards are all equal (no GRPO learning signal). */
  fracZeroStd: number;
  errors?: number;
}

export interface TaskStatsOptions {
  /** Bootstrap replicates (default 1000). */
  bootstrap?: number;
  seed?: number;
  /** k values for pass@k and pass^k (default: 1, 2, 4, … up to K, and K). */
  ks?: number[];
  /** itemId -> cluster id; items sharing a cluster are resampled together. */
  clusters?: Map<string, string>;
  /** Reward at or above which a sample passes when `passes` is absent (default 1). */
  passThreshold?: number;
}

export function defaultKs(K: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k <= K; k *= 2) ks.push(k);
  if (K >= 1 && ks.at(-1) !== K) ks.push(K);
  return ks;
}

/** Pass flags of one item: given, or derived from rewards. */
export function itemPasses(item: ItemRewards, threshold = 1): boolean[] {
  return item.passes ?? item.rewards.map((r) => r >= threshold);
}

export function isBinary(items: readonly ItemRewards[]): boolean {
  return items.every((it) => it.passes !== undefined || it.rewards.every((r) => r === 0 || r === 1));
}

function validate(items: readonly ItemRewards[]): void {
  for (const it of items) {
    if (it.passes && it.passes.length !== it.rewards.length) {
      throw new RangeError(`item "${it.itemId}": passes has ${it.passes.length} entries but rewards has ${it.rewards.length}`);
    }
    for (const r of it.rewards) {
      if (!Number.isFinite(r)) throw new RangeError(`item "${it.itemId}": reward ${r} is not a finite number`);
    }
  }
}

export function taskStats(input: ItemRewards[], opts: TaskStatsOptions = {}): TaskStats {
  validate(input);
  const items = input.filter((it) => it.rewards.length > 0);
  const n = items.length;
  const K = n === 0 ? 0 : Math.min(...items.map((it) => it.rewards.length));
  const samples = items.reduce((s, it) => s + it.rewards.length, 0);
  const itemMeans = items.map((it) => mean(it.rewards));
  const clusterOf = opts.clusters ? items.map((it) => opts.clusters?.get(it.itemId)) : undefined;

  const stderr = clusterOf ? clusteredStderr(itemMeans, clusterOf.map((c, i) => c ?? `\u0000item${i}`)) : stderrOfMean(itemMeans);
  const reps = bootstrapMeansSeeded(itemMeans, resamplingUnits(n, clusterOf), opts.bootstrap ?? 1000, opts.seed ?? 0);
  const ci95 = n === 0 ? ([Number.NaN, Number.NaN] as [number, number]) : percentileInterval(reps);

  const threshold = opts.passThreshold ?? 1;
  const passCounts = items.map((it) => itemPasses(it, threshold).filter(Boolean).length);
  const pAtK: Record<number, number> = {};
  const pHatK: Record<number, number> = {};
  for (const k of opts.ks ?? defaultKs(K)) {
    // Items with fewer than k samples cannot estimate pass@k; they are left out of that k.
    const usable = items.map((it, i) => ({ n: it.rewards.length, c: passCounts[i] as number })).filter((x) => x.n >= k);
    if (usable.length === 0) continue;
    pAtK[k] = mean(usable.map((x) => passAtK(x.n, x.c, k)));
    pHatK[k] = mean(usable.map((x) => passHatK(x.n, x.c, k)));
  }

  const groups = items.filter((it) => it.rewards.length >= 2);
  const zeroStd = groups.filter((it) => it.rewards.every((r) => r === it.rewards[0])).length;

  const stats: TaskStats = {
    items: n,
    samplesPerItem: K,
    samples,
    mean: mean(itemMeans),
    stderr,
    ci95,
    passAtK: pAtK,
    passHatK: pHatK,
    fracZeroStd: groups.length === 0 ? 0 : zeroStd / groups.length,
  };
  if (n > 0 && isBinary(items)) {
    const successes = passCounts.reduce((s, c) => s + c, 0);
    stats.passRate = { rate: successes / samples, ci95: wilson(successes, samples) };
  }
  const errors = input.reduce((s, it) => s + (it.errors ?? 0), 0);
  if (errors > 0) stats.errors = errors;
  return stats;
}
