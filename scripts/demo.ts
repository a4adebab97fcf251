// The main job end to end on the bundled model (docs/demo.md): evaluate models/tiny-arith on the
// held-out split with the harness (local ONNX policy), fine-tune it with GRPO against the
// exact-match verifier on the torch engine, export ONNX, evaluate the fine-tuned model the same
// way, and report the paired, baseline-adjusted advantage with its CI plus the reward curve.
//   node bin/arbiter.ts demo [--out .arbiter/demo] [--steps 40]   (or node scripts/demo.ts)
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { runEval } from "../harness/run.ts";
import { SqliteRunStore } from "../harness/store/sqlite.ts";
import { LocalPolicy } from "../harness/policy/local.ts";
import { compareTask, type TaskComparison } from "../harness/compare.ts";
import type { ItemRewards } from "../harness/stats.ts";
import type { RewardRow } from "../harness/types.ts";
import { defaultRegistry } from "../verifiers/builtin.ts";
import { suiteContentHash } from "../tasks/hash.ts";
import type { Suite, Task } from "../tasks/types.ts";
import type { Verifier } from "../verifiers/types.ts";
import { train } from "../trainer/loop.ts";
import type { TrainConfigInput } from "../trainer/config.ts";
import type { StepMetrics } from "../trainer/types.ts";
import { TorchEngine } from "../trainer/engine/torch/client.ts";
import { arithSplits } from "../models/recipe/data.ts";
import { ChatRenderer } from "../models/recipe/renderer.ts";
import { lineChartHtml, sparkline } from "./demo-plot.ts";

export const BUNDLED_MODEL = resolve(import.meta.dirname, "../models/tiny-arith");
const TASK = "addition";

export interface DemoOptions {
  modelDir: string;
  outDir: string;
  /** GRPO steps (each: groupsPerStep prompts x groupSize completions). */
  steps: number;
  groupsPerStep: number;
  groupSize: number;
  learningRate: number;
  /** Held-out items and completions per item in each evaluation. */
  evalItems: number;
  evalSamples: number;
  /** Sampling temperature of the evaluations and of GRPO's rollouts. */
  temperature: number;
  seed: number;
  threads: number;
  python?: string;
}

export const DEMO_DEFAULTS: Omit<DemoOptions, "modelDir" | "outDir"> = {
  steps: 150, groupsPerStep: 16, groupSize: 8, learningRate: 4e-4,
  evalItems: 300, evalSamples: 4, temperature: 1, seed: 0, threads: 1,
};

export interface DemoResult {
  baselineMean: number;
  finetunedMean: number;
  comparison: TaskComparison;
  history: StepMetrics[];
  htmlPath: string;
  seconds: { baseline: number; train: number; export: number; finetuned: number; total: number };
}

function itemRewards(rows: readonly RewardRow[]): ItemRewards[] {
  const by = new Map<string, ItemRewards>();
  for (const r of rows) {
    const it = by.get(r.itemId) ?? { itemId: r.itemId, rewards: [], passes: [] };
    it.rewards.push(r.reward);
    it.passes!.push(r.pass ?? r.reward >= 1);
    by.set(r.itemId, it);
  }
  return [...by.values()];
}

async function evaluate(label: string, modelDir: string, suite: Suite, verifier: Verifier, store: SqliteRunStore, o: DemoOptions) {
  const policy = await LocalPolicy.load(modelDir, { batchSize: 64, defaultMaxTokens: 5 });
  try {
    const res = await runEval(
      { suite: suite.name, policy: `local:${modelDir}`, samples: o.evalSamples, seed: o.seed, params: { temperature: o.temperature, maxTokens: 5 } },
      { suite, policy, verifiers: new Map([[TASK, verifier]]), store, runId: `demo-${label}`, options: { concurrency: 1, batchSize: 64 } },
    );
    return itemRewards(res.rewards.filter((r) => r.task === TASK));
  } finally {
    await policy.close?.();
  }
}

/** What a demo run writes under its out folder (docs/demo.md); a rerun replaces exactly these. */
export const DEMO_OUTPUTS = ["demo.db", "demo.db-wal", "demo.db-shm", "finetuned", "reward-curve.html", "metrics.json"] as const;

/** Removes a previous demo's outputs, never anything else: `--out .` must not wipe the user's folder. */
export function clearDemoOutputs(outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  for (const name of DEMO_OUTPUTS) rmSync(join(outDir, name), { recursive: true, force: true });
}

