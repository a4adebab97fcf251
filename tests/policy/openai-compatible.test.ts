import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OpenAICompatiblePolicy, type OpenAICompatibleOptions } from "../../harness/policy/openai-compatible.ts";
import { PolicyError, type Completion, type GenerateRequest } from "../../harness/policy/types.ts";
import { policyContract } from "../contract/policy.ts";
import { startTestServer, type TestServer } from "./openai-server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const policies: OpenAICompatiblePolicy[] = [];
function make(model: string, opts: Partial<OpenAICompatibleOptions> = {}): OpenAICompatiblePolicy {
  const p = new OpenAICompatiblePolicy({ model, baseURL: server.baseURL, apiKey: "test-key", retryBaseMs: 5, ...opts });
  policies.push(p);
  return p;
}
afterEach(async () => {
  for (const p of policies.splice(0)) await p.close();
});
const req = (prompt: GenerateRequest["prompt"], n = 1, params: GenerateRequest["params"] = {}): GenerateRequest => ({
  itemId: "x",
  prompt,
  n,
  params,
});

const only = (groups: Completion[][]): Completion => groups[0]![0]!;

policyContract(
  "openai-compatible (chat, slow server, concurrency 2)",
  async () => new OpenAICompatiblePolicy({ model: "slow", baseURL: server.baseURL, apiKey: "k", concurrency: 2 }),
  {
    items: [
      { itemId: "a", prompt: "alpha" },
      { itemId: "b", prompt: [{ role: "user", content: "beta" }] },
      { itemId: "c", prompt: "gamma" },
    ],
    sampled: { temperature: 0.7, maxTokens: 64 },
    seedSensitive: true,
    slowRequests: Array.from({ length: 40 }, (_, i) => req(`p${i}`)),
  },
);

policyContract(
  "openai-compatible (legacy completions, fan-out)",
  async () => new OpenAICompatiblePolicy({ model: "echo", baseURL: server.baseURL, stringPrompts: "completions", nMode: "fanout" }),
  {
    items: [
      { itemId: "a", prompt: "alpha" },
      { itemId: "b", prompt: "beta" },
    ],
    sampled: { temperature: 1 },
    seedSensitive: true,
  },
);

