// Every loss's weights are -dL/dlogpi: checked against central finite differences of its value.
import { describe, expect, it } from "vitest";
import { parseTrainConfig } from "../../trainer/config.ts";
import { computeLoss, makeLoss, type LossOptions } from "../../trainer/losses.ts";
import { Rng } from "../../trainer/rng.ts";
import type { LossBatch } from "../../trainer/types.ts";

function randomBatch(seed: number, withMask = false): LossBatch {
  const rng = new Rng(seed);
  const lens = [1, 3, 5, 2];
  const logprobs_BT = lens.map((n) => Array.from({ length: n }, () => -0.2 - 2 * rng.next()));
  const oldLogprobs_BT = logprobs_BT.map((r) => r.map((lp) => lp + 0.6 * (rng.next() - 0.5)));
  const refLogprobs_BT = logprobs_BT.map((r) => r.map((lp) => lp + 0.8 * (rng.next() - 0.5)));
  const advantages_BT = lens.map((n, i) => Array.from({ length: n }, () => (i % 2 ? -1 : 1) * (0.3 + rng.next())));
  const batch: LossBatch = { logprobs_BT, oldLogprobs_BT, refLogprobs_BT, advantages_BT };
  if (withMask) batch.mask_BT = lens.map((n, i) => Array.from({ length: n }, (_, t) => (i === 2 && t === 1 ? 0 : 1)));
  return batch;
}

const loss = (over: Partial<LossOptions>) => parseTrainConfig({ loss: over }).loss;

function checkFiniteDifferences(o: LossOptions, batch: LossBatch, kl?: { coef: number; estimator: "k1" | "k2" | "k3" }) {
  const agg = { mode: o.aggregation, constantDivisor: 20 };
  const L = makeLoss(o);
  const base = computeLoss(L, batch, agg, kl);
  const h = 1e-6;
  let checked = 0;
  batch.logprobs_BT.forEach((row, i) =>
    row.forEach((lp, t) => {
      const at = (x: number) => {
        const b = structuredClone(batch);
        b.logprobs_BT[i]![t] = x;
        return computeLoss(L, b, agg, kl).loss;
      };
      const fd = -(at(lp + h) - at(lp - h)) / (2 * h);
      expect(base.weights_BT[i]![t]!).toBeCloseTo(fd, 6);
      checked++;
    }),
  );
  expect(checked).toBe(11);
  return base;
}

describe("loss weights equal -dL/dlogpi (finite differences)", () => {
  const aggs = ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum", "constant", "sum"] as const;
  for (const aggregation of aggs) {
    it(`pg, ${aggregation}`, () => checkFiniteDifferences(loss({ type: "pg", aggregation }), randomBatch(1, true)));
    it(`ppo token clip + dual clip, ${aggregation}`, () => {
      const r = checkFiniteDifferences(loss({ type: "ppo", aggregation, epsLow: 0.1, epsHigh: 0.15, dualClip: 1.2 }), randomBatch(2, true));
      expect(r.stats.clipLow + r.stats.clipHigh).toBeGreaterThan(0); // the batch exercises the clip
    });
    it(`ppo sequence ratio, ${aggregation}`, () =>
      checkFiniteDifferences(loss({ type: "ppo", ratioLevel: "sequence", aggregation, epsLow: 0.3, epsHigh: 0.3 }), randomBatch(3)));
    it(`gspo, ${aggregation}`, () =>
      checkFiniteDifferences(loss({ type: "gspo", aggregation, epsLow: 0.05, epsHigh: 0.05 }), randomBatch(4, true)));
    it(`is without truncation (token ratio), ${aggregation}`, () =>
      checkFiniteDifferences(loss({ type: "is", isMode: "none", aggregation }), randomBatch(5)));
  }
  for (const estimator of ["k1", "k2", "k3"] as const) {
    it(`KL ${estimator} in the loss`, () => {
      const r = checkFiniteDifferences(loss({ type: "pg" }), randomBatch(6), { coef: 0.3, estimator });
      expect(r.stats.kl).toBeDefined();
      expect(Number.isFinite(r.stats.kl)).toBe(true);
      // k2 = (log r)^2 / 2 and k3 = (r - 1) - log r are non-negative, and positive off the reference.
      if (estimator !== "k1") expect(r.stats.kl).toBeGreaterThan(0);
    });
  }
});

describe("loss registry", () => {
  it("names the known losses when given an unknown one", () => {
    expect(() => makeLoss(loss({ type: "nope" }))).toThrow(/unknown loss "nope".*pg, is, ppo, cispo, gspo/);
  });
  it("rejects a bad config field by name", () => {
    expect(() => parseTrainConfig({ loss: { epsLow: -1 } })).toThrow(/loss\.epsLow/);
    expect(() => parseTrainConfig({ groupSize: 0 })).toThrow(/groupSize/);
  });
});
