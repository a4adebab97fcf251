// Seed 000: importance-sampled gradients from an old policy are unbiased; ESS = (sum r)^2/sum r^2
// = N/(1+Var r) for normalised ratios and tracks 1/(1+chi^2); truncated and masked IS behave as
// defined; on-policy the StopGrad ratio trick gives the REINFORCE gradient exactly.
import { describe, expect, it } from "vitest";
import { computeLoss, effectiveSampleSize, makeLoss } from "../../trainer/losses.ts";
import { parseTrainConfig } from "../../trainer/config.ts";
import { TabularEngine } from "../../trainer/engine/tabular.ts";
import type { SampledSequence } from "../../trainer/engine/protocol.ts";
import { estimates, mdp, norm, totalReward, Z_TOL, zStats } from "./helpers.ts";

const M = 3000;
const K = 4;

/** IS weights for samples of q evaluated at pi: the real loss with sequence or token ratios. */
const isWeights = (pi: TabularEngine, over: Record<string, unknown>) => async (seqs: SampledSequence[]) => {
  const o = parseTrainConfig({ loss: { type: "is", ...over } }).loss;
  const lps = await pi.logprobs(seqs);
  const adv = seqs.map((s) => s.completion.map(() => totalReward(s.completion)));
  return computeLoss(makeLoss(o), { logprobs_BT: lps, oldLogprobs_BT: seqs.map((s) => s.logprobs), advantages_BT: adv }, { mode: "seq-mean-token-sum" }).weights_BT;
};

describe("off-policy importance sampling on the MDP", async () => {
  const pi = mdp(5);
  const q = mdp(9); // a different old policy
  const exact = pi.exactGradient(0, totalReward);
  const seqIS = zStats(await estimates(pi, M, K, isWeights(pi, { isMode: "none", ratioLevel: "sequence" }), q), exact);
  const onPolicyVar = zStats(await estimates(pi, M, K, isWeights(pi, { isMode: "none", ratioLevel: "sequence" })), exact);
  const trunc = zStats(await estimates(pi, M, K, isWeights(pi, { isMode: "truncate", isCap: 1.5, ratioLevel: "sequence" }), q), exact);
  const naive = zStats(await estimates(pi, M, K, isWeights(pi, { type: "pg" }), q), exact);
  console.log(
    `[golden] IS total variance: on-policy ${onPolicyVar.totalVariance.toFixed(3)}, off-policy IS ${seqIS.totalVariance.toFixed(3)}, ` +
      `truncated at 1.5 ${trunc.totalVariance.toFixed(3)}; bias |E g - grad J|: truncated ${norm(trunc.mean.map((x, j) => x - exact[j]!)).toFixed(4)}, ` +
      `uncorrected ${norm(naive.mean.map((x, j) => x - exact[j]!)).toFixed(4)}`,
  );

  it(`sequence-ratio IS from pi_old is unbiased for grad J(pi) (max |z| < ${Z_TOL})`, () => {
    expect(seqIS.maxAbsZ).toBeLessThan(Z_TOL);
  });
  it("ignoring the ratio (on-policy weights on off-policy data) is biased: the test has power", () => {
    expect(naive.maxAbsZ).toBeGreaterThan(Z_TOL);
  });
  it("truncation trades bias for variance", () => {
    expect(trunc.totalVariance).toBeLessThan(seqIS.totalVariance);
    expect(trunc.maxAbsZ).toBeGreaterThan(Z_TOL);
  });
});

describe("token-ratio IS on a bandit (one step: token = sequence ratio)", async () => {
  const pi = new TabularEngine({ vocabSize: 6, horizon: 1, numPrompts: 1, initScale: 1, seed: 1 });
  const q = new TabularEngine({ vocabSize: 6, horizon: 1, numPrompts: 1, initScale: 1, seed: 2 });
  const f = (c: readonly number[]) => [0.1, 1, 0.3, 0, 0.7, 0.5][c[0]!]!;
  const w = (over: Record<string, unknown>) => async (seqs: SampledSequence[]) => {
    const o = parseTrainConfig({ loss: { type: "is", ...over } }).loss;
    const lps = await pi.logprobs(seqs);
    const adv = seqs.map((s) => [f(s.completion)]);
    return computeLoss(makeLoss(o), { logprobs_BT: lps, oldLogprobs_BT: seqs.map((s) => s.logprobs), advantages_BT: adv }, { mode: "token-mean" }).weights_BT;
  };
  it("is unbiased", async () => {
    const z = zStats(await estimates(pi, M, 8, w({ isMode: "none" }), q), pi.exactGradient(0, f));
    expect(z.maxAbsZ).toBeLessThan(4.2);
  });
});