const meanOf = (items: ItemRewards[]) => items.reduce((a, it) => a + it.rewards.reduce((x, y) => x + y, 0) / it.rewards.length, 0) / items.length;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function runDemo(o: DemoOptions, log: (line: string) => void = console.log): Promise<DemoResult> {
  const t0 = performance.now();
  const secs = () => (performance.now() - t0) / 1000;
  clearDemoOutputs(o.outDir);
  const splits = arithSplits();
  const task: Task = {
    name: TASK, version: "1", dataset: splits.eval.slice(0, o.evalItems),
    verifier: { type: "exact_match", normalize: ["trim"] },
  };
  const suite: Suite = { name: "tiny-arith-demo", version: "1", tasks: [task], contentHash: "" };
  suite.contentHash = suiteContentHash(suite);
  const verifier = await defaultRegistry().build(task.verifier, { baseDir: process.cwd() });
  const store = new SqliteRunStore(join(o.outDir, "demo.db"));
  const seconds = { baseline: 0, train: 0, export: 0, finetuned: 0, total: 0 };
  try {
    log(`[1/4] baseline eval: ${o.modelDir} on ${task.dataset.length} held-out items x ${o.evalSamples} samples (T=${o.temperature})`);
    const base = await evaluate("baseline", o.modelDir, suite, verifier, store, o);
    seconds.baseline = secs();
    log(`      accuracy ${pct(meanOf(base))}  (${seconds.baseline.toFixed(1)}s)`);

    log(`[2/4] GRPO: ${o.steps} steps x ${o.groupsPerStep} prompts x ${o.groupSize} samples, torch engine`);
    const engine = await TorchEngine.start({ modelDir: o.modelDir, seed: o.seed, threads: o.threads, ...(o.python ? { python: o.python } : {}) });
    const renderer = await ChatRenderer.load(o.modelDir);
    const config: TrainConfigInput = {
      seed: o.seed, steps: o.steps, groupsPerStep: o.groupsPerStep, groupSize: o.groupSize,
      sampling: { temperature: o.temperature, maxTokens: 5 },
      advantage: { estimator: "grpo", stdScaling: "group" },
      loss: { type: "pg", aggregation: "token-mean" },
      optimizer: { learningRate: o.learningRate, maxGradNorm: 1 },
    };
    const curve: number[] = [];
    let history: StepMetrics[];
    try {
      const res = await train(config, {
        engine, renderer,
        tasks: [{ name: TASK, train: splits.rl, verifiers: [{ name: "exact_match", verifier, weight: 1 }] }],
        onStep: (row) => {
          curve.push(row["reward_mean"] ?? 0);
          if (row.step % 5 === 0 || row.step === o.steps)
            log(`      step ${String(row.step).padStart(3)}  reward ${(row["reward_mean"] ?? 0).toFixed(3)}  ${sparkline(curve, 0, 1)}`);
        },
      });
      history = res.history;
      seconds.train = secs() - seconds.baseline;
      log(`[3/4] export ONNX`);
      await engine.export(join(o.outDir, "finetuned"), "onnx");
      seconds.export = secs() - seconds.baseline - seconds.train;
    } finally {
      await engine.close();
    }

    log(`[4/4] fine-tuned eval: same items, same seeds`);
    const tuned = await evaluate("finetuned", join(o.outDir, "finetuned"), suite, verifier, store, o);
    seconds.finetuned = secs() - seconds.baseline - seconds.train - seconds.export;
    const comparison = compareTask(TASK, tuned, base, { seed: o.seed });
    seconds.total = secs();

    const htmlPath = join(o.outDir, "reward-curve.html");
    writeFileSync(htmlPath, lineChartHtml("GRPO on tiny-arith: mean reward per step", "reward (exact match)", [
      { name: "train reward", points: history.map((r) => [r.step, r["reward_mean"] ?? 0]) },
    ]));
    writeFileSync(join(o.outDir, "metrics.json"), JSON.stringify({ history, comparison, seconds }, null, 2));
    const c = comparison;
    log("");
    log(`task ${TASK}: baseline ${pct(c.baselineMean)} -> fine-tuned ${pct(c.currentMean)}`);
    log(`  baseline-adjusted advantage ${c.delta >= 0 ? "+" : ""}${(100 * c.delta).toFixed(1)} points, 95% CI [${(100 * c.ci95[0]).toFixed(1)}, ${(100 * c.ci95[1]).toFixed(1)}]` +
      `, ${c.test} p = ${c.pValue.toExponential(2)} (${c.pairedItems} paired items) -> ${c.improvement ? "significant improvement" : c.significant ? "significant" : "not significant"}`);
    log(`  reward curve ${sparkline(curve, 0, 1)}  (${curve[0]?.toFixed(2)} -> ${curve.at(-1)?.toFixed(2)}); plot: ${htmlPath}`);
    log(`  time: baseline ${seconds.baseline.toFixed(1)}s, GRPO ${seconds.train.toFixed(1)}s, export ${seconds.export.toFixed(1)}s, fine-tuned eval ${seconds.finetuned.toFixed(1)}s, total ${seconds.total.toFixed(1)}s`);
    return { baselineMean: c.baselineMean, finetunedMean: c.currentMean, comparison, history, htmlPath, seconds };
  } finally {
    store.close();
    await verifier.close?.();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runDemo({ ...DEMO_DEFAULTS, modelDir: BUNDLED_MODEL, outDir: resolve(".arbiter/demo") });
}
