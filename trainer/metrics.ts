// Step metrics: computed from the step's groups and loss statistics, appended to a JSONL file one
// row per step (flushed with the row, so a killed run loses at most the row being written).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { std } from "./advantages.ts";
import type { Group, MetricsSink, StepMetrics } from "./types.ts";

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Reward statistics of the groups a step sampled (before dynamic-sampling filtering). */
export function rewardMetrics(groups: Group[]): Record<string, number> {
  const out: Record<string, number> = {};
  const rollouts = groups.flatMap((g) => g.rollouts);
  const rewards = rollouts.map((r) => r.reward);
  out["reward_mean"] = mean(rewards);
  out["reward_std"] = std(rewards);
  out["frac_reward_zero_std"] = groups.length ? groups.filter((g) => std(g.rollouts.map((r) => r.reward)) === 0).length / groups.length : 0;
  for (const task of new Set(groups.map((g) => g.taskName))) {
    const rs = rollouts.filter((r) => r.taskName === task).map((r) => r.reward);
    out[`reward/${task}/mean`] = mean(rs);
    out[`reward/${task}/std`] = std(rs);
  }
  for (const name of new Set(rollouts.flatMap((r) => Object.keys(r.verdicts)))) {
    const vs = rollouts.map((r) => r.verdicts[name]).filter((v) => v !== undefined);
    out[`verifier/${name}/mean`] = mean(vs.filter((v) => !v.error).map((v) => v.reward));
    out[`verifier/${name}/errors`] = vs.filter((v) => v.error).length;
  }
  out["verifier_errors"] = rollouts.reduce((a, r) => a + r.verifierErrors, 0);
  const lens = rollouts.map((r) => r.seq.completion.length);
  out["tokens_sampled"] = lens.reduce((a, b) => a + b, 0);
  out["completion_len_mean"] = mean(lens);
  out["frac_truncated"] = rollouts.length ? rollouts.filter((r) => r.seq.finishReason === "length").length / rollouts.length : 0;
  return out;
}

/** Sampler-vs-trainer log-prob drift: mean and max |log q - log pi| and Tinker's
 *  kl_sample_train v1 = mean(log q - log pi). */
export function driftMetrics(sampler_BT: number[][], trainer_BT: number[][]): Record<string, number> {
  const d = sampler_BT.flatMap((row, i) => row.map((q, t) => q - trainer_BT[i]![t]!));
  return {
    logprob_drift_mean: mean(d.map(Math.abs)),
    logprob_drift_max: d.length ? Math.max(...d.map(Math.abs)) : 0,
    kl_sample_train_v1: mean(d),
  };
}

/** Appends rows to a JSONL file. */
export class JsonlMetrics implements MetricsSink {
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }
  write(row: StepMetrics): void {
    appendFileSync(this.path, JSON.stringify(row) + "\n");
  }
}

/** Reads a metrics file, skipping a torn last line (a kill mid-write). */
export function readMetrics(path: string): StepMetrics[] {
  if (!existsSync(path)) return [];
  const rows: StepMetrics[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      rows.push(JSON.parse(line) as StepMetrics);
    } catch {
      // a partial row from a killed writer; the step is redone after resume
    }
  }
  return rows;
}

/** Keeps only rows with step <= lastStep (those after the checkpoint are recomputed on resume,
 *  so the series has neither duplicates nor gaps). */
export function truncateMetrics(path: string, lastStep: number): StepMetrics[] {
  const kept = readMetrics(path).filter((r) => r.step <= lastStep);
  writeFileSync(path, kept.map((r) => JSON.stringify(r) + "\n").join(""));
  return kept;
}
