import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalPolicy, pick } from "../../harness/policy/local.ts";
import type { Completion, GenerateRequest } from "../../harness/policy/types.ts";
import { policyContract } from "../contract/policy.ts";

const MODEL = fileURLToPath(new URL("../../models/counting-lm", import.meta.url));
// Counting LM: the next token has logit 8, the other 98 tokens logit 0 (models/build-counting-lm.ts).
const V = 99;
const greedyLogprob = -Math.log(1 + (V - 1) * Math.exp(-8));

policyContract("local (counting-lm)", () => LocalPolicy.load(MODEL, { batchSize: 4 }), {
  items: [
    { itemId: "a", prompt: "a" },
    { itemId: "b", prompt: [{ role: "user", content: "hello" }] },
    { itemId: "c", prompt: "xyz" },
  ],
  sampled: { temperature: 2, maxTokens: 12 },
  seedSensitive: true,
  slowRequests: Array.from({ length: 64 }, (_, i) => ({
    itemId: `s${i}`,
    prompt: "a",
    n: 4,
    params: { temperature: 8, maxTokens: 400, seed: i },
  })),
});

const only = (groups: Completion[][]): Completion => groups[0]![0]!;
const req = (prompt: GenerateRequest["prompt"], params: GenerateRequest["params"], n = 1): GenerateRequest => ({
  itemId: "x",
  prompt,
  n,
  params,
});

describe("LocalPolicy with the counting LM", () => {
  let policy: LocalPolicy;
  beforeAll(async () => {
    policy = await LocalPolicy.load(MODEL, { batchSize: 3 });
  });
  afterAll(async () => {
    await policy.close();
  });

  it("decodes greedily with exact, known outputs, token ids and logprobs", async () => {
    const got = await policy.generate([req("a", { temperature: 0, maxTokens: 10 }), req("hello", { temperature: 0, maxTokens: 5 })]);
    const a = got[0]![0]!;
    const b = got[1]![0]!;
    expect(a.text).toBe("bcdefghijk");
    expect(a.finishReason).toBe("length");
    expect(a.tokenIds).toEqual([..."bcdefghijk"].map((ch) => ch.charCodeAt(0) - 32 + 4));
    expect(a.logprobs).toHaveLength(10);
    for (const lp of a.logprobs!) expect(lp).toBeCloseTo(greedyLogprob, 6);
    expect(a.usage).toEqual({ promptTokens: 1, completionTokens: 10 });
    expect(b.text).toBe("pqrst");
  });

  it("draws independent streams for different items with the same prompt and seed", async () => {
    const params = { temperature: 8, maxTokens: 24, seed: 5 };
    const items = ["i1", "i2", "i3", "i1"].map((itemId) => ({ itemId, prompt: "a", n: 1, params }));
    const texts = (await policy.generate(items)).map((g) => g[0]!.text);
    expect(texts[3]).toBe(texts[0]); // same item, same seed: same sample
    expect(new Set(texts.slice(0, 3)).size).toBe(3); // different items: different draws
  });

  it("stops at the eos token and keeps it in tokenIds but not in text", async () => {
    const c = only(await policy.generate([req("ab ", { temperature: 0, maxTokens: 10 })]));
    expect(c.text).toBe("!");
    expect(c.finishReason).toBe("stop");
    expect(c.tokenIds).toEqual([5, 2]); // "!" then <|im_end|>
    expect(c.logprobs).toHaveLength(2);
  });

  it("renders chat prompts with the model's chat template", async () => {
    // The template ends with "<|im_start|>assistant\n"; the counting LM answers "\n" with "a".
    const c = only(await policy.generate([req([{ role: "user", content: "hi there" }], { temperature: 0, maxTokens: 4 })]));
    expect(c.text).toBe("abcd");
    // <|im_start|> user \n "hi there" <|im_end|> \n <|im_start|> assistant \n: 1+4+1+8+1+1+1+9+1 tokens
    expect(c.usage?.promptTokens).toBe(27);
  });

  it("cuts at stop strings", async () => {
    const c = only(await policy.generate([req("a", { temperature: 0, maxTokens: 20, stop: ["ef"] })]));
    expect(c.text).toBe("bcd");
    expect(c.finishReason).toBe("stop");
    expect(c.tokenIds).toHaveLength(5); // up to the token that completed "ef"
  });

  it("gives each row the same output alone as in a left-padded batch", async () => {
    const params = { temperature: 1.5, maxTokens: 16, seed: 3 };
    const batch = await policy.generate([req("a", params, 2), req("a much longer prompt", params, 3), req("zz", params, 1)]);
    const alone = await policy.generate([req("a much longer prompt", params, 3)]);
    expect(alone[0]!.map((c) => c.tokenIds)).toEqual(batch[1]!.map((c) => c.tokenIds));
    expect(alone[0]!.map((c) => c.logprobs)).toEqual(batch[1]!.map((c) => c.logprobs));
  });

  it("reports sampling logprobs of softmax(logits / T)", async () => {
    const T = 2;
    const c = only(await policy.generate([req("a", { temperature: T, maxTokens: 30, seed: 1 })]));
    const z = Math.exp(8 / T) + (V - 1);
    const lpNext = 8 / T - Math.log(z);
    const lpOther = -Math.log(z);
    let prev = 69; // "a"
    c.tokenIds!.forEach((t, k) => {
      const expected = t === nextOf(prev) ? lpNext : lpOther;
      expect(c.logprobs![k]).toBeCloseTo(expected, 6);
      prev = t;
    });
  });

  it("top-p below the top token's probability is greedy", async () => {
    const c = only(await policy.generate([req("a", { temperature: 1, topP: 0.5, maxTokens: 8, seed: 9 })]));
    expect(c.text).toBe("bcdefghi");
    for (const lp of c.logprobs!) expect(lp).toBeCloseTo(0, 9); // renormalised nucleus of one token
  });

  it("rejects a missing model folder with a clear error", async () => {
    await expect(LocalPolicy.load("/nonexistent/model")).rejects.toMatchObject({
      code: "local_model",
      message: expect.stringContaining("has no config.json"),
    });
  });
});

