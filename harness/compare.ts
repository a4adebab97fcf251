// Paired comparison of a run against a baseline on the same items, per task, with corrections
// across tasks. Pure functions; formulas in docs/statistics.md.
import { type ItemRewards, isBinary, itemPasses } from "./stats.ts";
import { mean } from "./stats/estimators.ts";
import { benjaminiHochberg, bootstrapPValue, holm, mcnemar, signFlipTest } from "./stats/hypothesis.ts";
import { bootstrapMeansSeeded, percentileInterval, resamplingUnits } from "./stats/resample.ts";
import { mulberry32 } from "./stats/rng.ts";

export type PairedTest = "mcnemar" | "paired_bootstrap" | "sign_flip";

export interface TaskComparison {
  task: string;
  pairedItems: number;
  baselineMean: number;
  currentMean: number;
  /** currentMean − baselineMean over paired items. */
  delta: number;
  /** Paired bootstrap over items of the per-item mean difference. */
  ci95: [number, number];
  test: PairedTest;
  pValue: number;
  pAdjusted: number;
  significant: boolean;
  regression: boolean;
  improvement: boolean;
  /** Items present in only one of the two runs (excluded). */
  unpairedItems: number;
  /** How the p-value was computed: McNemar exact / χ² with continuity correction; sign-flip
   *  exact / Monte Carlo / normal limit; or read off the bootstrap. */
  method?: "exact" | "chi2_cc" | "monte_carlo" | "normal" | "bootstrap";
  /** McNemar's discordant counts, when McNemar was used. */
  discordant?: { baselineOnly: number; currentOnly: number; method: "exact" | "chi2_cc" };
}

export interface CompareOptions {
  alpha?: number;
  /** A drop must exceed this (in reward units) to be a regression. */
  margin?: number;
  bootstrap?: number;
  seed?: number;
  /** Sign-flip Monte Carlo permutations when there are more than 16 non-zero differences. */
  permutations?: number;
  /** Force the continuous-reward test (default sign_flip); McNemar is always used for binary K = 1. */
  continuousTest?: "sign_flip" | "paired_bootstrap";
  passThreshold?: number;
}

export interface CompareTasksOptions extends CompareOptions {
  correction?: "holm" | "bh" | "none";
}

/** Pairs by itemId; items only in one run are counted as unpaired. Order follows `current`. */
export function pairItems(current: readonly ItemRewards[], baseline: readonly ItemRewards[]) {
  const base = new Map<string, ItemRewards>();
  for (const b of baseline) if (b.rewards.length > 0) base.set(b.itemId, b);
  const pairs: { current: ItemRewards; baseline: ItemRewards }[] = [];
  const seen = new Set<string>();
  for (const c of current) {
    if (c.rewards.length === 0) continue;
    seen.add(c.itemId);
    const b = base.get(c.itemId);
    if (b) pairs.push({ current: c, baseline: b });
  }
  const baseOnly = [...base.keys()].filter((id) => !seen.has(id)).length;
  const currentOnly = seen.size - pairs.length;
  return { pairs, unpaired: baseOnly + currentOnly };
}

/** One task, unadjusted: pAdjusted = pValue, significance at alpha. */
export function compareTask(task: string, current: ItemRewards[], baseline: ItemRewards[], opts: CompareOptions = {}): TaskComparison {
  const { pairs, unpaired } = pairItems(current, baseline);
  const seed = opts.seed ?? 0;
  const n = pairs.length;
  const curMeans = pairs.map((p) => mean(p.current.rewards));
  const baseMeans = pairs.map((p) => mean(p.baseline.rewards));
  const d = curMeans.map((c, i) => c - (baseMeans[i] as number));
  const reps = bootstrapMeansSeeded(d, resamplingUnits(n), opts.bootstrap ?? 2000, seed);

  const binaryK1 =
    n > 0 &&
    pairs.every((p) => p.current.rewards.length === 1 && p.baseline.rewards.length === 1) &&
    isBinary(pairs.map((p) => p.current)) &&
    isBinary(pairs.map((p) => p.baseline));

  let test: PairedTest;
  let pValue: number;
  let discordant: TaskComparison["discordant"];
  let method: TaskComparison["method"];
  if (n === 0) {
    test = opts.continuousTest ?? "sign_flip";
    pValue = 1;
  } else if (binaryK1) {
    const t = opts.passThreshold ?? 1;
    let baselineOnly = 0;
    let currentOnly = 0;
    for (const p of pairs) {
      const c = itemPasses(p.current, t)[0] === true;
      const b = itemPasses(p.baseline, t)[0] === true;
      if (b && !c) baselineOnly++;
      if (c && !b) currentOnly++;
    }
    const r = mcnemar(baselineOnly, currentOnly);
    test = "mcnemar";
    pValue = r.pValue;
    discordant = { baselineOnly, currentOnly, method: r.method };
    method = r.method;
  } else if ((opts.continuousTest ?? "sign_flip") === "sign_flip") {
    test = "sign_flip";
    const r = signFlipTest(d, mulberry32(seed + 1), opts.permutations ?? 10000);
    pValue = r.pValue;
    method = r.method;
  } else {
    test = "paired_bootstrap";
    pValue = bootstrapPValue(reps);
    method = "bootstrap";
  }

  const baselineMean = n === 0 ? Number.NaN : mean(baseMeans);
  const currentMean = n === 0 ? Number.NaN : mean(curMeans);
  const out: TaskComparison = {
    task,
    pairedItems: n,
    baselineMean,
    currentMean,
    delta: currentMean - baselineMean,
    ci95: n === 0 ? [Number.NaN, Number.NaN] : percentileInterval(reps),
    test,
    pValue,
    pAdjusted: pValue,
    significant: false,
    regression: false,
    improvement: false,
    unpairedItems: unpaired,
  };
  if (method) out.method = method;
  if (discordant) out.discordant = discordant;
  return decide(out, opts.alpha ?? 0.05, opts.margin ?? 0);
}

function decide(c: TaskComparison, alpha: number, margin: number): TaskComparison {
  const significant = c.pairedItems > 0 && c.pAdjusted < alpha;
  return { ...c, significant, regression: significant && c.delta < -margin, improvement: significant && c.delta > margin };
}

/** Every task compared, then p-values adjusted across tasks (Holm by default, or BH). */
export function compareTasks(
  rows: { task: string; current: ItemRewards[]; baseline: ItemRewards[] }[],
  opts: CompareTasksOptions = {},
): TaskComparison[] {
  const raw = rows.map((r, i) => compareTask(r.task, r.current, r.baseline, { ...opts, seed: (opts.seed ?? 0) + 7919 * i }));
  const ps = raw.map((c) => c.pValue);
  const correction = opts.correction ?? "holm";
  const adjusted = correction === "holm" ? holm(ps) : correction === "bh" ? benjaminiHochberg(ps) : ps;
  return raw.map((c, i) => decide({ ...c, pAdjusted: adjusted[i] as number }, opts.alpha ?? 0.05, opts.margin ?? 0));
}
