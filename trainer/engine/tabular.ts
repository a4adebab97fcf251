// The tabular engine: an exact softmax policy with one row of logits per (prompt, completion
// prefix) state, over a small vocabulary and horizon. Bandits are horizon 1. Its expected reward
// and true gradient can be enumerated, which is what the golden tests check estimators against.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mixSeed, Rng } from "../rng.ts";
import {
  ENGINE_PROTOCOL_VERSION,
  EngineError,
  type AdamParams,
  type Engine,
  type EngineInfo,
  type ForwardBackwardResult,
  type OptimStepResult,
  type SampledSequence,
  type SampleParams,
  type Sequence,
} from "./protocol.ts";

export interface TabularSpec {
  /** Tokens (actions) per step, >= 2. */
  vocabSize: number;
  /** Longest completion; 1 = a bandit. */
  horizon: number;
  /** Prompts are the one-token sequences [0] .. [numPrompts-1]. */
  numPrompts: number;
  /** Sampling stops after this token. */
  eosTokenId?: number;
  /** Std of the random initial logits; 0 = uniform policy. */
  initScale?: number;
  seed?: number;
  name?: string;
}

interface SavedState {
  format: "arbiter-tabular-v1";
  spec: TabularSpec;
  theta: number[];
  m: number[];
  v: number[];
  t: number;
  rng: number;
}

const FILE = "tabular.json";

export class TabularEngine implements Engine {
  readonly info: EngineInfo;
  readonly spec: Required<Omit<TabularSpec, "eosTokenId">> & { eosTokenId?: number };
  /** Logits, row-major: row = state, V columns. */
  theta: Float64Array;
  grad: Float64Array;
  private m: Float64Array;
  private v: Float64Array;
  private t = 0;
  private rng: Rng;
  private closed = false;
  /** States per prompt: prefixes of length 0..H-1, sum of V^h. */
  readonly statesPerPrompt: number;

  constructor(spec: TabularSpec) {
    const { vocabSize: V, horizon: H, numPrompts: P } = spec;
    if (!Number.isInteger(V) || V < 2) throw invalid(`vocabSize must be an integer >= 2, got ${V}`);
    if (!Number.isInteger(H) || H < 1) throw invalid(`horizon must be an integer >= 1, got ${H}`);
    if (!Number.isInteger(P) || P < 1) throw invalid(`numPrompts must be an integer >= 1, got ${P}`);
    if (spec.eosTokenId !== undefined && !(spec.eosTokenId >= 0 && spec.eosTokenId < V)) {
      throw invalid(`eosTokenId must be in [0, ${V}), got ${spec.eosTokenId}`);
    }
    this.spec = { initScale: 0, seed: 0, name: `tabular:${V}x${H}x${P}`, ...spec };
    this.statesPerPrompt = (V ** H - 1) / (V - 1);
    const n = P * this.statesPerPrompt * V;
    if (n > 5e6) throw invalid(`table too large: ${n} logits (vocabSize^horizon is too big)`);
    this.theta = new Float64Array(n);
    const init = new Rng(mixSeed(this.spec.seed, 1));
    if (this.spec.initScale > 0) for (let i = 0; i < n; i++) this.theta[i] = this.spec.initScale * init.normal();
    this.grad = new Float64Array(n);
    this.m = new Float64Array(n);
    this.v = new Float64Array(n);
    this.rng = new Rng(mixSeed(this.spec.seed, 2));
    this.info = {
      name: this.spec.name,
      protocolVersion: ENGINE_PROTOCOL_VERSION,
      vocabSize: V,
      ...(spec.eosTokenId !== undefined ? { eosTokenId: spec.eosTokenId } : {}),
    };
  }

  // ---- the table ----

  /** Row index of the state (prompt, prefix). */
  row(prompt: number, prefix: readonly number[], len = prefix.length): number {
    const V = this.spec.vocabSize;
    let idx = 0;
    for (let i = 0; i < len; i++) idx = idx * V + prefix[i]!;
    return prompt * this.statesPerPrompt + (V ** len - 1) / (V - 1) + idx;
  }

  /** Action probabilities in a row at temperature 1. */
  probs(row: number, temperature = 1): Float64Array {
    const V = this.spec.vocabSize;
    const p = new Float64Array(V);
    let max = -Infinity;
    for (let a = 0; a < V; a++) max = Math.max(max, this.theta[row * V + a]! / temperature);
    let z = 0;
    for (let a = 0; a < V; a++) z += p[a] = Math.exp(this.theta[row * V + a]! / temperature - max);
    for (let a = 0; a < V; a++) p[a]! /= z;
    return p;
  }

  /** Every completion the policy can produce for a prompt, with its log-probability. */
  enumerate(prompt: number): { completion: number[]; logprob: number }[] {
    const out: { completion: number[]; logprob: number }[] = [];
    const walk = (prefix: number[], lp: number) => {
      const p = this.probs(this.row(prompt, prefix));
      for (let a = 0; a < this.spec.vocabSize; a++) {
        const next = [...prefix, a];
        const l = lp + Math.log(p[a]!);
        if (a === this.spec.eosTokenId || next.length === this.spec.horizon) out.push({ completion: next, logprob: l });
        else walk(next, l);
      }
    };
    walk([], 0);
    return out;
  }

