// The loop's behaviours on real tabular engines and verifiers: failing verifiers are counted, not
// fatal; dynamic sampling drops zero-variance groups; the logprobs pass is skipped when on-policy
// pg allows; drift, KL, truncation masking and eval-in-the-loop show up in the metrics.
import { describe, expect, it } from "vitest";
import { train } from "../../trainer/loop.ts";
import { TabularEngine } from "../../trainer/engine/tabular.ts";
import type { Sequence } from "../../trainer/engine/protocol.ts";
import { tabularProblem, tabularRenderer, tabularTargetVerifier } from "../../trainer/tabular-task.ts";
import type { StepMetrics, TrainTask } from "../../trainer/types.ts";
import type { Verifier } from "../../verifiers/types.ts";

class CountingEngine extends TabularEngine {
  logprobsCalls = 0;
  override async logprobs(batch: Sequence[]): Promise<number[][]> {
    this.logprobsCalls++;
    return super.logprobs(batch);
  }
}

async function setup(kind = "mdp") {
  const p = await tabularProblem(kind, 1);
  return { p, engine: new CountingEngine(p.spec) };
}

const base = { steps: 3, groupsPerStep: 4, groupSize: 4, sampling: { maxTokens: 3 } };

describe("training loop", () => {
  it("counts a throwing verifier as errors (reward 0) and keeps training", async () => {
    const { p, engine } = await setup();
    const broken: Verifier = { kind: "broken", verify: () => Promise.reject(new Error("boom")) };
    const tasks: TrainTask[] = [{ ...p.tasks[0]!, verifiers: [{ name: "positions", verifier: tabularTargetVerifier, weight: 1 }, { name: "broken", verifier: broken, weight: 5 }] }];
    const r = await train(base, { engine, renderer: tabularRenderer, tasks });
    expect(r.history.length).toBe(3);
    for (const row of r.history) {
      expect(row["verifier_errors"]).toBe(16);
      expect(row["verifier/broken/errors"]).toBe(16);
      expect(row["verifier/positions/mean"]).toBeCloseTo(row["reward_mean"]!, 12);
    }
  });

  it("dynamic sampling drops groups whose rewards all agree and refills", async () => {
    const { p, engine } = await setup();
    // Prompt p0 always scores 1: its groups carry no signal.
    const constant: Verifier = { kind: "const", verify: async (ctx) => ({ reward: ctx.sample.id === "p0" ? 1 : 0 }) };
    const pos: Verifier = { kind: "pos", verify: async (ctx) => (ctx.sample.id === "p0" ? { reward: 0 } : tabularTargetVerifier.verify(ctx)) };
    const tasks: TrainTask[] = [{ ...p.tasks[0]!, verifiers: [{ name: "c", verifier: constant, weight: 1 }, { name: "pos", verifier: pos, weight: 1 }] }];
    const r = await train({ ...base, steps: 4, dapo: { dynamicSampling: true, maxSamplingRounds: 4 } }, { engine, renderer: tabularRenderer, tasks });
    const dropped = r.history.reduce((a, row) => a + row["groups_dropped"]!, 0);
    expect(dropped).toBeGreaterThan(0);
    expect(r.history.some((row) => row["sampling_rounds"]! > 1)).toBe(true);
    for (const row of r.history) expect(row["groups"]).toBeLessThanOrEqual(4);
  });

  it("skips the logprobs pass for on-policy pg and runs it for ppo; on-policy ratios are 1", async () => {
    const a = await setup();
    const pg = await train(base, { engine: a.engine, renderer: tabularRenderer, tasks: a.p.tasks });
    expect(a.engine.logprobsCalls).toBe(0);
    expect(pg.history[0]!["logprob_drift_max"]).toBeLessThan(1e-12); // sampler == trainer at T=1
    const b = await setup();
    const ppo = await train({ ...base, loss: { type: "ppo" }, updatesPerBatch: 2 }, { engine: b.engine, renderer: tabularRenderer, tasks: b.p.tasks });
    expect(b.engine.logprobsCalls).toBe(3 * 2);
    expect(ppo.history[0]!["ess_fraction"]).toBeCloseTo(1, 12);
    expect(ppo.history[0]!["clip_low"]! + ppo.history[0]!["clip_high"]!).toBe(0);
  });

  it("reports sampler-vs-trainer drift when sampling at another temperature", async () => {
    const { p, engine } = await setup();
    const r = await train({ ...base, sampling: { maxTokens: 3, temperature: 0.5 }, loss: { type: "is" } }, { engine, renderer: tabularRenderer, tasks: p.tasks });
    // Step 1 starts from the uniform policy (the same at any temperature); by step 3 they differ.
    expect(r.history[0]!["logprob_drift_mean"]).toBeLessThan(1e-12);
    expect(r.history[2]!["logprob_drift_mean"]).toBeGreaterThan(0.01);
    expect(r.history[2]!["ess_fraction"]).toBeLessThan(1);
  });

  it("puts KL to the reference in the loss or in the reward", async () => {
    for (const mode of ["loss", "reward"] as const) {
      const { p, engine } = await setup();
      const reference = new TabularEngine(p.spec);
      const r = await train({ ...base, steps: 4, optimizer: { learningRate: 0.3 }, kl: { coef: 0.1, mode, estimator: "k3" } }, { engine, renderer: tabularRenderer, tasks: p.tasks, reference });
      expect(r.history[0]!["kl"]).toBeCloseTo(0, 12); // step 1: the policy is the reference
      expect(r.history[3]!["kl"]).toBeGreaterThan(1e-4);
    }
    const { p, engine } = await setup();
    await expect(train({ ...base, kl: { coef: 0.1 } }, { engine, renderer: tabularRenderer, tasks: p.tasks })).rejects.toThrow(/reference engine/);
  });

  it("masks truncated completions out of the loss", async () => {
    const { p, engine } = await setup();
    const before = engine.theta.slice();
    const r = await train({ ...base, sampling: { maxTokens: 2 }, dapo: { maskTruncated: true } }, { engine, renderer: tabularRenderer, tasks: p.tasks });
    const row = r.history[0]!;
    expect(row["frac_truncated"]).toBe(1);
    expect(row["tokens_trained"]).toBe(0);
    expect(row["grad_norm"]).toBe(0);
    expect(engine.theta).toEqual(before);
  });

  it("evaluates on the held-out split every N steps and at the end", async () => {
    const { p, engine } = await setup();
    const rows: StepMetrics[] = [];
    await train({ ...base, steps: 5, eval: { every: 2, samples: 2 } }, { engine, renderer: tabularRenderer, tasks: p.tasks, onStep: (r) => rows.push(r) });
    expect(rows.filter((r) => r["eval/reward_mean"] !== undefined).map((r) => r.step)).toEqual([2, 4, 5]);
    expect(rows[1]!["eval/mdp/reward_mean"]).toBeGreaterThanOrEqual(0);
    expect(rows[1]!["eval/mdp/reward_mean"]).toBeLessThanOrEqual(1); // the mdp reward is a fraction of the target
  });

  it("rejects a bad config naming the field", async () => {
    const { p, engine } = await setup();
    await expect(train({ ...base, advantage: { stdScaling: "sometimes" } } as never, { engine, renderer: tabularRenderer, tasks: p.tasks })).rejects.toThrow(/advantage\.stdScaling/);
    await expect(train({ ...base, advantage: { estimator: "ppo2" } }, { engine, renderer: tabularRenderer, tasks: p.tasks })).rejects.toThrow(/unknown advantage estimator "ppo2"/);
  });
});
