// Aggregation modes weight long and short completions as docs/trainer.md says, and are computed
// over the whole accumulated batch: splitting forwardBackward into micro-batches changes nothing,
// whereas normalising per micro-batch (TRL's bnpo) would.
import { describe, expect, it } from "vitest";
import { aggregationCoefficients, computeLoss, makeLoss } from "../../trainer/losses.ts";
import { parseTrainConfig } from "../../trainer/config.ts";
import { TabularEngine } from "../../trainer/engine/tabular.ts";

const mask = [[1, 1, 1, 1], [1]]; // a long (4 tokens) and a short (1 token) completion
const seqTotal = (c: number[][]) => c.map((r) => r.reduce((a, b) => a + b, 0));

describe("aggregation weights (A = 1 on every token)", () => {
  it("token-mean: every token 1/N, so the long completion carries 4/5", () => {
    expect(seqTotal(aggregationCoefficients(mask, "token-mean"))).toEqual([4 / 5, 1 / 5]);
  });
  it("seq-mean-token-mean: every completion 1/B whatever its length (short tokens weigh more)", () => {
    const c = aggregationCoefficients(mask, "seq-mean-token-mean");
    expect(seqTotal(c)).toEqual([1 / 2, 1 / 2]);
    expect(c[1]![0]!).toBe(4 * c[0]![0]!);
  });
  it("seq-mean-token-sum: every token 1/B, a completion's weight grows with its length", () => {
    expect(aggregationCoefficients(mask, "seq-mean-token-sum")).toEqual([[0.5, 0.5, 0.5, 0.5], [0.5]]);
  });
  it("constant (Dr. GRPO): every token 1/D, independent of the batch", () => {
    expect(aggregationCoefficients(mask, "constant", 8)).toEqual([[0.125, 0.125, 0.125, 0.125], [0.125]]);
  });
  it("sum: every token 1", () => {
    expect(aggregationCoefficients(mask, "sum")).toEqual([[1, 1, 1, 1], [1]]);
  });
  it("masked tokens drop out of the counts", () => {
    expect(aggregationCoefficients([[1, 0, 0, 1], [1]], "token-mean")).toEqual([[1 / 3, 0, 0, 1 / 3], [1 / 3]]);
  });
});

describe("normalised over the whole accumulated batch", () => {
  it("micro-batched forwardBackward with global weights equals one call; per-micro-batch normalisation does not", async () => {
    const make = () => new TabularEngine({ vocabSize: 3, horizon: 4, numPrompts: 1, eosTokenId: 2, initScale: 0.5, seed: 4 });
    const e = make();
    const seqs = (await e.sample([[0]], 6, { maxTokens: 4, seed: 5 }))[0]!;
    expect(new Set(seqs.map((s) => s.completion.length)).size).toBeGreaterThan(1);
    const pg = makeLoss(parseTrainConfig({ loss: { type: "pg" } }).loss);
    const batchOf = (ss: typeof seqs) => ({
      logprobs_BT: ss.map((s) => s.logprobs),
      oldLogprobs_BT: ss.map((s) => s.logprobs),
      advantages_BT: ss.map((s, i) => s.completion.map(() => (i % 2 ? 1 : -1))),
    });
    const w = computeLoss(pg, batchOf(seqs), { mode: "token-mean" }).weights_BT;
    await e.forwardBackward(seqs, w);
    const whole = e.gradient();
    e.zeroGrad();
    for (const [a, b] of [[0, 2], [2, 6]]) await e.forwardBackward(seqs.slice(a, b), w.slice(a, b));
    const micro = e.gradient();
    e.zeroGrad();
    whole.forEach((x, j) => expect(micro[j]!).toBeCloseTo(x, 14));
    for (const [a, b] of [[0, 2], [2, 6]]) {
      const local = computeLoss(pg, batchOf(seqs.slice(a, b)), { mode: "token-mean" }).weights_BT;
      await e.forwardBackward(seqs.slice(a, b), local);
    }
    const wrong = e.gradient();
    expect(Math.max(...wrong.map((x, j) => Math.abs(x - whole[j]!)))).toBeGreaterThan(1e-3);
  });
});
