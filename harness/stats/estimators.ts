// Point estimators and closed-form intervals. Sources are named per function.

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length === 0 ? Number.NaN : s / xs.length;
}

/** Sample variance with Bessel's correction (n − 1). */
export function variance(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return s / (n - 1);
}

/** CLT standard error of a mean: sqrt(var/n) (Miller 2024, arXiv 2411.00640, eq. for SE_CLT). */
export function stderrOfMean(xs: readonly number[]): number {
  return xs.length < 2 ? 0 : Math.sqrt(variance(xs) / xs.length);
}

/** Clustered SE of a mean, (1/n)·sqrt(C/(C−1)·Σ_c(Σ_{i∈c}(s_i − x̄))²) — Miller 2024 Appendix A,
 *  with the finite-cluster correction C/(C−1) as inspect_ai's stderr(cluster=) applies it. */
export function clusteredStderr(xs: readonly number[], clusterOf: readonly string[]): number {
  const n = xs.length;
  const m = mean(xs);
  const sums = new Map<string, number>();
  xs.forEach((x, i) => {
    const c = clusterOf[i] ?? `#${i}`;
    sums.set(c, (sums.get(c) ?? 0) + (x - m));
  });
  const C = sums.size;
  if (C < 2) return 0;
  let s = 0;
  for (const v of sums.values()) s += v * v;
  return Math.sqrt((C / (C - 1)) * s) / n;
}

function checkCounts(n: number, c: number, k: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 0 || c < 0 || c > n || k < 1) {
    throw new RangeError(`pass@k needs integers 0 <= c <= n and k >= 1, got n=${n}, c=${c}, k=${k}`);
  }
  if (k > n) throw new RangeError(`pass@k needs k <= n (samples per item), got k=${k} > n=${n}`);
}

/** Unbiased pass@k = 1 − C(n−c,k)/C(n,k) (Chen et al. 2021, arXiv 2107.03374), in the paper's
 *  numerically stable product form 1 − Π_{i=n−c+1}^{n} (1 − k/i). */
export function passAtK(n: number, c: number, k: number): number {
  checkCounts(n, c, k);
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** pass^k = C(c,k)/C(n,k): all k of k draws without replacement succeed (Yao et al. 2024,
 *  τ-bench, arXiv 2406.12045), as the product Π_{i=0}^{k−1} (c−i)/(n−i). */
export function passHatK(n: number, c: number, k: number): number {
  checkCounts(n, c, k);
  if (c < k) return 0;
  let prod = 1;
  for (let i = 0; i < k; i++) prod *= (c - i) / (n - i);
  return prod;
}

export const Z95 = 1.959963984540054;

/** Wilson score interval for a binomial proportion (Wilson 1927): centre (p̂ + z²/2n)/(1 + z²/n),
 *  half-width z/(1 + z²/n)·sqrt(p̂(1−p̂)/n + z²/4n²). */
export function wilson(successes: number, n: number, z: number = Z95): [number, number] {
  if (n === 0) return [0, 1];
  if (successes < 0 || successes > n) throw new RangeError(`wilson: successes must be in [0, n], got ${successes} of ${n}`);
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
