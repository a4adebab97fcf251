// PPO clipping zeroes the gradient outside the band on the side the sign of A says (seed 000:
// "clipping as importance weight truncation"); the dual clip bounds negative advantages; CISPO
// keeps a gradient on clipped tokens, with the clipped ratio as its weight.
import { describe, expect, it } from "vitest";
import { computeLoss, makeLoss } from "../../trainer/losses.ts";
import { parseTrainConfig } from "../../trainer/config.ts";
import { TabularEngine } from "../../trainer/engine/tabular.ts";
import { norm } from "./helpers.ts";

const ratios = [0.5, 0.75, 0.79, 0.81, 1.0, 1.2, 1.27, 1.29, 1.6, 3.5];
const EL = 0.2;
const EH = 0.28; // DAPO clip-higher
const batchFor = (A: number) => ({
  logprobs_BT: [ratios.map(Math.log)],
  oldLogprobs_BT: [ratios.map(() => 0)],
  advantages_BT: [ratios.map(() => A)],
});
const loss = (over: Record<string, unknown>) => makeLoss(parseTrainConfig({ loss: over }).loss);

describe("PPO clip (eps_low 0.2, eps_high 0.28)", () => {
  const ppo = loss({ type: "ppo", epsLow: EL, epsHigh: EH });
  it("A > 0: zero weight exactly where r > 1 + eps_high, r * A elsewhere", () => {
    const r = computeLoss(ppo, batchFor(1), { mode: "sum" });
    ratios.forEach((x, t) => expect(r.weights_BT[0]![t]).toBeCloseTo(x > 1 + EH ? 0 : x, 12));
    expect(r.stats.clipHigh).toBeCloseTo(3 / 10, 12);
    expect(r.stats.clipLow).toBe(0);
  });
  it("A < 0: zero weight exactly where r < 1 - eps_low, r * A elsewhere", () => {
    const r = computeLoss(ppo, batchFor(-2), { mode: "sum" });
    ratios.forEach((x, t) => expect(r.weights_BT[0]![t]).toBeCloseTo(x < 1 - EL ? 0 : -2 * x, 12));
    expect(r.stats.clipLow).toBeCloseTo(3 / 10, 12);
  });
  it("dual clip c = 3: negative advantages with r > c get zero weight too", () => {
    const r = computeLoss(loss({ type: "ppo", epsLow: EL, epsHigh: EH, dualClip: 3 }), batchFor(-1), { mode: "sum" });
    ratios.forEach((x, t) => expect(r.weights_BT[0]![t]).toBeCloseTo(x < 1 - EL || x > 3 ? 0 : -x, 12));
  });
  it("a sequence whose tokens are all clipped contributes zero gradient through the engine", async () => {
    const pi = new TabularEngine({ vocabSize: 4, horizon: 3, numPrompts: 1, initScale: 0.5, seed: 1 });
    const [seq] = (await pi.sample([[0]], 1, { maxTokens: 3, seed: 2 }))[0]!;
    const lp = await pi.logprobs([seq!]);
    const old = lp.map((r) => r.map((x) => x - 0.5)); // r = e^0.5 = 1.65 > 1.28 everywhere
    for (const [A, expectZero] of [[1, true], [-1, false]] as const) {
      const w = computeLoss(ppo, { logprobs_BT: lp, oldLogprobs_BT: old, advantages_BT: lp.map((r) => r.map(() => A)) }, { mode: "token-mean" });
      await pi.forwardBackward([seq!], w.weights_BT);
      const g = norm(pi.gradient());
      pi.zeroGrad();
      if (expectZero) expect(g).toBe(0);
      else expect(g).toBeGreaterThan(0.1);
    }
  });
});

describe("CISPO", () => {
  it("passes gradient through clipped tokens with weight clip(r, 1-eps_low, 1+eps_high) * A", () => {
    const c = computeLoss(loss({ type: "cispo", epsLow: EL, epsHigh: EH }), batchFor(1), { mode: "sum" });
    const p = computeLoss(loss({ type: "ppo", epsLow: EL, epsHigh: EH }), batchFor(1), { mode: "sum" });
    ratios.forEach((x, t) => {
      expect(c.weights_BT[0]![t]).toBeCloseTo(Math.min(Math.max(x, 1 - EL), 1 + EH), 12);
      expect(c.weights_BT[0]![t]).toBeGreaterThan(0);
      if (x > 1 + EH) expect(p.weights_BT[0]![t]).toBe(0); // where PPO would have cut it
    });
  });
});
