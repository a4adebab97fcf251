// Trainer overhead on the tabular engine: rollouts/s and tokens/s through the whole loop
// (sample, verify, advantages, loss weights, forwardBackward, Adam), with the time split.
// Usage: node scripts/bench-trainer.ts [steps=30] [groups=64] [groupSize=16]
import { TabularEngine } from "../trainer/engine/tabular.ts";
import { train } from "../trainer/loop.ts";
import { tabularProblem, tabularRenderer } from "../trainer/tabular-task.ts";

const [steps = 30, groups = 64, K = 16] = process.argv.slice(2).map(Number);
for (const loss of ["pg", "ppo"]) {
  const p = await tabularProblem("mdp", 1);
  const engine = new TabularEngine(p.spec);
  const t0 = performance.now();
  const r = await train({ steps, groupsPerStep: groups, groupSize: K, sampling: { maxTokens: 3 }, loss: { type: loss } }, { engine, renderer: tabularRenderer, tasks: p.tasks });
  const secs = (performance.now() - t0) / 1000;
  const sum = (k: string) => r.history.reduce((a, row) => a + (row[k] ?? 0), 0);
  const split = ["sample", "verify", "logprobs", "forward_backward", "optim"].map((k) => `${k} ${((100 * sum(`time/${k}`)) / sum("time/step")).toFixed(0)}%`).join(", ");
  console.log(
    `loss=${loss}: ${steps} steps x ${groups * K} rollouts in ${secs.toFixed(2)} s -> ${((steps * groups * K) / secs).toFixed(0)} rollouts/s, ` +
      `${(sum("tokens_sampled") / secs).toFixed(0)} tokens/s; time split: ${split}; final reward ${r.history.at(-1)!["reward_mean"]!.toFixed(3)}`,
  );
}
