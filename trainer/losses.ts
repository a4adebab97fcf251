// Policy-gradient losses written as functions of per-token log pi. Each returns the weights
// w_t = -dL/dlogpi_t (analytic) that forwardBackward turns into -grad L (the linearised-loss
// bridge, DESIGN.md "Trainer"). L = -sum_{i,t} c_{i,t} j_{i,t}: j is the per-token surrogate being
// maximised, c the aggregation coefficient computed over the WHOLE accumulated batch.
import type { KlEstimator, LossBatch, LossResult, LossStats, PolicyLoss } from "./types.ts";
import type { TrainConfig } from "./config.ts";

export type LossOptions = TrainConfig["loss"];
export type Aggregation = LossOptions["aggregation"];

const maskOf = (b: LossBatch, i: number, t: number) => b.mask_BT?.[i]?.[t] ?? 1;

/** Aggregation coefficients c_{i,t} (trainer-anchors.md, "Aggregation choices"). */
export function aggregationCoefficients(
  mask_BT: number[][],
  mode: Aggregation,
  constantDivisor?: number,
): number[][] {
  const len_B = mask_BT.map((r) => r.reduce((a, m) => a + m, 0));
  const tokens = len_B.reduce((a, b) => a + b, 0);
  const seqs = len_B.filter((n) => n > 0).length;
  const per = (i: number): number => {
    const n = len_B[i]!;
    if (n === 0) return 0;
    switch (mode) {
      case "token-mean":
        return 1 / tokens;
      case "seq-mean-token-mean":
        return 1 / (seqs * n);
      case "seq-mean-token-sum":
        return 1 / seqs;
      case "constant":
        if (!(constantDivisor && constantDivisor > 0)) throw new Error("constant aggregation needs constantDivisor > 0");
        return 1 / constantDivisor;
      case "sum":
        return 1;
    }
  };
  return mask_BT.map((r, i) => r.map((m) => m * per(i)));
}

/** Importance weight after truncation (cap at c) or masking (zero above c) (seed 000). */
function isWeight(r: number, mode: LossOptions["isMode"], cap: number): number {
  if (mode === "truncate") return Math.min(r, cap);
  if (mode === "mask") return r > cap ? 0 : r;
  return r;
}

/** ESS = (sum r)^2 / sum r^2 (seed 000). */
export function effectiveSampleSize(r: readonly number[]): number {
  let s = 0;
  let s2 = 0;
  for (const x of r) {
    s += x;
    s2 += x * x;
  }
  return s2 > 0 ? (s * s) / s2 : 0;
}

interface Acc {
  loss: number;
  weights_BT: number[][];
  ratios: number[];
  active: number;
  low: number;
  high: number;
  truncated: number;
}

function newAcc(b: LossBatch): Acc {
  return { loss: 0, weights_BT: b.logprobs_BT.map((r) => r.map(() => 0)), ratios: [], active: 0, low: 0, high: 0, truncated: 0 };
}

function finish(a: Acc): LossResult {
  const ess = effectiveSampleSize(a.ratios);
  const n = a.active || 1;
  const stats: LossStats = {
    clipLow: a.low / n,
    clipHigh: a.high / n,
    ess,
    essFraction: a.ratios.length ? ess / a.ratios.length : 1,
    isTruncated: a.truncated / n,
  };
  return { loss: a.loss, weights_BT: a.weights_BT, stats };
}

/** Visits every active token: (i, t, c, lp, old, A). */
function eachToken(b: LossBatch, coef: number[][], f: (i: number, t: number, c: number, lp: number, old: number, A: number) => void) {
  b.logprobs_BT.forEach((row, i) =>
    row.forEach((lp, t) => {
      if (maskOf(b, i, t) === 0) return;
      f(i, t, coef[i]![t]!, lp, b.oldLogprobs_BT[i]![t]!, b.advantages_BT[i]![t]!);
    }),
  );
}

/** PPO's clipped surrogate for one ratio: value and d(value)/d(ratio) (Schulman et al. 2017;
 *  dual clip: Ye et al. 2020 / verl clip_ratio_c). */
