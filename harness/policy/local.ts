// A policy that runs a Hugging Face-layout ONNX model folder offline with transformers.js
// (config.json, tokenizer.json, tokenizer_config.json, generation_config.json, onnx/model.onnx).
//
// Sampling is ours, not transformers.js': its multinomial sampler draws from one global,
// unseedable-per-row RNG. We run `model.generate` in greedy mode with a logits processor that,
// for each row, applies temperature and top-p, draws the token with that row's own Mersenne
// Twister (seeded from seed + sampleIndex + i mixed with the item id), records its log-probability,
// and masks every other logit, so the greedy step picks exactly the drawn token. Rows are
// independent of how they are batched.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { AutoModelForCausalLM, AutoTokenizer, Tensor, env, random } from "@huggingface/transformers";
import type { ChatMessage, SamplingParams } from "../../tasks/types.ts";
import { createLimiter } from "./limits.ts";
import { PolicyError, type Completion, type GenerateRequest, type Policy } from "./types.ts";

export interface LocalPolicyOptions {
  /** Execution device (default "cpu"; "cuda" or "webgpu" where onnxruntime has them). */
  device?: "cpu" | "cuda" | "webgpu";
  /** ONNX weights variant: "fp32" loads onnx/model.onnx (default). */
  dtype?: "fp32" | "fp16" | "q8" | "int8" | "uint8" | "q4" | "bnb4" | "q4f16";
  /** Rows (prompt × sample) decoded together in one left-padded batch (default 8). */
  batchSize?: number;
  /** Used when a request sets no maxTokens (default 256). */
  defaultMaxTokens?: number;
}

interface Tok {
  (text: string, opts: { add_special_tokens: boolean }): { input_ids: Tensor };
  apply_chat_template(messages: ChatMessage[], opts: { tokenize: false; add_generation_prompt: true }): string;
  decode(ids: number[], opts: { skip_special_tokens: boolean }): string;
  pad_token_id?: number | null;
  eos_token_id?: number | null;
  chat_template?: unknown;
}
interface Lm {
  generate(args: Record<string, unknown>): Promise<unknown>;
  dispose(): Promise<unknown>;
  generation_config?: { eos_token_id?: number | number[] | null; pad_token_id?: number | null } | null;
  config: { eos_token_id?: number | number[] | null; pad_token_id?: number | null };
}

/** One decoded sequence: request r, completion i. */
interface Row {
  request: number;
  sample: number;
  promptIds: number[];
  seed: number;
}

export class LocalPolicy implements Policy {
  readonly id: string;
  readonly #tok: Tok;
  readonly #model: Lm;
  readonly #eos: Set<number>;
  readonly #pad: number;
  readonly #batchSize: number;
  readonly #defaultMaxTokens: number;
  readonly #serial = createLimiter(1);
  #closed = false;

  private constructor(id: string, tok: Tok, model: Lm, opts: LocalPolicyOptions) {
    this.id = id;
    this.#tok = tok;
    this.#model = model;
    const eos = model.generation_config?.eos_token_id ?? model.config.eos_token_id ?? tok.eos_token_id;
    this.#eos = new Set(eos == null ? [] : Array.isArray(eos) ? eos : [eos]);
    this.#pad = model.generation_config?.pad_token_id ?? model.config.pad_token_id ?? tok.pad_token_id ?? [...this.#eos][0] ?? 0;
    this.#batchSize = opts.batchSize ?? 8;
    this.#defaultMaxTokens = opts.defaultMaxTokens ?? 256;
  }

