// Group advantages per sample (the trainer has its own estimators; these feed reports).
import { mean } from "./estimators.ts";

/** GRPO (Shao et al. 2024, DeepSeekMath, arXiv 2402.03300): A_i = (r_i − mean)/(std + ε) with the
 *  population std of the group; scale "none" gives Dr. GRPO's r_i − mean (Liu et al. 2025). */
export function grpoAdvantages(rewards_G: readonly number[], opts: { scale?: "group" | "none"; eps?: number } = {}): number[] {
  const G = rewards_G.length;
  if (G === 0) return [];
  const m = mean(rewards_G);
  const centred = rewards_G.map((r) => r - m);
  if ((opts.scale ?? "group") === "none") return centred;
  const std = Math.sqrt(centred.reduce((s, d) => s + d * d, 0) / G);
  const eps = opts.eps ?? 1e-6;
  return centred.map((d) => d / (std + eps));
}

/** RLOO (Ahmadian et al. 2024, arXiv 2402.14740): A_i = r_i − (1/(K−1))Σ_{j≠i} r_j
 *  = K/(K−1)·(r_i − mean). A group of one has no baseline: advantage 0. */
export function rlooAdvantages(rewards_G: readonly number[]): number[] {
  const K = rewards_G.length;
  if (K < 2) return rewards_G.map(() => 0);
  const total = rewards_G.reduce((s, r) => s + r, 0);
  return rewards_G.map((r) => r - (total - r) / (K - 1));
}