function ppoTerm(r: number, A: number, o: LossOptions): { j: number; dr: number; low: boolean; high: boolean } {
  const lo = 1 - o.epsLow;
  const hi = 1 + o.epsHigh;
  const unclipped = r * A;
  const clipped = Math.min(Math.max(r, lo), hi) * A;
  let j = Math.min(unclipped, clipped);
  let dr = unclipped <= clipped && (A >= 0 ? r <= hi : r >= lo) ? A : 0;
  if (o.dualClip !== undefined && A < 0 && j < o.dualClip * A) {
    j = o.dualClip * A;
    dr = 0;
  }
  return { j, dr, low: A < 0 && r < lo, high: A > 0 && r > hi };
}

/** On-policy REINFORCE surrogate j = A * logpi (the StopGrad ratio trick, seed 000). */
const pg = (): PolicyLoss => ({
  name: "pg",
  needsCurrentLogprobs: false,
  compute(b, coef) {
    const a = newAcc(b);
    eachToken(b, coef, (i, t, c, lp, _old, A) => {
      a.active++;
      a.loss -= c * A * lp;
      a.weights_BT[i]![t] = c * A;
    });
    return finish(a);
  },
});

/** Off-policy REINFORCE with importance weights (seed 000): w_t = c * sg(w(r)) * A_t, with r the
 *  token ratio or the sequence ratio prod_t pi/pi_old, truncated or masked at isCap. */
const importanceSampling = (o: LossOptions): PolicyLoss => ({
  name: "is",
  needsCurrentLogprobs: true,
  compute(b, coef) {
    const a = newAcc(b);
    const seqRatio = sequenceLogRatios(b).map(Math.exp);
    if (o.ratioLevel === "sequence") a.ratios.push(...seqRatio.filter((_, i) => activeTokens(b, i) > 0));
    eachToken(b, coef, (i, t, c, lp, old, A) => {
      const r = o.ratioLevel === "sequence" ? seqRatio[i]! : Math.exp(lp - old);
      if (o.ratioLevel === "token") a.ratios.push(r);
      const w = isWeight(r, o.isMode, o.isCap);
      a.active++;
      if (w !== r) a.truncated++;
      a.loss -= c * w * A;
      a.weights_BT[i]![t] = c * w * A;
    });
    return finish(a);
  },
});

/** PPO clip with eps_low / eps_high (DAPO clip-higher) and optional dual clip; token ratios, or
 *  one sequence ratio exp(sum_t log r_t) per completion (TRL RLOO). */
const ppo = (o: LossOptions): PolicyLoss => ({
  name: "ppo",
  needsCurrentLogprobs: true,
  compute(b, coef) {
    if (o.ratioLevel === "sequence") return sequenceClip(b, coef, o, false);
    const a = newAcc(b);
    eachToken(b, coef, (i, t, c, lp, old, A) => {
      const r = Math.exp(lp - old);
      const p = ppoTerm(r, A, o);
      a.ratios.push(r);
      a.active++;
      if (p.low) a.low++;
      if (p.high) a.high++;
      a.loss -= c * p.j;
      a.weights_BT[i]![t] = c * p.dr * r; // d(r)/d(logpi) = r
    });
    return finish(a);
  },
});

/** CISPO (MiniMax-M1 2025): j = sg(clip(r, 1-eps_low, 1+eps_high)) * A * logpi; every token keeps
 *  a gradient, the clip only bounds its weight. */
const cispo = (o: LossOptions): PolicyLoss => ({
  name: "cispo",
  needsCurrentLogprobs: true,
  compute(b, coef) {
    const a = newAcc(b);
    const lo = Math.max(0, 1 - o.epsLow);
    const hi = 1 + o.epsHigh;
    eachToken(b, coef, (i, t, c, lp, old, A) => {
      const r = Math.exp(lp - old);
      const w = Math.min(Math.max(r, lo), hi);
      a.ratios.push(r);
      a.active++;
      if (r < lo) a.low++;
      if (r > hi) a.high++;
      a.loss -= c * w * A * lp;
      a.weights_BT[i]![t] = c * w * A;
    });
    return finish(a);
  },
});

/** GSPO (Zheng et al. 2025): s_i = exp(mean_t log r_t), j_i = min(s A, clip(s) A) per sequence. */
const gspo = (o: LossOptions): PolicyLoss => ({
  name: "gspo",
  needsCurrentLogprobs: true,
  compute: (b, coef) => sequenceClip(b, coef, o, true),
});

