// The RL training loop: sample groups -> verify -> advantages -> loss weights -> forwardBackward ->
// optimStep, with eval-in-the-loop, JSONL metrics and checkpoint/resume. Every random choice is
// seeded from (seed, step), so a resumed run repeats exactly what the killed one would have done.
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { computeAdvantages } from "./advantages.ts";
import { loadLatestCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { DataCursor } from "./data.ts";
import { computeLoss, klTerm, makeLoss } from "./losses.ts";
import { driftMetrics, JsonlMetrics, rewardMetrics, truncateMetrics } from "./metrics.ts";
import { mixSeed } from "./rng.ts";
import { collectGroups, type RolloutTimes } from "./rollout.ts";
import { ConfigError, parseTrainConfig, type TrainConfigInput } from "./config.ts";
import type { Engine, Sequence } from "./engine/protocol.ts";
import type { Group, StepMetrics, TrainConfig, TrainDeps, TrainResult } from "./types.ts";

/** Hash of everything that shapes the series (not steps/outDir/resume, which may change). */
export function configHash(c: TrainConfig): string {
  const { steps: _s, outDir: _o, resume: _r, ...rest } = c;
  return createHash("sha256").update(JSON.stringify(rest)).digest("hex").slice(0, 16);
}

export async function train(input: TrainConfig | TrainConfigInput, deps: TrainDeps): Promise<TrainResult> {
  const config = parseTrainConfig(input);
  const { engine, renderer, tasks } = deps;
  if (config.kl.coef > 0 && !deps.reference) throw new ConfigError("kl.coef > 0 needs a reference engine (deps.reference)");
  const loss = makeLoss(config.loss);
  const hash = configHash(config);
  const ckptRoot = config.outDir ? join(config.outDir, "checkpoints") : undefined;
  let start = 0;
  let cursor = new DataCursor(tasks, config.seed);
  let history: StepMetrics[] = [];
  let metrics: JsonlMetrics | undefined;
  if (config.outDir && ckptRoot) {
    mkdirSync(ckptRoot, { recursive: true });
    metrics = new JsonlMetrics(join(config.outDir, "metrics.jsonl"));
    const state = config.resume ? await loadLatestCheckpoint(ckptRoot, engine, hash) : undefined;
    if (state) {
      start = state.step;
      cursor = new DataCursor(tasks, config.seed, state.cursor);
    }
    history = truncateMetrics(metrics.path, start);
  }

  for (let step = start + 1; step <= config.steps; step++) {
    deps.signal?.throwIfAborted();
    const row = await trainStep(config, deps, loss, cursor, step);
    if (config.eval.every > 0 && (step % config.eval.every === 0 || step === config.steps)) {
      Object.assign(row, await evaluate(config, deps, step));
    }
    await metrics?.write(row);
    history.push(row);
    deps.onStep?.(row);
    const ckptDue = config.checkpoint.every > 0 && (step % config.checkpoint.every === 0 || step === config.steps);
    if (ckptRoot && ckptDue) {
      await saveCheckpoint(ckptRoot, engine, { format: "arbiter-trainer-ckpt-v1", step, cursor: cursor.state, configHash: hash }, config.checkpoint.keep);
    }
  }
  return { steps: Math.max(start, config.steps), ...(start > 0 ? { resumedFrom: start } : {}), history };
}

async function trainStep(
  config: TrainConfig,
  deps: TrainDeps,
  loss: ReturnType<typeof makeLoss>,
  cursor: DataCursor,
  step: number,
): Promise<StepMetrics> {
  const { engine } = deps;
  const tStep = performance.now();
  const times: RolloutTimes = { sample: 0, verify: 0 };
  const sampled: Group[] = [];
  const groups: Group[] = [];
  let rounds = 0;
  // DAPO dynamic sampling: keep only groups whose rewards differ, refill up to maxSamplingRounds.
  while (groups.length < config.groupsPerStep && rounds < (config.dapo.dynamicSampling ? config.dapo.maxSamplingRounds : 1)) {
    const items = cursor.take(config.groupsPerStep - groups.length);
    const params = { ...config.sampling, seed: mixSeed(config.seed, step, rounds) };
    const got = await collectGroups(engine, deps.renderer, items, config, params, times, deps.signal);
    sampled.push(...got);
    groups.push(...(config.dapo.dynamicSampling ? got.filter((g) => new Set(g.rollouts.map((r) => r.reward)).size > 1) : got));
    rounds++;
  }
  const row: StepMetrics = { step, ...rewardMetrics(sampled), groups: groups.length, groups_dropped: sampled.length - groups.length, sampling_rounds: rounds };
  const t = { logprobs: 0, forwardBackward: 0, optim: 0 };
  if (groups.length > 0) Object.assign(row, await update(config, deps, loss, groups, t));
  Object.assign(row, {
    "time/sample": times.sample / 1000,
    "time/verify": times.verify / 1000,
    "time/logprobs": t.logprobs / 1000,
    "time/forward_backward": t.forwardBackward / 1000,
    "time/optim": t.optim / 1000,
    "time/step": (performance.now() - tStep) / 1000,
  });
  return row;
}

/** Advantages, loss weights and updatesPerBatch optimiser steps on one sampled batch. */
async function update(
  config: TrainConfig,
  deps: TrainDeps,
  loss: ReturnType<typeof makeLoss>,
  groups: Group[],
  t: { logprobs: number; forwardBackward: number; optim: number },
): Promise<Record<string, number>> {
  const { engine, reference } = deps;
  const rollouts = groups.flatMap((g) => g.rollouts);
  const seqs: Sequence[] = rollouts.map((r) => ({ prompt: r.seq.prompt, completion: r.seq.completion }));
  const old_BT = rollouts.map((r) => r.seq.logprobs);
  const out: Record<string, number> = {};
  const timed = async <T>(key: keyof typeof t, f: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    try {
      return await f();
    } finally {
      t[key] += performance.now() - s;
    }
  };
  let ref_BT: number[][] | undefined;
  if (config.kl.coef > 0 && reference) {
    ref_BT = await timed("logprobs", () => reference.logprobs(seqs));
    if (config.kl.mode === "reward") {
      // KL in the reward: r_t -= beta * k(log q_t, log pi_ref_t), no gradient (RLOO, REINFORCE++).
      rollouts.forEach((r, i) => r.rewards_T.forEach((_, k) => (r.rewards_T[k]! -= config.kl.coef * klTerm(config.kl.estimator, old_BT[i]![k]!, ref_BT![i]![k]!).k)));
    }
  }
  const adv_GBT = computeAdvantages(config.advantage.estimator, groups.map((g) => g.rollouts.map((r) => r.rewards_T)), config.advantage);
  const advantages_BT = adv_GBT.flat();
  const mask_BT: number[][] = rollouts.map((r) => r.seq.completion.map(() => (config.dapo.maskTruncated && r.seq.finishReason === "length" ? 0 : 1)));
  const klInLoss = config.kl.coef > 0 && config.kl.mode === "loss" ? { coef: config.kl.coef, estimator: config.kl.estimator } : undefined;
  const agg = { mode: config.loss.aggregation, constantDivisor: config.loss.constantDivisor ?? seqs.length * config.sampling.maxTokens };
  const mb = config.microBatchSize > 0 ? config.microBatchSize : seqs.length;
  for (let u = 0; u < config.updatesPerBatch; u++) {
    // Skip the logprobs pass when the weights do not depend on the current policy (on-policy pg).
    const needCurrent = loss.needsCurrentLogprobs || u > 0 || klInLoss !== undefined;
    const cur_BT = needCurrent ? await timed("logprobs", () => engine.logprobs(seqs)) : old_BT;
    const res = computeLoss(loss, { logprobs_BT: cur_BT, oldLogprobs_BT: old_BT, advantages_BT, mask_BT, ...(ref_BT ? { refLogprobs_BT: ref_BT } : {}) }, agg, klInLoss);
    let entropy = 0;
    let entropyTokens = 0;
    const fbLogprobs: number[][] = [];
    await timed("forwardBackward", async () => {
      for (let i = 0; i < seqs.length; i += mb) {
        const r = await engine.forwardBackward(seqs.slice(i, i + mb), res.weights_BT.slice(i, i + mb));
        fbLogprobs.push(...r.logprobs);
        const n = r.logprobs.reduce((a, row) => a + row.length, 0);
        if (r.entropy !== undefined) {
          entropy += r.entropy * n;
          entropyTokens += n;
        }
      }
    });
    const { gradNorm } = await timed("optim", () => engine.optimStep(config.optimizer));
    if (u === 0) {
      Object.assign(out, driftMetrics(old_BT, fbLogprobs), {
        loss: res.loss,
        ess: res.stats.ess,
        ess_fraction: res.stats.essFraction,
        clip_low: res.stats.clipLow,
        clip_high: res.stats.clipHigh,
        is_truncated: res.stats.isTruncated,
        grad_norm: gradNorm,
        tokens_trained: mask_BT.flat().reduce((a, b) => a + b, 0),
        advantage_abs_mean: advantages_BT.flat().reduce((a, x) => a + Math.abs(x), 0) / Math.max(1, advantages_BT.flat().length),
        ...(res.stats.kl !== undefined ? { kl: res.stats.kl } : {}),
        ...(entropyTokens > 0 ? { entropy: entropy / entropyTokens } : {}),
      });
    }
  }
  if (ref_BT && out["kl"] === undefined) {
    out["kl"] = old_BT.flat().reduce((a, q, j) => a + klTerm("k3", q, ref_BT.flat()[j]!).k, 0) / Math.max(1, old_BT.flat().length);
  }
  return out;
}

/** Mean reward on each task's held-out split: eval/<task>/reward_mean and eval/reward_mean. */
export async function evaluate(config: TrainConfig, deps: TrainDeps, step: number, engine: Engine = deps.engine): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const all: number[] = [];
  for (const [ti, task] of deps.tasks.entries()) {
    if (!task.eval?.length) continue;
    const params = { temperature: config.eval.temperature, topP: 1, maxTokens: config.sampling.maxTokens, seed: mixSeed(config.seed, 0xe7a1, step, ti) };
    const times = { sample: 0, verify: 0 };
    const groups = await collectGroups(engine, deps.renderer, task.eval.map((sample) => ({ task, sample })), { ...config, groupSize: config.eval.samples }, params, times, deps.signal);
    const rs = groups.flatMap((g) => g.rollouts.map((r) => r.reward));
    out[`eval/${task.name}/reward_mean`] = rs.reduce((a, b) => a + b, 0) / rs.length;
    all.push(...rs);
  }
  if (all.length) out["eval/reward_mean"] = all.reduce((a, b) => a + b, 0) / all.length;
  return out;
}