  /** Loads a model folder from disk; never touches the network. */
  static async load(dir: string, opts: LocalPolicyOptions = {}): Promise<LocalPolicy> {
    const abs = resolve(dir);
    for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json"]) {
      if (!existsSync(resolve(abs, f))) {
        throw new PolicyError("local_model", `local model folder ${abs} has no ${f} (expected a Hugging Face layout with onnx/model.onnx)`);
      }
    }
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    try {
      const tok = (await AutoTokenizer.from_pretrained(abs, { local_files_only: true })) as unknown as Tok;
      const model = (await AutoModelForCausalLM.from_pretrained(abs, {
        local_files_only: true,
        dtype: opts.dtype ?? "fp32",
        device: opts.device ?? "cpu",
      })) as unknown as Lm;
      return new LocalPolicy(`local:${abs}`, tok, model, opts);
    } catch (err) {
      throw new PolicyError("local_model", `cannot load local model ${abs}: ${(err as Error).message}`, { cause: err });
    }
  }

  #encode(prompt: GenerateRequest["prompt"]): number[] {
    if (typeof prompt === "string") return idsOf(this.#tok(prompt, { add_special_tokens: true }).input_ids);
    if (!this.#tok.chat_template) {
      throw new PolicyError("local_model", `${this.id}: chat prompt given but tokenizer_config.json has no chat_template`);
    }
    const text = this.#tok.apply_chat_template(prompt, { tokenize: false, add_generation_prompt: true });
    return idsOf(this.#tok(text, { add_special_tokens: false }).input_ids);
  }

  async generate(requests: GenerateRequest[], signal?: AbortSignal): Promise<Completion[][]> {
    if (this.#closed) throw new PolicyError("policy_closed", `policy ${this.id} was closed`);
    signal?.throwIfAborted();
    const out: Completion[][] = requests.map((r) => new Array<Completion>(r.n));
    // Rows with the same sampling params share batches; seeds differ per row.
    const groups = new Map<string, { params: SamplingParams; rows: Row[] }>();
    requests.forEach((req, r) => {
      const promptIds = this.#encode(req.prompt);
      if (promptIds.length === 0) {
        throw new PolicyError("invalid_request", `${this.id}: the prompt of item "${req.itemId}" encodes to no tokens`);
      }
      const { seed, ...rest } = req.params;
      const key = JSON.stringify(rest);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { params: req.params, rows: [] }));
      for (let i = 0; i < req.n; i++) {
        const s = seed === undefined ? (Math.random() * 2 ** 32) >>> 0 : rowSeed(seed + (req.sampleIndex ?? 0) + i, req.itemId);
        g.rows.push({ request: r, sample: i, promptIds, seed: s });
      }
    });
    for (const { params, rows } of groups.values()) {
      for (let b = 0; b < rows.length; b += this.#batchSize) {
        const batch = rows.slice(b, b + this.#batchSize);
        const done = await this.#serial(() => this.#decode(batch, params, signal));
        batch.forEach((row, k) => (out[row.request]![row.sample] = done[k]!));
      }
    }
    return out;
  }

  async #decode(rows: Row[], params: SamplingParams, signal?: AbortSignal): Promise<Completion[]> {
    signal?.throwIfAborted();
    const B = rows.length;
    const L = Math.max(...rows.map((r) => r.promptIds.length));
    const ids = new BigInt64Array(B * L).fill(BigInt(this.#pad));
    const mask = new BigInt64Array(B * L);
    rows.forEach((row, b) => {
      const off = b * L + (L - row.promptIds.length); // left padding
      row.promptIds.forEach((t, j) => {
        ids[off + j] = BigInt(t);
        mask[off + j] = 1n;
      });
    });
    const maxTokens = params.maxTokens ?? this.#defaultMaxTokens;
    const temperature = params.temperature ?? 1;
    const topP = params.topP ?? 1;
    const rngs = rows.map((r) => new random.Random(r.seed));
    const logprobs_BT: number[][] = rows.map(() => []);
    const stops = params.stop?.filter((s) => s.length > 0) ?? [];
    const stoppedAt: (number | undefined)[] = new Array(B).fill(undefined);

    const sampleStep = (_inputIds: bigint[][], logits: Tensor): Tensor => {
      const V = logits.dims.at(-1)!;
      const data = logits.data as Float32Array;
      for (let b = 0; b < B; b++) {
        const row = data.subarray(b * V, (b + 1) * V);
        const { token, logprob } = pick(row, temperature, topP, rngs[b]!);
        logprobs_BT[b]!.push(logprob);
        row.fill(-Infinity);
        row[token] = 0;
      }
      return logits;
    };
    const stopCheck = (inputIds: bigint[][]): boolean[] =>
      inputIds.map((seq, b) => {
        if (signal?.aborted) return true;
        if (stops.length === 0 || stoppedAt[b] !== undefined) return stoppedAt[b] !== undefined;
        const text = this.#tok.decode(seq.slice(L).map(Number), { skip_special_tokens: true });
        if (stops.some((s) => text.includes(s))) stoppedAt[b] = seq.length - L;
        return stoppedAt[b] !== undefined;
      });

    const sequences = (await this.#model.generate({
      input_ids: new Tensor("int64", ids, [B, L]),
      attention_mask: new Tensor("int64", mask, [B, L]),
      max_new_tokens: maxTokens,
      do_sample: false,
      num_beams: 1,
      repetition_penalty: 1.0,
      no_repeat_ngram_size: 0,
      eos_token_id: [...this.#eos],
      pad_token_id: this.#pad,
      logits_processor: [sampleStep],
      stopping_criteria: [stopCheck],
    })) as Tensor;
    signal?.throwIfAborted();

    const all = sequences.tolist() as bigint[][];
    return rows.map((row, b) => {
      const gen = all[b]!.slice(L).map(Number);
      let end = Math.min(gen.length, maxTokens);
      let finish: Completion["finishReason"] = "length";
      const eosAt = gen.findIndex((t) => this.#eos.has(t));
      if (eosAt !== -1 && eosAt < end) {
        end = eosAt + 1; // the eos token is part of what was sampled (the trainer learns to stop)
        finish = "stop";
      }
      const stopAt = stoppedAt[b];
      if (stopAt !== undefined && stopAt <= end) {
        end = stopAt;
        finish = "stop";
      }
      const tokenIds = gen.slice(0, end);
      let text = this.#tok.decode(tokenIds, { skip_special_tokens: true });
      if (stopAt !== undefined) text = cutAtStop(text, stops);
      return {
        text,
        tokenIds,
        logprobs: logprobs_BT[b]!.slice(0, end),
        finishReason: finish,
        usage: { promptTokens: row.promptIds.length, completionTokens: tokenIds.length },
      };
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#serial(() => this.#model.dispose());
  }
}

function idsOf(t: Tensor): number[] {
  return Array.from(t.data as BigInt64Array, Number);
}

function cutAtStop(text: string, stops: string[]): string {
  let cut = text.length;
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at !== -1 && at < cut) cut = at;
  }
  return text.slice(0, cut);
}

/**
 * Picks the next token from one row of logits. Temperature 0 is greedy and reports the raw
 * log-softmax of the argmax. Otherwise it samples from softmax(logits / T) restricted to the
 * top-p nucleus (Holtzman et al. 2019) and reports the log-probability under that distribution,
 * i.e. the sampler's q(a) that importance weights need.
 */
export function pick(logits: Float32Array, temperature: number, topP: number, rng: { random(): number }) {
  const V = logits.length;
  let max = -Infinity;
  let arg = 0;
  for (let i = 0; i < V; i++) if (logits[i]! > max) (max = logits[i]!), (arg = i);
  if (temperature <= 0) {
    let z = 0;
    for (let i = 0; i < V; i++) z += Math.exp(logits[i]! - max);
    return { token: arg, logprob: -Math.log(z) };
  }
  const p = new Float64Array(V);
  let z = 0;
  for (let i = 0; i < V; i++) z += p[i] = Math.exp((logits[i]! - max) / temperature);
  for (let i = 0; i < V; i++) p[i]! /= z;
  let order: number[] | undefined;
  let mass = 1;
  if (topP < 1) {
    order = Array.from({ length: V }, (_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b);
    mass = 0;
    let k = 0;
    while (k < V && mass < topP) mass += p[order[k++]!]!;
    order.length = k;
  }
  const candidates = order ?? Array.from({ length: V }, (_, i) => i);
  let x = rng.random() * mass;
  let token = candidates[candidates.length - 1]!;
  for (const c of candidates) {
    x -= p[c]!;
    if (x < 0) {
      token = c;
      break;
    }
  }
  return { token, logprob: Math.log(p[token]! / mass) };
}

/** The RNG seed of one row: the sample's seed mixed with its item id, so different items draw
 *  independent streams (with `seed + index` alone, every item's sample i would share one stream,
 *  correlating items and biasing a run's mean towards that stream's luck). fnv-1a + murmur3 fmix32. */
export function rowSeed(sampleSeed: number, itemId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < itemId.length; i++) h = Math.imul(h ^ itemId.charCodeAt(i), 0x01000193);
  h = (h ^ Math.imul(sampleSeed | 0, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
