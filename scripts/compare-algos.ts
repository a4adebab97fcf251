// Trains the bundled model with the same budget under several algorithms and prints their
// learning curves side by side (plus an HTML chart): REINFORCE without a baseline, RLOO, GRPO and
// CISPO (GRPO advantages, CISPO loss with two updates per batch so its clipped ratio matters).
//   node scripts/compare-algos.ts [--steps 30] [--out .arbiter/compare-algos]
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { evaluate, train } from "../trainer/loop.ts";
import { parseTrainConfig } from "../trainer/config.ts";
import type { TrainConfigInput } from "../trainer/config.ts";
import { TorchEngine } from "../trainer/engine/torch/client.ts";
import { defaultRegistry } from "../verifiers/builtin.ts";
import { arithSplits } from "../models/recipe/data.ts";
import { ChatRenderer } from "../models/recipe/renderer.ts";
import { BUNDLED_MODEL } from "./demo.ts";
import { lineChartHtml, sparkline, type Series } from "./demo-plot.ts";

const ALGOS: { name: string; config: Partial<TrainConfigInput> }[] = [
  { name: "reinforce", config: { advantage: { estimator: "reinforce" } } },
  { name: "rloo", config: { advantage: { estimator: "rloo" } } },
  { name: "grpo", config: { advantage: { estimator: "grpo", stdScaling: "group" } } },
  { name: "cispo", config: { advantage: { estimator: "grpo", stdScaling: "group" }, loss: { type: "cispo", epsHigh: 4 }, updatesPerBatch: 2 } },
];

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "30" },
    out: { type: "string", default: ".arbiter/compare-algos" },
    lr: { type: "string", default: "0.0004" },
    seed: { type: "string", default: "0" },
  },
});
const steps = Number(values.steps);
const out = resolve(values.out);
mkdirSync(out, { recursive: true });
const splits = arithSplits();
const verifier = await defaultRegistry().build({ type: "exact_match", normalize: ["trim"] }, { baseDir: process.cwd() });
const renderer = await ChatRenderer.load(BUNDLED_MODEL);
const curves: Series[] = [];
const evals: Series[] = [];
const evalEvery = Math.max(1, Math.floor(steps / 4));
const timings: Record<string, number> = {};
for (const algo of ALGOS) {
  const engine = await TorchEngine.start({ modelDir: BUNDLED_MODEL, seed: Number(values.seed), threads: 1 });
  const t0 = performance.now();
  try {
    const config = parseTrainConfig({
      seed: Number(values.seed), steps, groupsPerStep: 16, groupSize: 8,
      sampling: { temperature: 1, maxTokens: 5 },
      loss: { type: "pg", aggregation: "token-mean" },
      optimizer: { learningRate: Number(values.lr), maxGradNorm: 1 },
      eval: { every: evalEvery, samples: 4, temperature: 1 },
      ...algo.config,
    });
    const deps = {
      engine, renderer,
      tasks: [{ name: "addition", train: splits.rl, eval: splits.eval, verifiers: [{ name: "exact_match", verifier, weight: 1 }] }],
    };
    const before = (await evaluate(config, deps, 0))["eval/reward_mean"]!;
    const res = await train(config, deps);
    curves.push({ name: algo.name, points: res.history.map((r) => [r.step, r["reward_mean"] ?? 0]) });
    evals.push({ name: `${algo.name} (held-out)`, color: curves.length - 1, dashed: true, points: [[0, before], ...res.history.filter((r) => r["eval/reward_mean"] !== undefined).map((r): [number, number] => [r.step, r["eval/reward_mean"]!])] });
  } finally {
    await engine.close();
  }
  timings[algo.name] = (performance.now() - t0) / 1000;
  const ys = curves.at(-1)!.points.map((p) => p[1]);
  const ev = evals.at(-1)!.points.map((p) => `${(100 * p[1]).toFixed(1)}%`).join(" -> ");
  console.log(`${algo.name.padEnd(10)} train ${sparkline(ys, 0, 1)}  held-out (T=1, 4 x ${splits.eval.length}): ${ev}  (${timings[algo.name]!.toFixed(0)}s)`);
}

// Side by side: one row per step (mean reward of that step's rollouts).
const every = Math.max(1, Math.floor(steps / 15));
console.log("\nstep  " + curves.map((c) => c.name.padStart(10)).join(""));
for (let s = 1; s <= steps; s++) {
  if (s % every !== 0 && s !== 1 && s !== steps) continue;
  console.log(String(s).padStart(4) + "  " + curves.map((c) => (c.points[s - 1]?.[1] ?? NaN).toFixed(3).padStart(10)).join(""));
}
const last = (c: Series, n = 5) => c.points.slice(-n).reduce((a, p) => a + p[1], 0) / Math.min(n, c.points.length);
console.log("mean of last 5 steps: " + curves.map((c) => `${c.name} ${last(c).toFixed(3)}`).join(", "));
const html = join(out, "learning-curves.html");
writeFileSync(html, lineChartHtml(`tiny-arith: train reward per step and held-out reward (${steps} steps x 16 x 8)`, "reward", [...curves, ...evals]));
writeFileSync(join(out, "curves.json"), JSON.stringify({ curves, evals, timings }, null, 2));
console.log(`plot: ${html}`);
await verifier.close?.();
