// `arbiter train`: builds a TrainConfig from flags (and an optional JSON/YAML config file), sets up
// an engine by spec string, runs the loop and prints the learning curve.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { TabularEngine } from "./engine/tabular.ts";
import type { Engine } from "./engine/protocol.ts";
import { train } from "./loop.ts";
import { tabularProblem, tabularRenderer } from "./tabular-task.ts";
import { ConfigError, parseTrainConfig, type TrainConfig } from "./config.ts";
import type { Renderer, StepMetrics, TrainTask } from "./types.ts";

export interface TrainSetup {
  engine: Engine;
  renderer: Renderer;
  tasks: TrainTask[];
  reference?: Engine;
}

/** Builds an engine + renderer + tasks from the part of --engine after "<prefix>:". */
export type TrainEngineFactory = (arg: string, config: TrainConfig) => Promise<TrainSetup>;

const engines = new Map<string, TrainEngineFactory>([
  [
    "tabular",
    async (arg, config) => {
      const p = await tabularProblem(arg, config.seed);
      const setup: TrainSetup = { engine: new TabularEngine(p.spec), renderer: tabularRenderer, tasks: p.tasks };
      if (config.kl.coef > 0) setup.reference = new TabularEngine(p.spec);
      return setup;
    },
  ],
]);

/** The seam for other engines (e.g. torch:<model dir>). */
export function registerTrainEngine(prefix: string, factory: TrainEngineFactory): void {
  engines.set(prefix, factory);
}

export interface TrainFlags {
  engine: string;
  config?: string;
  algo?: string;
  loss?: string;
  steps?: string;
  groups?: string;
  groupSize?: string;
  lr?: string;
  seed?: string;
  maxTokens?: string;
  kl?: string;
  evalEvery?: string;
  checkpointEvery?: string;
  out?: string;
  resume: boolean;
  json?: boolean;
}

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ConfigError(`--${flag} must be a number, got "${v}"`);
  return n;
}

/** A JSON or YAML config file holding one mapping (YAML parses JSON too). */
function readConfigFile(file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(`--config ${file}: ${(err as Error).message}`);
  }
  if (doc === null) return {}; // an empty file
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError(`--config ${file}: expected a mapping of TrainConfig fields`);
  }
  return doc as Record<string, unknown>;
}

/** Flags over the config file over the defaults. */
export function configFromFlags(f: TrainFlags): TrainConfig {
  const base = f.config === undefined ? {} : readConfigFile(f.config);
  const over = (key: string, patch: Record<string, unknown>) => ({ ...((base[key] as object) ?? {}), ...patch });
  const drop = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return parseTrainConfig({
    ...base,
    ...drop({
      steps: num("steps", f.steps),
      groupsPerStep: num("groups", f.groups),
      groupSize: num("group-size", f.groupSize),
      seed: num("seed", f.seed),
      outDir: f.out,
      resume: f.resume,
    }),
    advantage: over("advantage", drop({ estimator: f.algo })),
    loss: over("loss", drop({ type: f.loss })),
    optimizer: over("optimizer", drop({ learningRate: num("lr", f.lr) })),
    sampling: over("sampling", drop({ maxTokens: num("max-tokens", f.maxTokens) })),
    kl: over("kl", drop({ coef: num("kl", f.kl) })),
    eval: over("eval", drop({ every: num("eval-every", f.evalEvery) })),
    checkpoint: over("checkpoint", drop({ every: num("checkpoint-every", f.checkpointEvery) })),
  });
}

const BARS = "▁▂▃▄▅▆▇█";
export function sparkline(xs: readonly number[]): string {
  if (!xs.length) return "";
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return xs.map((x) => BARS[hi > lo ? Math.round(((x - lo) / (hi - lo)) * 7) : 0]).join("");
}

const f3 = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(3));

export function formatStep(r: StepMetrics, steps: number): string {
  const ev = r["eval/reward_mean"] !== undefined ? `  eval ${f3(r["eval/reward_mean"])}` : "";
  return (
    `step ${r.step}/${steps}  reward ${f3(r["reward_mean"])} ±${f3(r["reward_std"])}${ev}  zero-std ${f3(r["frac_reward_zero_std"])}` +
    `  ess ${f3(r["ess_fraction"])}  clip ${f3(r["clip_low"])}/${f3(r["clip_high"])}  ${((r["time/step"] ?? 0) * 1000).toFixed(1)}ms`
  );
}

export async function runTrain(flags: TrainFlags, out: (line: string) => void = (l) => process.stdout.write(l + "\n")): Promise<void> {
  const config = configFromFlags(flags);
  const [prefix, ...rest] = flags.engine.split(":");
  const factory = engines.get(prefix ?? "");
  if (!factory) throw new ConfigError(`--engine "${flags.engine}": unknown engine; expected one of ${[...engines.keys()].map((k) => `${k}:...`).join(", ")}`);
  const setup = await factory(rest.join(":"), config);
  try {
    const result = await train(config, {
      ...setup,
      onStep: (r) => out(flags.json ? JSON.stringify(r) : formatStep(r, config.steps)),
    });
    if (result.resumedFrom !== undefined) out(`resumed from step ${result.resumedFrom}`);
    if (!flags.json && result.history.length) {
      const rewards = result.history.map((r) => r["reward_mean"] ?? 0);
      out(`reward  ${sparkline(rewards)}  ${f3(rewards[0])} -> ${f3(rewards.at(-1))}`);
      const evals = result.history.map((r) => r["eval/reward_mean"]).filter((x): x is number => x !== undefined);
      if (evals.length) out(`eval    ${sparkline(evals)}  ${f3(evals[0])} -> ${f3(evals.at(-1))}`);
    }
  } finally {
    await setup.engine.close();
    await setup.reference?.close();
  }
}

/** Registers `train` on a commander program (cli/commands/index.ts lists it). */
export function registerTrainCommand(program: Command): void {
  program
    .command("train")
    .description("Fine-tune a policy with RL against verifiers (GRPO, RLOO, REINFORCE, ...)")
    .option("--engine <spec>", "engine: tabular:bandit | tabular:mdp", "tabular:mdp")
    .option("--config <file>", "TrainConfig as JSON or YAML (flags override it)")
    .option("--algo <name>", "advantage estimator: grpo, dr_grpo, rloo, reinforce, reinforce_pp, reinforce_pp_baseline")
    .option("--loss <name>", "loss: pg, is, ppo, cispo, gspo")
    .option("--steps <n>", "optimiser steps")
    .option("--groups <n>", "prompts per step")
    .option("--group-size <n>", "completions per prompt (K)")
    .option("--lr <x>", "learning rate")
    .option("--seed <n>", "run seed")
    .option("--max-tokens <n>", "completion budget")
    .option("--kl <beta>", "KL coefficient against the initial policy")
    .option("--eval-every <n>", "evaluate on the held-out split every n steps")
    .option("--checkpoint-every <n>", "checkpoint every n steps (needs --out)")
    .option("--out <dir>", "run directory: metrics.jsonl and checkpoints/")
    .option("--no-resume", "start over even if --out holds a checkpoint")
    .option("--json", "print each step's metrics as a JSON line")
    .action(async (flags: TrainFlags) => runTrain(flags));
}
