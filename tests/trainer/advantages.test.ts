import { describe, expect, it } from "vitest";
import { advantageNames, computeAdvantages, overlongPenalty, rewardToGo, std } from "../../trainer/advantages.ts";
import { parseTrainConfig } from "../../trainer/config.ts";
import { sftStep } from "../../trainer/sft.ts";
import { TabularEngine } from "../../trainer/engine/tabular.ts";

const opts = parseTrainConfig({}).advantage;
// Two groups; outcome reward on the last token of each completion.
const groups = [
  [[0, 1], [0, 0, 0], [1], [0, 0.5]],
  [[0, 0, 2], [1], [0, 1], [3]],
];
const R = groups.map((g) => g.map((r) => r.reduce((a, b) => a + b, 0)));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("advantage estimators", () => {
  it("are registered by name", () => {
    expect(advantageNames()).toEqual(["reinforce", "grpo", "dr_grpo", "rloo", "reinforce_pp", "reinforce_pp_baseline"]);
  });
  it("reward-to-go with discount", () => {
    expect(rewardToGo([1, 0, 2], 0.5)).toEqual([1 + 0.5 * 0 + 0.25 * 2, 0 + 0.5 * 2, 2]);
  });
  it("REINFORCE: reward-to-go per token, or the whole return on every token", () => {
    const a = computeAdvantages("reinforce", [[[1, 0, 2]]], { ...opts, gamma: 1 });
    expect(a).toEqual([[[3, 2, 2]]]);
    expect(computeAdvantages("reinforce", [[[1, 0, 2]]], { ...opts, rewardToGo: false })).toEqual([[[3, 3, 3]]]);
  });
  it("GRPO: (R - group mean) / (group std + eps), broadcast to tokens", () => {
    const a = computeAdvantages("grpo", groups, opts);
    groups.forEach((g, gi) =>
      g.forEach((r, i) => {
        const want = (R[gi]![i]! - mean(R[gi]!)) / (std(R[gi]!) + opts.eps);
        r.forEach((_, t) => expect(a[gi]![i]![t]).toBeCloseTo(want, 12));
      }),
    );
  });
  it("GRPO with batch std and with no std; Dr. GRPO = mean only", () => {
    const b = computeAdvantages("grpo", groups, { ...opts, stdScaling: "batch" });
    const n = computeAdvantages("grpo", groups, { ...opts, stdScaling: "none" });
    const d = computeAdvantages("dr_grpo", groups, opts);
    const sb = std(R.flat());
    expect(b[1]![0]![0]).toBeCloseTo((R[1]![0]! - mean(R[1]!)) / (sb + opts.eps), 12);
    expect(n[1]![0]![0]).toBeCloseTo(R[1]![0]! - mean(R[1]!), 12);
    expect(d).toEqual(n);
  });
  it("RLOO: R_i - mean of the others = K/(K-1) (R_i - mean)", () => {
    const a = computeAdvantages("rloo", groups, opts);
    const d = computeAdvantages("dr_grpo", groups, opts);
    a.forEach((g, gi) => g.forEach((r, i) => expect(r[0]).toBeCloseTo((4 / 3) * d[gi]![i]![0]!, 12)));
    expect(a[0]![2]![0]).toBeCloseTo(1 - (1 + 0 + 0.5) / 3, 12);
  });
  it("REINFORCE++ whitens reward-to-go over every token of the batch; the baseline variant subtracts group means first", () => {
    for (const name of ["reinforce_pp", "reinforce_pp_baseline"]) {
      const flat = computeAdvantages(name, groups, opts).flat(2);
      expect(mean(flat)).toBeCloseTo(0, 12);
      expect(std(flat)).toBeCloseTo(1, 5);
    }
    // Per-step rewards [1, 0, 1] and [0]: reward-to-go tokens 2, 1, 1, 0 -> mean 1, sample std sqrt(2/3).
    const pp = computeAdvantages("reinforce_pp", [[[1, 0, 1], [0]]], opts);
    const s = Math.sqrt(2 / 3) + opts.eps;
    expect(pp[0]![0]![0]).toBeCloseTo(1 / s, 12);
    expect(pp[0]![0]![1]).toBeCloseTo(0, 12);
    expect(pp[0]![1]![0]).toBeCloseTo(-1 / s, 12);
  });
  it("DAPO soft overlong penalty", () => {
    expect(overlongPenalty(10, 20, 4, 1)).toBe(0);
    expect(overlongPenalty(16, 20, 4, 1)).toBe(0);
    expect(overlongPenalty(18, 20, 4, 1)).toBeCloseTo(-0.5, 12);
    expect(overlongPenalty(20, 20, 4, 1)).toBeCloseTo(-1, 12);
    expect(overlongPenalty(21, 20, 4, 1)).toBe(-1);
    expect(overlongPenalty(18, 20, 0, 1)).toBe(0);
  });
});

describe("sftStep", () => {
  it("is a token-mean NLL step: weights 1/N, loss falls on the trained sequences", async () => {
    const e = new TabularEngine({ vocabSize: 4, horizon: 3, numPrompts: 2, initScale: 0.5, seed: 2 });
    const batch = [{ prompt: [0], completion: [1, 2, 3] }, { prompt: [1], completion: [0] }];
    const first = await sftStep(e, batch, { adam: { learningRate: 0.1 } });
    const lps = (await e.logprobs(batch)).flat();
    expect(first.tokens).toBe(4);
    let last = first;
    for (let i = 0; i < 20; i++) last = await sftStep(e, batch, { adam: { learningRate: 0.1 }, microBatchSize: 1 });
    expect(last.loss).toBeLessThan(first.loss / 3);
    expect(-mean(lps)).toBeLessThan(first.loss);
  });
});
