// Golden claims of seeds 000-002 on a token MDP (V=3, H=3, per-step rewards) whose true gradient is
// enumerated: REINFORCE is unbiased, reward-to-go keeps the expectation and cuts variance,
// baselines keep it unbiased (RLOO exactly, the group mean up to (K-1)/K) and cut variance.
import { describe, expect, it } from "vitest";
import { computeAdvantages } from "../../trainer/advantages.ts";
import { computeLoss, makeLoss } from "../../trainer/losses.ts";
import { parseTrainConfig } from "../../trainer/config.ts";
import type { SampledSequence } from "../../trainer/engine/protocol.ts";
import { estimates, mdp, rewards_T, scale, totalReward, Z_TOL, zStats } from "./helpers.ts";

const K = 4;
const M = 3000;
const cfg = parseTrainConfig({});

/** On-policy REINFORCE weights through the real estimator + loss modules: (1/K) sum_i A_it. */
const weightsWith = (estimator: string, rewardToGo: boolean) => (seqs: SampledSequence[]) => {
  const adv = computeAdvantages(estimator, [seqs.map((s) => rewards_T(s.completion))], { ...cfg.advantage, rewardToGo })[0]!;
  const lps = seqs.map((s) => s.logprobs);
  return computeLoss(makeLoss(cfg.loss), { logprobs_BT: lps, oldLogprobs_BT: lps, advantages_BT: adv }, { mode: "seq-mean-token-sum" }).weights_BT;
};

describe("REINFORCE against the enumerated gradient", async () => {
  const engine = mdp();
  const exact = engine.exactGradient(0, totalReward);
  const plain = zStats(await estimates(engine, M, K, weightsWith("reinforce", false)), exact);
  const rtg = zStats(await estimates(engine, M, K, weightsWith("reinforce", true)), exact);
  const loo = zStats(await estimates(engine, M, K, weightsWith("rloo", true)), exact);
  const meanSamples = await estimates(engine, M, K, weightsWith("dr_grpo", true));
  const mean = zStats(meanSamples, scale(exact, (K - 1) / K));
  const grpo = zStats(await estimates(engine, M, K, weightsWith("grpo", true)), exact);
  console.log(
    `[golden] total variance of one K=${K} estimate: reinforce ${plain.totalVariance.toFixed(3)}, ` +
      `reward-to-go ${rtg.totalVariance.toFixed(3)} (x${(plain.totalVariance / rtg.totalVariance).toFixed(2)} lower), ` +
      `rloo ${loo.totalVariance.toFixed(3)} (x${(plain.totalVariance / loo.totalVariance).toFixed(2)}), ` +
      `group mean ${mean.totalVariance.toFixed(3)} (x${(plain.totalVariance / mean.totalVariance).toFixed(2)}), ` +
      `grpo/std ${grpo.totalVariance.toFixed(3)}`,
  );

  it("the enumerated gradient matches finite differences of J", () => {
    const h = 1e-6;
    for (const j of [0, 4, 13, 20, 38]) {
      const at = (d: number) => {
        engine.theta[j]! += d;
        const J = engine.expectedReward(0, totalReward);
        engine.theta[j]! -= d;
        return J;
      };
      expect(exact[j]!).toBeCloseTo((at(h) - at(-h)) / (2 * h), 6);
    }
  });

  it(`Monte Carlo REINFORCE is unbiased (max |z| < ${Z_TOL} over 39 coordinates, M=${M})`, () => {
    expect(plain.maxAbsZ).toBeLessThan(Z_TOL);
  });

  it("reward-to-go has the same expectation and lower variance", () => {
    expect(rtg.maxAbsZ).toBeLessThan(Z_TOL);
    expect(rtg.totalVariance).toBeLessThan(plain.totalVariance);
  });

  it("the leave-one-out baseline (RLOO) is unbiased and cuts variance", () => {
    expect(loo.maxAbsZ).toBeLessThan(Z_TOL);
    expect(loo.totalVariance).toBeLessThan(0.8 * rtg.totalVariance);
  });

  it("the group-mean baseline (Dr. GRPO) is unbiased up to the factor (K-1)/K (seed 002) and cuts variance", () => {
    expect(mean.maxAbsZ).toBeLessThan(Z_TOL);
    expect(mean.totalVariance).toBeLessThan(0.8 * rtg.totalVariance);
  });

  it("the z-test has power: the group-mean estimate is detectably biased against the unscaled gradient", () => {
    expect(zStats(meanSamples, exact).maxAbsZ).toBeGreaterThan(Z_TOL);
  });
});
