// KL estimators (Schulman 2020, trainer-anchors.md): on a bandit with q = pi_theta and p = pi_ref,
// E_q[k1] = E_q[k3] = KL(q||p) exactly, E_q[k2] is close for nearby policies; in the loss, the
// expected per-token gradient of k1 is 0, of k2 is grad KL(q||p), of k3 is grad KL(p||q).
import { describe, expect, it } from "vitest";
import { klTerm } from "../../trainer/losses.ts";
import { TabularEngine } from "../../trainer/engine/tabular.ts";

const make = (seed: number) => new TabularEngine({ vocabSize: 5, horizon: 1, numPrompts: 1, initScale: 0.4, seed });
const q = make(1);
const ref = make(2);
const P = ref.enumerate(0).map((y) => y.logprob);

function kl(engine: TabularEngine, reverse = false): number {
  return engine.enumerate(0).reduce((a, y, i) => {
    const lq = y.logprob;
    const lp = P[i]!;
    return a + (reverse ? Math.exp(lp) * (lp - lq) : Math.exp(lq) * (lq - lp));
  }, 0);
}

/** sum_y q(y) k'(y) grad log q(y): the exact expected gradient of the estimator in the loss. */
function expectedPathwise(est: "k1" | "k2" | "k3"): Float64Array {
  const g = new Float64Array(q.theta.length);
  q.enumerate(0).forEach((y, i) => q.addGradLogProb(g, 0, y.completion, Math.exp(y.logprob) * klTerm(est, y.logprob, P[i]!).dk));
  return g;
}

function fdGrad(f: () => number): Float64Array {
  const h = 1e-6;
  return q.theta.map((_, j) => {
    q.theta[j]! += h;
    const a = f();
    q.theta[j]! -= 2 * h;
    const b = f();
    q.theta[j]! += h;
    return (a - b) / (2 * h);
  });
}

describe("KL estimators against the enumerated KL", () => {
  const expect_ = (est: "k1" | "k2" | "k3") => q.enumerate(0).reduce((a, y, i) => a + Math.exp(y.logprob) * klTerm(est, y.logprob, P[i]!).k, 0);
  const KL = kl(q);
  it("E[k1] = E[k3] = KL(q||p); E[k2] agrees to second order", () => {
    console.log(`[golden] KL=${KL.toFixed(6)} E[k1]=${expect_("k1").toFixed(6)} E[k2]=${expect_("k2").toFixed(6)} E[k3]=${expect_("k3").toFixed(6)}`);
    expect(KL).toBeGreaterThan(0.01);
    expect(expect_("k1")).toBeCloseTo(KL, 12);
    expect(expect_("k3")).toBeCloseTo(KL, 12);
    expect(Math.abs(expect_("k2") - KL)).toBeLessThan(0.15 * KL);
  });
  it("k3 is never negative; k1 can be", () => {
    const vals = q.enumerate(0).map((y, i) => [klTerm("k1", y.logprob, P[i]!).k, klTerm("k3", y.logprob, P[i]!).k] as const);
    expect(vals.some(([k1]) => k1 < 0)).toBe(true);
    expect(vals.every(([, k3]) => k3 >= 0)).toBe(true);
  });
  it("in the loss: E grad k1 = 0, E grad k2 = grad KL(q||p), E grad k3 = grad KL(p||q)", () => {
    const gKL = fdGrad(() => kl(q));
    const gRev = fdGrad(() => kl(q, true));
    const g1 = expectedPathwise("k1");
    const g2 = expectedPathwise("k2");
    const g3 = expectedPathwise("k3");
    q.theta.forEach((_, j) => {
      expect(g1[j]!).toBeCloseTo(0, 12);
      expect(g2[j]!).toBeCloseTo(gKL[j]!, 7);
      expect(g3[j]!).toBeCloseTo(gRev[j]!, 7);
    });
    expect(Math.max(...gKL.map(Math.abs))).toBeGreaterThan(0.01);
    // k2 and k3 really differ here, so the two identities are distinct claims.
    expect(Math.max(...gKL.map((x, j) => Math.abs(x - gRev[j]!)))).toBeGreaterThan(1e-3);
  });
});