  /** J = E_{y~pi}[f(y)] for one prompt, by enumeration. */
  expectedReward(prompt: number, f: (completion: number[]) => number): number {
    return this.enumerate(prompt).reduce((s, y) => s + Math.exp(y.logprob) * f(y.completion), 0);
  }

  /** The true gradient of J(theta) = sum_y pi(y) f(y) (seed 000, eq. 3), by enumeration. */
  exactGradient(prompt: number, f: (completion: number[]) => number): Float64Array {
    const g = new Float64Array(this.theta.length);
    for (const y of this.enumerate(prompt)) {
      this.addGradLogProb(g, prompt, y.completion, Math.exp(y.logprob) * f(y.completion));
    }
    return g;
  }

  /** g += sum_t w_t * grad log pi(y_t | s_t); weights may be a scalar for every token. */
  addGradLogProb(g: Float64Array, prompt: number, completion: readonly number[], w: number | readonly number[]): void {
    const V = this.spec.vocabSize;
    for (let t = 0; t < completion.length; t++) {
      const wt = typeof w === "number" ? w : w[t]!;
      if (wt === 0) continue;
      const r = this.row(prompt, completion, t);
      const p = this.probs(r);
      for (let a = 0; a < V; a++) g[r * V + a]! -= wt * p[a]!;
      g[r * V + completion[t]!]! += wt;
    }
  }

  /** The accumulated gradient (a copy). */
  gradient(): Float64Array {
    return this.grad.slice();
  }

  zeroGrad(): void {
    this.grad.fill(0);
  }

  // ---- the Engine protocol ----

  async sample(prompts: number[][], n: number, params: SampleParams): Promise<SampledSequence[][]> {
    this.open();
    if (!Number.isInteger(n) || n < 1) throw invalid(`n must be an integer >= 1, got ${n}`);
    if (!Number.isInteger(params.maxTokens) || params.maxTokens < 1) {
      throw invalid(`maxTokens must be an integer >= 1, got ${params.maxTokens}`);
    }
    const temperature = params.temperature ?? 1;
    const topP = params.topP ?? 1;
    if (!(temperature > 0)) throw invalid(`temperature must be > 0, got ${temperature}`);
    if (!(topP > 0 && topP <= 1)) throw invalid(`topP must be in (0, 1], got ${topP}`);
    const stops = new Set(params.stopTokenIds ?? []);
    if (this.spec.eosTokenId !== undefined) stops.add(this.spec.eosTokenId);
    const limit = Math.min(params.maxTokens, this.spec.horizon);
    return prompts.map((prompt, i) => {
      const p = this.promptId(prompt, `prompts[${i}]`);
      return Array.from({ length: n }, (_, j) => {
        const rng = params.seed !== undefined ? new Rng(mixSeed(params.seed, i, j)) : this.rng;
        const completion: number[] = [];
        const logprobs: number[] = [];
        let finishReason: "stop" | "length" = "length";
        while (completion.length < limit) {
          const q = nucleus(this.probs(this.row(p, completion), temperature), topP);
          const a = draw(q, rng.next());
          completion.push(a);
          logprobs.push(Math.log(q[a]!));
          if (stops.has(a)) {
            finishReason = "stop";
            break;
          }
        }
        // Reaching the horizon ends the episode: a natural stop unless the caller's budget cut it.
        if (finishReason === "length" && completion.length < params.maxTokens) finishReason = "stop";
        return { prompt: [...prompt], completion, logprobs, finishReason };
      });
    });
  }

  async logprobs(batch: Sequence[]): Promise<number[][]> {
    this.open();
    return batch.map((s, i) => {
      const p = this.checkSeq(s, i);
      return s.completion.map((a, t) => Math.log(this.probs(this.row(p, s.completion, t))[a]!));
    });
  }

  async forwardBackward(batch: Sequence[], weights: number[][]): Promise<ForwardBackwardResult> {
    this.open();
    if (weights.length !== batch.length) {
      throw invalid(`weights has ${weights.length} rows but the batch has ${batch.length} sequences`);
    }
    const prompts = batch.map((s, i) => {
      const p = this.checkSeq(s, i);
      const w = weights[i]!;
      if (w.length !== s.completion.length) {
        throw invalid(`weights[${i}] has ${w.length} entries but completion ${i} has ${s.completion.length} tokens`);
      }
      const bad = w.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw invalid(`weights[${i}][${bad}] is not a finite number (${w[bad]})`);
      return p;
    });
    let entropy = 0;
    let tokens = 0;
    const logprobs = batch.map((s, i) => {
      const p = prompts[i]!;
      this.addGradLogProb(this.grad, p, s.completion, weights[i]!);
      return s.completion.map((a, t) => {
        const q = this.probs(this.row(p, s.completion, t));
        for (const x of q) if (x > 0) entropy -= x * Math.log(x);
        tokens++;
        return Math.log(q[a]!);
      });
    });
    return { logprobs, entropy: tokens > 0 ? entropy / tokens : 0 };
  }

