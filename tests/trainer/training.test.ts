// GRPO and RLOO on the tabular MDP reach the optimal policy's expected reward (enumerated) and get
// there in fewer samples than REINFORCE without a baseline, averaged over seeds.
import { describe, expect, it } from "vitest";
import { train } from "../../trainer/loop.ts";
import { TabularEngine } from "../../trainer/engine/tabular.ts";
import { tabularProblem, tabularRenderer } from "../../trainer/tabular-task.ts";

const SEEDS = [1, 2, 3];
const STEPS = 60;
const GROUPS = 4;
const K = 8;
const TARGET = 0.95; // fraction of the optimum that counts as "reached"
const TOL = 0.03; // final expected reward within TOL of the optimum

async function curve(estimator: string, seed: number): Promise<{ J: number[]; optimum: number }> {
  const p = await tabularProblem("mdp", seed);
  const engine = new TabularEngine(p.spec);
  const task = p.tasks[0]!;
  const J = () => task.train.reduce((a, s) => a + engine.expectedReward(s.metadata!["promptToken"] as number, (c) => p.reward(s, c)), 0) / task.train.length;
  const out: number[] = [];
  await train(
    { seed, steps: STEPS, groupsPerStep: GROUPS, groupSize: K, advantage: { estimator }, optimizer: { learningRate: 0.1 }, sampling: { maxTokens: 3 } },
    { engine, renderer: tabularRenderer, tasks: p.tasks, onStep: () => out.push(J()) },
  );
  return { J: out, optimum: p.optimum };
}

describe("learning on the tabular MDP (exact expected reward after every step)", async () => {
  const results: Record<string, { samplesToTarget: number; final: number; mean: number[] }> = {};
  for (const est of ["grpo", "rloo", "reinforce"]) {
    const runs = await Promise.all(SEEDS.map((s) => curve(est, s)));
    const optimum = runs[0]!.optimum;
    const reach = runs.map((r) => {
      const i = r.J.findIndex((j) => j >= TARGET * optimum);
      return (i < 0 ? STEPS + 1 : i + 1) * GROUPS * K;
    });
    const mean = runs[0]!.J.map((_, i) => runs.reduce((a, r) => a + r.J[i]!, 0) / runs.length);
    results[est] = { samplesToTarget: reach.reduce((a, b) => a + b, 0) / reach.length, final: mean.at(-1)!, mean };
    console.log(
      `[train] ${est.padEnd(9)} samples to ${TARGET * 100}% of optimum: ${results[est].samplesToTarget.toFixed(0)}; ` +
        `J every 6 steps: ${mean.filter((_, i) => i % 6 === 5).map((x) => x.toFixed(2)).join(" ")}`,
    );
  }
  for (const est of ["grpo", "rloo"]) {
    it(`${est} reaches the optimum within ${TOL}`, () => expect(results[est]!.final).toBeGreaterThan(1 - TOL));
    it(`${est} needs fewer samples than REINFORCE without a baseline`, () =>
      expect(results[est]!.samplesToTarget).toBeLessThan(results["reinforce"]!.samplesToTarget));
  }
  it("learning happened at all (the first step is far from the optimum)", () => expect(results["grpo"]!.mean[0]!).toBeLessThan(0.5));
});
