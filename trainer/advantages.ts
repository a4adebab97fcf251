// Advantage estimators, each a named strategy in a registry. Input: per-token rewards of every
// rollout of every group (rewards_GT per group); output: per-token advantages of the same shape.
// Outcome rewards sit on the last token, so a sequence's return R_i = sum_t r_{i,t}.
import type { AdvantageEstimator, AdvantageOptions, RewardGroup } from "./types.ts";

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]) => (xs.length ? sum(xs) / xs.length : 0);
/** Sample std (n - 1), as torch.std's default that TRL and verl call; 0 for one element. */
export function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** G_t = sum_{k>=t} gamma^(k-t) r_k (seed 002, reward-to-go). */
export function rewardToGo(rewards_T: readonly number[], gamma: number): number[] {
  const out = new Array<number>(rewards_T.length);
  let acc = 0;
  for (let t = rewards_T.length - 1; t >= 0; t--) out[t] = acc = rewards_T[t]! + gamma * acc;
  return out;
}

/** The discounted return sum_k gamma^k r_k, credited to every token. */
function fullReturn(rewards_T: readonly number[], gamma: number): number[] {
  const R = rewardToGo(rewards_T, gamma)[0] ?? 0;
  return rewards_T.map(() => R);
}

const returns = (g: RewardGroup) => g.map((r) => sum(r));
const broadcast = (g: RewardGroup, a_G: readonly number[]) => g.map((r, i) => r.map(() => a_G[i]!));

/** Whitening over every token of the batch: (x - mean) / (std + eps). */
function whiten(adv: number[][][], eps: number): number[][][] {
  const all = adv.flat(2);
  const m = mean(all);
  const s = std(all);
  return adv.map((g) => g.map((r) => r.map((x) => (x - m) / (s + eps))));
}

/** REINFORCE without a baseline: A_t = G_t (reward-to-go) or the whole return (seed 001/002). */
export const reinforce: AdvantageEstimator = {
  name: "reinforce",
  compute: (groups, o) => groups.map((g) => g.map((r) => (o.rewardToGo ? rewardToGo(r, o.gamma) : fullReturn(r, o.gamma)))),
};

/** GRPO (Shao et al. 2024 §4.1): A_i = (R_i - mean_group R) / (std + eps), std of the group,
 *  the whole batch, or none (TRL scale_rewards). */
export const grpo: AdvantageEstimator = {
  name: "grpo",
  compute(groups, o) {
    const batchStd = std(groups.flatMap(returns));
    return groups.map((g) => {
      const R = returns(g);
      const m = mean(R);
      const s = o.stdScaling === "group" ? std(R) : o.stdScaling === "batch" ? batchStd : undefined;
      return broadcast(g, R.map((r) => (s === undefined ? r - m : (r - m) / (s + o.eps))));
    });
  },
};

/** Dr. GRPO (Liu et al. 2025): the group mean only, no std division. */
export const drGrpo: AdvantageEstimator = {
  name: "dr_grpo",
  compute: (groups, o) => grpo.compute(groups, { ...o, stdScaling: "none" }),
};

/** RLOO (Kool et al. 2019; Ahmadian et al. 2024): A_i = R_i - mean_{j != i} R_j. */
export const rloo: AdvantageEstimator = {
  name: "rloo",
  compute: (groups) =>
    groups.map((g) => {
      const R = returns(g);
      const total = sum(R);
      const k = R.length;
      return broadcast(g, R.map((r) => (k > 1 ? r - (total - r) / (k - 1) : 0)));
    }),
};

/** REINFORCE++ (Hu 2025): per-token reward-to-go, whitened over the whole batch. */
export const reinforcePP: AdvantageEstimator = {
  name: "reinforce_pp",
  compute: (groups, o) => whiten(reinforce.compute(groups, { ...o, rewardToGo: true }), o.eps),
};

/** REINFORCE++-baseline (OpenRLHF reinforce_baseline): subtract the group mean return, then
 *  whiten over the batch. */
export const reinforcePPBaseline: AdvantageEstimator = {
  name: "reinforce_pp_baseline",
  compute: (groups, o) => whiten(drGrpo.compute(groups, o), o.eps),
};

const registry = new Map<string, AdvantageEstimator>();
export function registerAdvantage(e: AdvantageEstimator): void {
  registry.set(e.name, e);
}
for (const e of [reinforce, grpo, drGrpo, rloo, reinforcePP, reinforcePPBaseline]) registerAdvantage(e);

export function advantageNames(): string[] {
  return [...registry.keys()];
}

export function getAdvantage(name: string): AdvantageEstimator {
  const e = registry.get(name);
  if (!e) throw new Error(`unknown advantage estimator "${name}"; expected one of: ${advantageNames().join(", ")}`);
  return e;
}

export function computeAdvantages(name: string, groups: RewardGroup[], opts: AdvantageOptions): number[][][] {
  return getAdvantage(name).compute(groups, opts);
}

/** DAPO soft overlong punishment (Yu et al. 2025, eq. 13), scaled by factor: 0 up to
 *  maxLen - buffer, then linear down to -factor at maxLen. */
export function overlongPenalty(length: number, maxLen: number, buffer: number, factor: number): number {
  if (buffer <= 0) return 0;
  const free = maxLen - buffer;
  if (length <= free) return 0;
  if (length > maxLen) return -factor;
  return ((free - length) / buffer) * factor;
}
