// The validated training configuration. Every option has a documented default (docs/trainer.md);
// parse errors name the field.
import { z } from "zod";

const nonNeg = z.number().finite().nonnegative();
const pos = z.number().finite().positive();

export const samplingSchema = z.object({
  temperature: pos.default(1),
  topP: z.number().gt(0).lte(1).default(1),
  maxTokens: z.number().int().positive().default(16),
});

export const advantageSchema = z.object({
  /** Registered estimator name: reinforce, grpo, dr_grpo, rloo, reinforce_pp, reinforce_pp_baseline. */
  estimator: z.string().min(1).default("grpo"),
  stdScaling: z.enum(["group", "batch", "none"]).default("group"),
  gamma: z.number().gte(0).lte(1).default(1),
  rewardToGo: z.boolean().default(true),
  eps: nonNeg.default(1e-6),
});

export const lossSchema = z.object({
  /** Registered loss name: pg, is, ppo, cispo, gspo. */
  type: z.string().min(1).default("pg"),
  /** Importance ratio per token or per sequence (is, ppo). */
  ratioLevel: z.enum(["token", "sequence"]).default("token"),
  /** Truncated IS caps weights at c; masked IS zeroes tokens whose ratio exceeds c (is). */
  isMode: z.enum(["truncate", "mask", "none"]).default("truncate"),
  isCap: pos.default(2),
  epsLow: nonNeg.default(0.2),
  epsHigh: nonNeg.default(0.2),
  /** Dual-clip constant c > 1 for negative advantages (ppo); absent: no dual clip. */
  dualClip: z.number().gt(1).optional(),
  aggregation: z
    .enum(["token-mean", "seq-mean-token-mean", "seq-mean-token-sum", "constant", "sum"])
    .default("token-mean"),
  /** Divisor of the constant aggregation (Dr. GRPO); absent: sequences x maxTokens. */
  constantDivisor: pos.optional(),
});

export const klSchema = z.object({
  coef: nonNeg.default(0),
  estimator: z.enum(["k1", "k2", "k3"]).default("k3"),
  /** In the loss (GRPO) or subtracted from the per-token reward (RLOO, REINFORCE++). */
  mode: z.enum(["loss", "reward"]).default("loss"),
});

export const optimizerSchema = z.object({
  learningRate: pos.default(0.05),
  beta1: z.number().gte(0).lt(1).default(0.9),
  beta2: z.number().gte(0).lt(1).default(0.999),
  eps: pos.default(1e-8),
  weightDecay: nonNeg.default(0),
  maxGradNorm: nonNeg.default(0),
});

export const dapoSchema = z.object({
  /** Drop groups whose rewards all agree and sample more prompts to refill the batch. */
  dynamicSampling: z.boolean().default(false),
  /** Most sampling rounds per step when refilling. */
  maxSamplingRounds: z.number().int().positive().default(4),
  /** Exclude completions cut at maxTokens from the loss. */
  maskTruncated: z.boolean().default(false),
  /** Soft overlong penalty (DAPO eq. 13): buffer length L_cache in tokens; 0 = off. */
  overlongBuffer: z.number().int().nonnegative().default(0),
  overlongPenalty: nonNeg.default(1),
});

export const trainConfigSchema = z.object({
  seed: z.number().int().nonnegative().default(0),
  steps: z.number().int().positive().default(100),
  /** Prompts per step; each gets a group of groupSize completions. */
  groupsPerStep: z.number().int().positive().default(8),
  groupSize: z.number().int().positive().default(8),
  /** Sequences per forwardBackward call; 0 = the whole batch in one call. */
  microBatchSize: z.number().int().nonnegative().default(0),
  /** Optimiser steps on each sampled batch (PPO epochs, GRPO's mu). */
  updatesPerBatch: z.number().int().positive().default(1),
  sampling: samplingSchema.prefault({}),
  advantage: advantageSchema.prefault({}),
  loss: lossSchema.prefault({}),
  kl: klSchema.prefault({}),
  optimizer: optimizerSchema.prefault({}),
  dapo: dapoSchema.prefault({}),
  eval: z
    .object({
      /** Evaluate on the held-out split every N steps (and after the last); 0 = never. */
      every: z.number().int().nonnegative().default(0),
      /** Completions per held-out prompt. */
      samples: z.number().int().positive().default(4),
      temperature: pos.default(1),
    })
    .prefault({}),
  checkpoint: z
    .object({
      /** Checkpoint every M steps (and after the last); 0 = never. */
      every: z.number().int().nonnegative().default(0),
      /** Checkpoints kept on disk (oldest removed first). */
      keep: z.number().int().positive().default(2),
    })
    .prefault({}),
  /** Run directory: metrics.jsonl and checkpoints/. Absent: nothing written. */
  outDir: z.string().min(1).optional(),
  /** Continue from the latest checkpoint under outDir when there is one. */
  resume: z.boolean().default(true),
});

export type TrainConfig = z.output<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

export class ConfigError extends Error {
  readonly code = "invalid_config";
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses a config, throwing ConfigError whose message names every bad field. */
export function parseTrainConfig(input: unknown): TrainConfig {
  const r = trainConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const msgs = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  throw new ConfigError(`invalid train config: ${msgs.join("; ")}`);
}