describe("ESS and truncated / masked weights", () => {
  const o = (over: Record<string, unknown>) => parseTrainConfig({ loss: { type: "is", ratioLevel: "token", ...over } }).loss;
  const ratios = [0.2, 0.5, 0.9, 1.1, 1.7, 2.5, 4.0];
  const batch = {
    logprobs_BT: [ratios.map(Math.log)],
    oldLogprobs_BT: [ratios.map(() => 0)],
    advantages_BT: [ratios.map(() => 1)],
  };
  it("ESS is (sum r)^2 / sum r^2, and N/(1+Var r) once ratios are normalised to mean 1", () => {
    const r = computeLoss(makeLoss(o({ isMode: "none" })), batch, { mode: "sum" });
    const s = ratios.reduce((a, b) => a + b, 0);
    const s2 = ratios.reduce((a, b) => a + b * b, 0);
    expect(r.stats.ess).toBeCloseTo((s * s) / s2, 12);
    const N = ratios.length;
    const norm = ratios.map((x) => (x * N) / s);
    const varPop = norm.reduce((a, x) => a + (x - 1) ** 2, 0) / N;
    expect(effectiveSampleSize(norm)).toBeCloseTo(N / (1 + varPop), 12);
  });
  it("ESS = N on-policy", () => {
    expect(effectiveSampleSize(Array(17).fill(1))).toBeCloseTo(17, 12);
  });
  it("truncated IS caps each weight at c; masked IS zeroes tokens above c", () => {
    const t = computeLoss(makeLoss(o({ isMode: "truncate", isCap: 2 })), batch, { mode: "sum" });
    const m = computeLoss(makeLoss(o({ isMode: "mask", isCap: 2 })), batch, { mode: "sum" });
    ratios.forEach((r, i) => {
      expect(t.weights_BT[0]![i]).toBeCloseTo(Math.min(r, 2), 12);
      expect(m.weights_BT[0]![i]).toBeCloseTo(r > 2 ? 0 : r, 12);
    });
    expect(t.stats.isTruncated).toBeCloseTo(2 / 7, 12);
  });
  it("with many samples, ESS/N approaches 1/(1 + chi^2(pi||q)) (the seed's N/(1+Var r))", async () => {
    const pi = new TabularEngine({ vocabSize: 5, horizon: 1, numPrompts: 1, initScale: 0.8, seed: 3 });
    const q = new TabularEngine({ vocabSize: 5, horizon: 1, numPrompts: 1, initScale: 0.8, seed: 4 });
    const P = pi.enumerate(0);
    const Q = q.enumerate(0);
    const chi2 = P.reduce((a, y, i) => a + Math.exp(2 * y.logprob - Q[i]!.logprob), 0) - 1; // Var_q(r)
    const seqs = (await q.sample([[0]], 20000, { maxTokens: 1, seed: 9 }))[0]!;
    const lp = await pi.logprobs(seqs);
    const r = seqs.map((s, i) => Math.exp(lp[i]![0]! - s.logprobs[0]!));
    const essFrac = effectiveSampleSize(r) / r.length;
    console.log(`[golden] ESS/N = ${essFrac.toFixed(4)} vs 1/(1+chi2) = ${(1 / (1 + chi2)).toFixed(4)} (chi2 = ${chi2.toFixed(4)})`);
    expect(Math.abs(essFrac - 1 / (1 + chi2))).toBeLessThan(0.03);
  });
});

describe("the StopGrad ratio trick (seed 000)", () => {
  it("on-policy, IS / PPO / CISPO / GSPO weights equal the REINFORCE weights", () => {
    const lps = [[-0.3, -1.2, -0.7], [-2.0]];
    const adv = [[0.5, 0.5, 0.5], [-1.5]];
    const base = { logprobs_BT: lps, oldLogprobs_BT: lps, advantages_BT: adv };
    const pg = computeLoss(makeLoss(parseTrainConfig({ loss: { type: "pg" } }).loss), base, { mode: "seq-mean-token-mean" });
    for (const type of ["is", "ppo", "cispo", "gspo"]) {
      const r = computeLoss(makeLoss(parseTrainConfig({ loss: { type } }).loss), base, { mode: "seq-mean-token-mean" });
      r.weights_BT.forEach((row, i) => row.forEach((w, t) => expect(w).toBeCloseTo(pg.weights_BT[i]![t]!, 12)));
      expect(r.stats.ess).toBeCloseTo(type === "gspo" ? 2 : 4, 12);
    }
  });
});