function activeTokens(b: LossBatch, i: number): number {
  return b.logprobs_BT[i]!.reduce((n, _, t) => n + maskOf(b, i, t), 0);
}

function sequenceLogRatios(b: LossBatch): number[] {
  return b.logprobs_BT.map((row, i) => row.reduce((s, lp, t) => s + maskOf(b, i, t) * (lp - b.oldLogprobs_BT[i]![t]!), 0));
}

/** A clipped objective on one ratio per sequence. The sequence term j_i is broadcast to its
 *  tokens (as TRL does), so it carries weight C_i = sum_t c_{i,t}; A_i is the mean active-token
 *  advantage. lengthNorm: s_i = exp(mean log r) (GSPO) instead of exp(sum log r). */
function sequenceClip(b: LossBatch, coef: number[][], o: LossOptions, lengthNorm: boolean): LossResult {
  const a = newAcc(b);
  const logR = sequenceLogRatios(b);
  b.logprobs_BT.forEach((row, i) => {
    const n = activeTokens(b, i);
    if (n === 0) return;
    const C = row.reduce((s, _, t) => s + coef[i]![t]! * maskOf(b, i, t), 0);
    const A = row.reduce((s, _, t) => s + maskOf(b, i, t) * b.advantages_BT[i]![t]!, 0) / n;
    const s = Math.exp(lengthNorm ? logR[i]! / n : logR[i]!);
    const p = ppoTerm(s, A, o);
    a.ratios.push(s);
    a.active += n;
    if (p.low) a.low += n;
    if (p.high) a.high += n;
    a.loss -= C * p.j;
    const ds = lengthNorm ? s / n : s; // d s_i / d logpi_{i,t}
    row.forEach((_, t) => (a.weights_BT[i]![t] = maskOf(b, i, t) * C * p.dr * ds));
  });
  return finish(a);
}

/** KL estimators of KL[pi || pi_ref] for x ~ pi, with d = logpi - logpi_ref (Schulman 2020):
 *  value and derivative in logpi. */
export function klTerm(est: KlEstimator, lp: number, ref: number): { k: number; dk: number } {
  const d = lp - ref;
  switch (est) {
    case "k1":
      return { k: d, dk: 1 };
    case "k2":
      return { k: 0.5 * d * d, dk: d };
    case "k3":
      return { k: Math.exp(-d) + d - 1, dk: 1 - Math.exp(-d) };
  }
}

type LossBuilder = (o: LossOptions) => PolicyLoss;
const registry = new Map<string, LossBuilder>([
  ["pg", pg],
  ["is", importanceSampling],
  ["ppo", ppo],
  ["cispo", cispo],
  ["gspo", gspo],
]);

export function registerLoss(name: string, build: LossBuilder): void {
  registry.set(name, build);
}

export function makeLoss(o: LossOptions): PolicyLoss {
  const build = registry.get(o.type);
  if (!build) throw new Error(`unknown loss "${o.type}"; expected one of: ${[...registry.keys()].join(", ")}`);
  return build(o);
}

export interface KlInLoss {
  coef: number;
  estimator: KlEstimator;
}

/** The policy loss plus, when given, beta * KL to the reference in the loss (GRPO), with the
 *  aggregation computed over the whole batch passed in. */
export function computeLoss(
  loss: PolicyLoss,
  batch: LossBatch,
  agg: { mode: Aggregation; constantDivisor?: number },
  kl?: KlInLoss,
): LossResult {
  const mask = batch.mask_BT ?? batch.logprobs_BT.map((r) => r.map(() => 1));
  const coef = aggregationCoefficients(mask, agg.mode, agg.constantDivisor);
  const out = loss.compute(batch, coef);
  if (!kl || kl.coef === 0) return out;
  const ref = batch.refLogprobs_BT;
  if (!ref) throw new Error("a KL term in the loss needs refLogprobs_BT");
  let sumK = 0;
  let n = 0;
  eachToken(batch, coef, (i, t, c, lp) => {
    const { k, dk } = klTerm(kl.estimator, lp, ref[i]![t]!);
    sumK += k;
    n++;
    out.loss += c * kl.coef * k;
    out.weights_BT[i]![t]! -= c * kl.coef * dk;
  });
  out.stats.kl = n ? sumK / n : 0;
  return out;
}
