// The RL vocabulary of the trainer (after tinker-cookbook's rl/types.py). Array shapes are named in
// the suffix: _T per completion token, _G per member of a group, _B per sequence in the batch.
import type { Prompt, Sample } from "../tasks/types.ts";
import type { Verdict, Verifier } from "../verifiers/types.ts";
import type { Engine, SampledSequence } from "./engine/protocol.ts";
import type { TrainConfig } from "./config.ts";

export type { TrainConfig } from "./config.ts";

/** Turns samples into prompt tokens and completion tokens into text. The tabular engine uses a
 *  trivial one; language models pass a transformers.js tokenizer with a chat template. */
export interface Renderer {
  renderPrompt(sample: Sample, taskName: string): number[] | Promise<number[]>;
  /** Completion text as a verifier should see it (special tokens stripped). */
  decode(tokens: number[]): string;
  /** The prompt as a verifier (judge) should see it; optional. */
  promptFor?(sample: Sample, taskName: string): Prompt;
}

/** A verifier with the weight of its reward in the task's total reward. */
export interface WeightedVerifier {
  name: string;
  verifier: Verifier;
  weight: number;
}

/** One task the trainer learns: training samples, an optional held-out split and its verifiers. */
export interface TrainTask {
  name: string;
  train: Sample[];
  eval?: Sample[];
  verifiers: WeightedVerifier[];
}

/** One sampled completion, scored. */
export interface Rollout {
  taskName: string;
  sample: Sample;
  /** Index of this completion inside its group. */
  index: number;
  seq: SampledSequence;
  text: string;
  /** Verdict of each verifier, by verifier name. */
  verdicts: Record<string, Verdict>;
  /** Weighted verifier reward plus shaping (overlong penalty); the scalar the estimators see. */
  reward: number;
  /** Per-token rewards: the scalar reward on the last token plus per-token shaping (KL in the
   *  reward). Sums to the trajectory return when gamma = 1. */
  rewards_T: number[];
  /** Verifier errors in this rollout (each counted, scored 0). */
  verifierErrors: number;
}

/** The K completions of one prompt: the unit GRPO/RLOO baselines are computed over. */
export interface Group {
  taskName: string;
  sample: Sample;
  rollouts: Rollout[];
}

/** Per-token rewards of the rollouts of one group; the input of an advantage estimator. */
export type RewardGroup = number[][]; // rewards_GT

export interface AdvantageOptions {
  /** Discount for reward-to-go (REINFORCE, REINFORCE++). */
  gamma: number;
  /** Weight each token by the reward from it onward (true) or by the whole return (false). */
  rewardToGo: boolean;
  /** GRPO std scaling. */
  stdScaling: "group" | "batch" | "none";
  /** Added to the std before dividing. */
  eps: number;
}

/** A named advantage strategy: per-token rewards of every group in, per-token advantages out
 *  (same shape: advantages_GT for each group). */
export interface AdvantageEstimator {
  readonly name: string;
  compute(groups: RewardGroup[], opts: AdvantageOptions): number[][][];
}

/** Per-token inputs of a loss for the whole accumulated batch (B sequences). */
export interface LossBatch {
  /** log pi_theta at the current parameters. */
  logprobs_BT: number[][];
  /** log pi_old: the policy that sampled (sampler log-probs). */
  oldLogprobs_BT: number[][];
  advantages_BT: number[][];
  /** log pi_ref, when a KL term is in the loss. */
  refLogprobs_BT?: number[][];
  /** 1 = token counts, 0 = masked out (e.g. truncated completions). Absent: all ones. */
  mask_BT?: number[][];
}

export type Aggregation =
  | "token-mean"
  | "seq-mean-token-mean"
  | "seq-mean-token-sum"
  | "constant"
  | "sum";

export type KlEstimator = "k1" | "k2" | "k3";

/** Clip and importance-sampling statistics a loss reports alongside its weights. */
export interface LossStats {
  /** Fraction of active tokens clipped on the low side (ratio < 1-eps_low with A < 0). */
  clipLow: number;
  /** Fraction clipped on the high side (ratio > 1+eps_high with A > 0). */
  clipHigh: number;
  /** Importance-ratio effective sample size (sum r)^2 / sum r^2 over active tokens (seed 000). */
  ess: number;
  /** ESS divided by the number of ratios, in (0, 1]. */
  essFraction: number;
  /** Fraction of tokens whose importance weight was truncated or masked. */
  isTruncated: number;
  /** Mean KL estimate per active token against the reference, when a KL term is in the loss. */
  kl?: number;
}

export interface LossResult {
  /** L, the scalar being minimised (its value; stop-gradient parts use their current value). */
  loss: number;
  /** w_t = -dL/d log pi_t, what forwardBackward is called with. */
  weights_BT: number[][];
  stats: LossStats;
}

/** A policy-gradient loss written as a function of per-token log pi. */
export interface PolicyLoss {
  readonly name: string;
  /** Whether the weights depend on the current log pi (if not, the logprobs pass can be skipped
   *  on-policy and the sampler log-probs stand in). */
  readonly needsCurrentLogprobs: boolean;
  compute(batch: LossBatch, coef_BT: number[][]): LossResult;
}

/** One row of the metric series, one per optimiser step (plus eval fields on eval steps). */
export interface StepMetrics {
  step: number;
  [metric: string]: number;
}

export interface MetricsSink {
  write(row: StepMetrics): void | Promise<void>;
}

/** What the training loop is handed: its collaborators. */
export interface TrainDeps {
  engine: Engine;
  renderer: Renderer;
  tasks: TrainTask[];
  /** Frozen reference policy for the KL term (needed when kl.coef > 0). */
  reference?: Engine;
  /** Called with every step's metrics (after they are stored). */
  onStep?: (row: StepMetrics) => void;
  signal?: AbortSignal;
}

export interface TrainResult {
  /** Steps completed in total (including those before a resume). */
  steps: number;
  /** Step the run resumed from, when it did. */
  resumedFrom?: number;
  history: StepMetrics[];
}

/** The signature of the training loop (implemented in loop.ts). */
export type TrainFn = (config: TrainConfig, deps: TrainDeps) => Promise<TrainResult>;
