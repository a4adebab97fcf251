// forwardBackward with w = -dL/dlogpi from trainer/losses.ts gives the same gradient as autograd on
// the loss written directly in torch (trainer/engine/torch/direct_loss.py), for PPO and CISPO.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeLoss, makeLoss } from "../../trainer/losses.ts";
import { parseTrainConfig } from "../../trainer/config.ts";
import type { TorchEngine } from "../../trainer/engine/torch/client.ts";
import type { SampledSequence, Sequence } from "../../trainer/engine/protocol.ts";
import { startTiny, tinyModelDir } from "./tiny.ts";

const REL_TOL = 1e-4; // float32 gradients of the same graph, summed in a different order

function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return Math.sqrt(d) / Math.sqrt(n);
}

describe("torch engine: linearised-loss gradients equal autograd on the direct loss", () => {
  let engine: TorchEngine;
  let batch: Sequence[];
  let sampled: SampledSequence[];
  let advantages: number[];

  beforeAll(async () => {
    engine = await startTiny(tinyModelDir(), { seed: 9 });
    sampled = (await engine.sample([[2, 3], [4], [5, 6, 7]], 4, { maxTokens: 6, seed: 1, temperature: 1 })).flat();
    batch = sampled.map((s) => ({ prompt: s.prompt, completion: s.completion }));
    advantages = sampled.map((_, i) => [1.2, -0.7, 0.4, -1.5][i % 4]!);
    // Move the policy away from the sampler so importance ratios leave the clip band.
    for (let k = 0; k < 3; k++) {
      await engine.forwardBackward(batch, batch.map((s, i) => s.completion.map(() => (i % 3 === 0 ? 1 : -1))));
      await engine.optimStep({ learningRate: 0.05 });
    }
  });
  afterAll(() => engine?.close());

  for (const spec of [
    { type: "ppo", epsLow: 0.2, epsHigh: 0.2 },
    { type: "cispo", epsLow: 0.2, epsHigh: 0.3 },
  ]) {
    it(`${spec.type}: relative gradient error < ${REL_TOL}`, async () => {
      const cfg = parseTrainConfig({ loss: spec });
      const current = await engine.logprobs(batch);
      const res = computeLoss(
        makeLoss(cfg.loss),
        {
          logprobs_BT: current,
          oldLogprobs_BT: sampled.map((s) => s.logprobs),
          advantages_BT: batch.map((s, i) => s.completion.map(() => advantages[i]!)),
        },
        { mode: "token-mean" },
      );
      // the test is only meaningful when some tokens are clipped
      expect(res.stats.clipLow + res.stats.clipHigh).toBeGreaterThan(0);
      await engine.debugZeroGrad();
      await engine.forwardBackward(batch, res.weights_BT);
      const viaWeights = await engine.debugGrad();
      await engine.debugZeroGrad();
      const direct = await engine.debugDirectGrad(batch, sampled.map((s) => s.logprobs), advantages, {
        kind: spec.type,
        epsLow: spec.epsLow,
        epsHigh: spec.epsHigh,
      });
      expect(Math.abs(direct.loss - res.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(res.loss)));
      expect(viaWeights.length).toBe(direct.grad.length);
      expect(relErr(viaWeights, direct.grad)).toBeLessThan(REL_TOL);
      // and a different loss gives a clearly different gradient (the comparison can fail)
      const other = await engine.debugDirectGrad(batch, sampled.map((s) => s.logprobs), advantages, { kind: "pg" });
      expect(relErr(viaWeights, other.grad)).toBeGreaterThan(1e-2);
    });
  }
});
