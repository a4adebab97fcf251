// Shared pieces of the golden tests: a tiny token MDP with per-step rewards, Monte Carlo
// estimators run through the real engine bridge, and z-statistics against enumerated truths.
import { TabularEngine } from "../../trainer/engine/tabular.ts";
import type { SampledSequence } from "../../trainer/engine/protocol.ts";

export const V = 3;
export const H = 3;
/** The MDP's per-step reward: 1 for matching TARGET at step t, plus 0.5 for repeating a token. */
const TARGET = [2, 0, 1];
export function stepReward(completion: readonly number[], t: number): number {
  const a = completion[t]!;
  return (a === TARGET[t] ? 1 : 0) + (t > 0 && completion[t - 1] === a ? 0.5 : 0);
}
export const rewards_T = (c: readonly number[]) => c.map((_, t) => stepReward(c, t));
export const totalReward = (c: readonly number[]) => rewards_T(c).reduce((a, b) => a + b, 0);

export function mdp(seed = 5, initScale = 0.6): TabularEngine {
  return new TabularEngine({ vocabSize: V, horizon: H, numPrompts: 1, initScale, seed });
}

/** M independent estimates of a gradient: each samples K completions from `sampler` (seeded),
 *  asks weightsFor for per-token weights, runs forwardBackward on `engine`, reads the gradient. */
export async function estimates(
  engine: TabularEngine,
  M: number,
  K: number,
  weightsFor: (seqs: SampledSequence[]) => number[][] | Promise<number[][]>,
  sampler: TabularEngine = engine,
  seed = 1000,
): Promise<Float64Array[]> {
  const out: Float64Array[] = [];
  for (let m = 0; m < M; m++) {
    const seqs = (await sampler.sample([[0]], K, { maxTokens: sampler.spec.horizon, seed: seed + m }))[0]!;
    await engine.forwardBackward(seqs, await weightsFor(seqs));
    out.push(engine.gradient());
    engine.zeroGrad();
  }
  return out;
}

export interface ZStats {
  mean: Float64Array;
  maxAbsZ: number;
  /** Trace of the covariance of one estimate: sum_j Var(g_j). */
  totalVariance: number;
}

/** Per-coordinate z = (mean - truth) / SE over M estimates. */
export function zStats(samples: Float64Array[], truth: Float64Array): ZStats {
  const M = samples.length;
  const n = truth.length;
  const mean = new Float64Array(n);
  for (const s of samples) for (let j = 0; j < n; j++) mean[j]! += s[j]! / M;
  let maxAbsZ = 0;
  let totalVariance = 0;
  for (let j = 0; j < n; j++) {
    let v = 0;
    for (const s of samples) v += (s[j]! - mean[j]!) ** 2;
    v /= M - 1;
    totalVariance += v;
    const se = Math.sqrt(v / M);
    const diff = Math.abs(mean[j]! - truth[j]!);
    maxAbsZ = Math.max(maxAbsZ, se > 0 ? diff / se : diff < 1e-12 ? 0 : Infinity);
  }
  return { mean, maxAbsZ, totalVariance };
}

export const norm = (g: Float64Array) => Math.sqrt(g.reduce((a, x) => a + x * x, 0));
export const scale = (g: Float64Array, k: number) => g.map((x) => x * k);

/** Bonferroni bound for |z| over the 39 coordinates of the MDP at family-wise alpha ~ 0.001. */
export const Z_TOL = 4.5;