function nextOf(id: number): number {
  const ch = id >= 4 ? String.fromCharCode(id - 4 + 32) : "";
  if (id === 0 || id === 2 || ch === "!" || ch === "~") return 2;
  if (id === 1 || id === 3) return 69;
  return id + 1;
}

describe("pick", () => {
  const rng = (u: number) => ({ random: () => u });
  const logits = new Float32Array([0, Math.log(3), 0, 0]); // probs 1/6, 1/2, 1/6, 1/6 at T=1
  it("samples by inverse CDF under softmax(logits/T)", () => {
    expect(pick(logits, 1, 1, rng(0.0)).token).toBe(0);
    expect(pick(logits, 1, 1, rng(0.2)).token).toBe(1);
    expect(pick(logits, 1, 1, rng(0.7)).token).toBe(2);
    expect(pick(logits, 1, 1, rng(0.99)).token).toBe(3);
    expect(pick(logits, 1, 1, rng(0.2)).logprob).toBeCloseTo(Math.log(0.5), 6);
  });
  it("restricts to the top-p nucleus and renormalises", () => {
    // nucleus for p=0.6: token 1 (0.5) then token 0 (ties broken by id) -> mass 2/3
    const r = pick(logits, 1, 0.6, rng(0.9));
    expect(r.token).toBe(0);
    expect(r.logprob).toBeCloseTo(Math.log((1 / 6) / (2 / 3)), 6);
  });
  it("is greedy at temperature 0 and reports the raw log-softmax", () => {
    const r = pick(logits, 0, 1, rng(0.99));
    expect(r.token).toBe(1);
    expect(r.logprob).toBeCloseTo(Math.log(0.5), 6);
  });
});