describe("OpenAICompatiblePolicy requests", () => {
  it("sends chat requests with the sampling params and the bearer key", async () => {
    const p = make("echo");
    const before = server.bodies.length;
    const [got] = await p.generate([
      req([{ role: "system", content: "be brief" }, { role: "user", content: "hi" }], 2, {
        temperature: 0.5,
        topP: 0.9,
        maxTokens: 100,
        stop: ["\n\n"],
        seed: 10,
      }),
    ]);
    expect(got!.map((c) => c.text)).toEqual(["echo:hi~10", "echo:hi~11"]);
    expect(server.bodies.length - before).toBe(1);
    expect(server.bodies.at(-1)).toEqual({
      model: "echo",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi" },
      ],
      n: 2,
      seed: 10,
      temperature: 0.5,
      top_p: 0.9,
      max_tokens: 100,
      stop: ["\n\n"],
    });
    expect(server.headers.at(-1)!["authorization"]).toBe("Bearer test-key");
  });

  it("uses /completions for string prompts when configured, and maps finish_reason length", async () => {
    const p = make("echo", { stringPrompts: "completions" });
    const [got] = await p.generate([req("abcdef", 1, { maxTokens: 4 })]);
    expect(server.bodies.at(-1)).toMatchObject({ prompt: "abcdef", max_tokens: 4 });
    expect(server.bodies.at(-1)).not.toHaveProperty("messages");
    expect(got).toEqual([{ text: "echo", finishReason: "length", usage: { promptTokens: 6, completionTokens: 4 } }]);
  });

  it("fans out with seed + sampleIndex + i, giving the same texts as native n", async () => {
    const fan = make("echo", { nMode: "fanout" });
    const native = make("echo");
    const r = { ...req("q", 3, { temperature: 1, seed: 100 }), sampleIndex: 2 };
    const before = server.bodies.length;
    const [a] = await fan.generate([r]);
    const seeds = server.bodies.slice(before).map((b) => b["seed"]).sort();
    expect(seeds).toEqual([102, 103, 104]);
    expect(server.bodies.slice(before).every((b) => !("n" in b))).toBe(true);
    const [b] = await native.generate([r]);
    expect(a!.map((c) => c.text)).toEqual(["echo:q~102", "echo:q~103", "echo:q~104"]);
    expect(b!.map((c) => c.text)).toEqual(a!.map((c) => c.text));
  });

  it("fans out the missing choices when a server ignores n", async () => {
    const p = make("single");
    const before = server.bodies.length;
    const [got] = await p.generate([req("z", 3, { temperature: 1, seed: 7 })]);
    expect(got!.map((c) => c.text)).toEqual(["echo:z~7", "echo:z~8", "echo:z~9"]);
    expect(server.bodies.length - before).toBe(3);
  });

  it("maps chat logprobs and vLLM token_id:N tokens to logprobs and tokenIds", async () => {
    const p = make("echo");
    const c = only(await p.generate([req([{ role: "user", content: "ab" }], 1, { logprobs: true })]));
    expect(server.bodies.at(-1)!["logprobs"]).toBe(true);
    expect(c.text).toBe("echo:ab");
    expect(c.tokenIds).toEqual([..."echo:ab"].map((ch) => ch.codePointAt(0)));
    expect(c.logprobs).toHaveLength(7);
    expect(c.logprobs![2]).toBeCloseTo(-0.03, 10);
  });

  it("maps legacy completion logprobs and token_ids from extraBody", async () => {
    const p = make("echo", { stringPrompts: "completions", extraBody: { return_token_ids: true } });
    const c = only(await p.generate([req("xy", 1, { logprobs: true })]));
    expect(server.bodies.at(-1)).toMatchObject({ logprobs: 1, return_token_ids: true });
    expect(c.tokenIds).toEqual([..."echo:xy"].map((ch) => ch.codePointAt(0)));
    expect(c.logprobs!.at(-1)).toBeCloseTo(-0.07, 10);
  });

  it("reads the API key from OPENAI_API_KEY, then ARBITER_API_KEY", async () => {
    const saved = { o: process.env["OPENAI_API_KEY"], a: process.env["ARBITER_API_KEY"] };
    try {
      delete process.env["OPENAI_API_KEY"];
      process.env["ARBITER_API_KEY"] = "arb-key";
      await new OpenAICompatiblePolicy({ model: "echo", baseURL: server.baseURL }).generate([req("k")]);
      expect(server.headers.at(-1)!["authorization"]).toBe("Bearer arb-key");
      process.env["OPENAI_API_KEY"] = "oa-key";
      await new OpenAICompatiblePolicy({ model: "echo", baseURL: server.baseURL }).generate([req("k")]);
      expect(server.headers.at(-1)!["authorization"]).toBe("Bearer oa-key");
    } finally {
      for (const [k, v] of [["OPENAI_API_KEY", saved.o], ["ARBITER_API_KEY", saved.a]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe("OpenAICompatiblePolicy resilience", () => {
  it("retries a 429 after the server's retry-after-ms and then succeeds", async () => {
    const p = make("flaky", { retryBaseMs: 5_000 });
    const started = performance.now();
    const before = server.bodies.length;
    const [got] = await p.generate([req("once-throttled")]);
    expect(got![0]!.text).toBe("echo:once-throttled");
    expect(server.bodies.length - before).toBe(2);
    // retry-after-ms: 20 wins over the 5 s backoff base and over retry-after: 1 (second).
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(19);
    expect(elapsed).toBeLessThan(900);
  });

  it("gives up on a server that returns 500 forever, naming status, URL and the server's message", async () => {
    const p = make("down", { maxRetries: 3 });
    const before = server.bodies.length;
    const err = (await p.generate([req("hi")]).catch((e: unknown) => e)) as PolicyError;
    expect(err).toBeInstanceOf(PolicyError);
    expect(err.code).toBe("http_error");
    expect(err.message).toBe(`POST ${server.baseURL}/chat/completions failed with status 500 after 4 attempt(s): engine exploded`);
    expect(server.bodies.length - before).toBe(4);
  });

  it("does not retry a 400", async () => {
    const p = make("reject");
    const before = server.bodies.length;
    await expect(p.generate([req("hi")])).rejects.toMatchObject({ code: "http_error", message: expect.stringContaining("status 400 after 1 attempt(s): temperature must be <= 2") });
    expect(server.bodies.length - before).toBe(1);
  });

  it("reports a network error after retries when nothing listens", async () => {
    const dead = await startTestServer();
    const url = dead.baseURL;
    await dead.close();
    const p = new OpenAICompatiblePolicy({ model: "echo", baseURL: url, maxRetries: 1, retryBaseMs: 1 });
    await expect(p.generate([req("hi")])).rejects.toMatchObject({
      code: "network_error",
      message: expect.stringMatching(new RegExp(`^POST ${url}/chat/completions failed after 2 attempt\\(s\\): .*ECONNREFUSED`)),
    });
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    server.maxInFlight = 0;
    const p = make("slow", { concurrency: 3 });
    const got = await p.generate(Array.from({ length: 12 }, (_, i) => req(`c${i}`, 2, { temperature: 1, seed: i })));
    expect(got.map((g) => g.length)).toEqual(new Array(12).fill(2));
    expect(server.maxInFlight).toBe(3);
  });

  it("rejects pending work when closed", async () => {
    const p = make("slow", { concurrency: 1 });
    const pending = p.generate(Array.from({ length: 10 }, (_, i) => req(`w${i}`)));
    setTimeout(() => void p.close(), 10);
    await expect(pending).rejects.toMatchObject({ code: "policy_closed" });
  });

  it("validates its options", () => {
    expect(() => new OpenAICompatiblePolicy({ model: "" })).toThrow(/"model" must be a non-empty string/);
    expect(() => new OpenAICompatiblePolicy({ model: "m", baseURL: "not a url" })).toThrow(/"baseURL" is not a valid URL/);
    expect(() => new OpenAICompatiblePolicy({ model: "m", concurrency: 0 })).toThrow(/concurrency must be an integer >= 1/);
  });
});