  async optimStep(params: AdamParams): Promise<OptimStepResult> {
    this.open();
    const { learningRate: lr, beta1: b1 = 0.9, beta2: b2 = 0.999, eps = 1e-8, weightDecay = 0, maxGradNorm = 0 } = params;
    if (!(lr > 0)) throw invalid(`learningRate must be > 0, got ${lr}`);
    let sq = 0;
    for (const g of this.grad) sq += g * g;
    const gradNorm = Math.sqrt(sq);
    const scale = maxGradNorm > 0 && gradNorm > maxGradNorm ? maxGradNorm / gradNorm : 1;
    this.t++;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let i = 0; i < this.theta.length; i++) {
      const g = this.grad[i]! * scale;
      const m = (this.m[i] = b1 * this.m[i]! + (1 - b1) * g);
      const v = (this.v[i] = b2 * this.v[i]! + (1 - b2) * g * g);
      // AdamW (Loshchilov & Hutter 2019): decoupled decay; '+' because the surrogate is ascended.
      this.theta[i] = this.theta[i]! * (1 - lr * weightDecay) + (lr * (m / c1)) / (Math.sqrt(v / c2) + eps);
    }
    this.grad.fill(0);
    return { gradNorm };
  }

  async save(dir: string): Promise<void> {
    this.open();
    await mkdir(dir, { recursive: true });
    const state: SavedState = {
      format: "arbiter-tabular-v1",
      spec: this.spec,
      theta: [...this.theta],
      m: [...this.m],
      v: [...this.v],
      t: this.t,
      rng: this.rng.state,
    };
    const tmp = join(dir, `${FILE}.tmp`);
    await writeFile(tmp, JSON.stringify(state));
    await rename(tmp, join(dir, FILE));
  }

  async load(dir: string): Promise<void> {
    this.open();
    const path = join(dir, FILE);
    let state: SavedState;
    try {
      state = JSON.parse(await readFile(path, "utf8")) as SavedState;
    } catch (e) {
      throw invalid(`cannot read tabular checkpoint ${path}: ${(e as Error).message}`);
    }
    if (state.format !== "arbiter-tabular-v1" || state.theta?.length !== this.theta.length) {
      throw invalid(`${path} is not a checkpoint of this tabular engine (format or size differs)`);
    }
    this.theta = Float64Array.from(state.theta);
    this.m = Float64Array.from(state.m);
    this.v = Float64Array.from(state.v);
    this.t = state.t;
    this.rng.state = state.rng;
    this.grad.fill(0);
  }

  async export(dir: string, format: string): Promise<void> {
    this.open();
    if (format !== "json") throw new EngineError("unsupported", `tabular engine exports "json" only, not "${format}"`);
    await mkdir(dir, { recursive: true });
    const V = this.spec.vocabSize;
    const rows = this.theta.length / V;
    const probs = Array.from({ length: rows }, (_, r) => [...this.probs(r)]);
    await writeFile(join(dir, "policy.json"), JSON.stringify({ spec: this.spec, probs }));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // ---- validation ----

  private open(): void {
    if (this.closed) throw invalid("the engine is closed");
  }

  private promptId(prompt: readonly number[], where: string): number {
    const p = prompt[0];
    if (prompt.length !== 1 || p === undefined || !Number.isInteger(p) || p < 0 || p >= this.spec.numPrompts) {
      throw invalid(`${where} must be [p] with p an integer in [0, ${this.spec.numPrompts}), got [${prompt.join(", ")}]`);
    }
    return p;
  }

  private checkSeq(s: Sequence, i: number): number {
    const p = this.promptId(s.prompt, `batch[${i}].prompt`);
    if (s.completion.length > this.spec.horizon) {
      throw invalid(`batch[${i}].completion has ${s.completion.length} tokens; the horizon is ${this.spec.horizon}`);
    }
    s.completion.forEach((a, t) => {
      if (!Number.isInteger(a) || a < 0 || a >= this.spec.vocabSize) {
        throw invalid(`batch[${i}].completion[${t}] = ${a} is not a token id in [0, ${this.spec.vocabSize})`);
      }
    });
    return p;
  }
}

function invalid(message: string): EngineError {
  return new EngineError("invalid_request", message);
}

/** Keeps the smallest set of most likely actions whose mass reaches topP, renormalised. */
function nucleus(p: Float64Array, topP: number): Float64Array {
  if (topP >= 1) return p;
  const order = [...p.keys()].sort((a, b) => p[b]! - p[a]!);
  const q = new Float64Array(p.length);
  let mass = 0;
  for (const a of order) {
    q[a] = p[a]!;
    mass += p[a]!;
    if (mass >= topP) break;
  }
  for (let a = 0; a < q.length; a++) q[a]! /= mass;
  return q;
}

function draw(q: Float64Array, u: number): number {
  let c = 0;
  let last = 0;
  for (let a = 0; a < q.length; a++) {
    if (q[a]! <= 0) continue;
    last = a;
    c += q[a]!;
    if (u < c) return a;
  }
  return last;
}
