// Paired significance tests and multiple-comparison corrections.
import type { Rng } from "./rng.ts";

/** Complementary error function, Chebyshev fit with fractional error < 1.2e-7 (Press et al.,
 *  Numerical Recipes in C, 2nd ed., §6.2 erfcc). Hand-written: no maintained JS stats library
 *  is installed and this is the one special function needed. */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Upper tail of χ² with one degree of freedom: P(X ≥ x) = erfc(sqrt(x/2)). */
export function chiSquare1Sf(x: number): number {
  return x <= 0 ? 1 : erfc(Math.sqrt(x / 2));
}

/** Two-sided exact binomial test of k successes in n trials against p = ½:
 *  min(1, 2·P(X ≤ min(k, n−k))). */
export function binomialTwoSidedHalf(k: number, n: number): number {
  if (n === 0) return 1;
  const lo = Math.min(k, n - k);
  // log C(n,i) − n·log 2, accumulated term by term to stay finite for large n.
  let logTerm = -n * Math.LN2;
  let tail = Math.exp(logTerm);
  for (let i = 1; i <= lo; i++) {
    logTerm += Math.log((n - i + 1) / i);
    tail += Math.exp(logTerm);
  }
  return Math.min(1, 2 * tail);
}

export interface McNemarResult {
  /** Discordant pairs: baseline passed and current failed (b), baseline failed and current passed (c). */
  b: number;
  c: number;
  method: "exact" | "chi2_cc";
  statistic?: number;
  pValue: number;
}

/** Below this many discordant pairs McNemar uses the exact binomial test. */
export const MCNEMAR_EXACT_BELOW = 25;

/** McNemar (1947) for paired binary outcomes: exact Binomial(b+c, ½) when b+c < 25, otherwise
 *  χ² = (|b−c|−1)²/(b+c) with Edwards' continuity correction, 1 df. */
export function mcnemar(b: number, c: number): McNemarResult {
  const n = b + c;
  if (n < MCNEMAR_EXACT_BELOW) return { b, c, method: "exact", pValue: binomialTwoSidedHalf(b, n) };
  const statistic = (Math.abs(b - c) - 1) ** 2 / n;
  return { b, c, method: "chi2_cc", statistic, pValue: chiSquare1Sf(statistic) };
}

/** Exact enumeration of all 2^m sign patterns up to this many non-zero differences. */
export const SIGN_FLIP_EXACT_MAX = 16;
/** Above this many non-zero differences the permutation distribution is taken as normal. */
export const SIGN_FLIP_NORMAL_MIN = 2000;

export type SignFlipMethod = "exact" | "monte_carlo" | "normal";

/** Paired sign-flip permutation test of H0 "differences are symmetric about 0" with statistic
 *  |Σ d_i| (Fisher 1935; Good 2005 §3). Exact for ≤ 16 non-zero d_i; Monte Carlo with the
 *  (1 + #extreme)/(1 + B) estimate (Phipson & Smyth 2010) up to 2000; beyond that, when no single
 *  d_i dominates (max d_i² ≤ 1% of Σd_i², Lindeberg), the permutation distribution of Σ ±d_i is
 *  normal with variance Σ d_i², so p = erfc(|Σd_i| / sqrt(2 Σ d_i²)). */
export function signFlipTest(d: readonly number[], rng: Rng, permutations = 10000): { pValue: number; exact: boolean; method: SignFlipMethod } {
  const nz = Float64Array.from(d.filter((x) => x !== 0));
  const m = nz.length;
  if (m === 0) return { pValue: 1, exact: true, method: "exact" };
  let sum = 0;
  let sumSq = 0;
  let maxSq = 0;
  for (const x of nz) {
    sum += x;
    sumSq += x * x;
    maxSq = Math.max(maxSq, x * x);
  }
  const observed = Math.abs(sum);
  const tol = 1e-12 * Math.max(1, observed);
  if (m <= SIGN_FLIP_EXACT_MAX) {
    let extreme = 0;
    const total = 2 ** m;
    for (let mask = 0; mask < total; mask++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += mask & (1 << i) ? -(nz[i] as number) : (nz[i] as number);
      if (Math.abs(s) >= observed - tol) extreme++;
    }
    return { pValue: extreme / total, exact: true, method: "exact" };
  }
  if (m > SIGN_FLIP_NORMAL_MIN && maxSq <= 0.01 * sumSq) {
    return { pValue: Math.min(1, erfc(observed / Math.sqrt(2 * sumSq))), exact: false, method: "normal" };
  }
  // 32 fair sign bits per PRNG call: mulberry32's raw output, drawn from the caller's stream.
  const bits = () => Math.floor(rng() * 4294967296) >>> 0;
  let extreme = 0;
  for (let b = 0; b < permutations; b++) {
    let s = 0;
    let word = 0;
    for (let i = 0; i < m; i++) {
      if ((i & 31) === 0) word = bits();
      s += word & 1 ? -(nz[i] as number) : (nz[i] as number);
      word >>>= 1;
    }
    if (Math.abs(s) >= observed - tol) extreme++;
  }
  return { pValue: (1 + extreme) / (1 + permutations), exact: false, method: "monte_carlo" };
}

/** Two-sided p-value read off paired-bootstrap replicates of Δ: 2·min(P*(Δ ≤ 0), P*(Δ ≥ 0)). */
export function bootstrapPValue(replicates: readonly number[]): number {
  let le = 0;
  let ge = 0;
  for (const x of replicates) {
    if (x <= 0) le++;
    if (x >= 0) ge++;
  }
  const B = replicates.length;
  return B === 0 ? 1 : Math.min(1, (2 * Math.min(le, ge) + 1) / (B + 1));
}

function order(ps: readonly number[]): number[] {
  return ps.map((_, i) => i).sort((a, b) => (ps[a] as number) - (ps[b] as number));
}

/** Holm (1979) step-down adjusted p-values: p̃_(i) = max_{j≤i} min(1, (m−j+1)·p_(j)). */
export function holm(ps: readonly number[]): number[] {
  const m = ps.length;
  const out = new Array<number>(m);
  let running = 0;
  order(ps).forEach((idx, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * (ps[idx] as number)));
    out[idx] = running;
  });
  return out;
}

/** Benjamini & Hochberg (1995) step-up adjusted p-values: p̃_(i) = min_{j≥i} min(1, m/j·p_(j)). */
export function benjaminiHochberg(ps: readonly number[]): number[] {
  const m = ps.length;
  const out = new Array<number>(m);
  const idx = order(ps);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const i = idx[rank] as number;
    running = Math.min(running, Math.min(1, (m / (rank + 1)) * (ps[i] as number)));
    out[i] = running;
  }
  return out;
}
