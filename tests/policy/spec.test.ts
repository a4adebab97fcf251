import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { writeCountingLm } from "../../models/build-counting-lm.ts";
import { createPolicy, parseOpenAISpec, policySchemes, registerPolicyScheme } from "../../harness/policy/spec.ts";
import { PolicyError, type Policy } from "../../harness/policy/types.ts";

const MODEL = fileURLToPath(new URL("../../models/counting-lm", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "arbiter-spec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function specError(spec: string): Promise<PolicyError> {
  const err = await createPolicy(spec).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PolicyError);
  expect((err as PolicyError).code).toBe("policy_spec");
  return err as PolicyError;
}

describe("createPolicy", () => {
  it("builds a replay policy from replay:FILE", async () => {
    const file = join(dir, "r.jsonl");
    writeFileSync(file, JSON.stringify({ item: { id: "i" }, sample: { output_text: "hello" } }) + "\n");
    const p = await createPolicy(`replay:${file}`);
    expect(p.id).toBe(`replay:${file}`);
    expect((await p.generate([{ itemId: "i", prompt: "", n: 1, params: {} }]))[0]![0]!.text).toBe("hello");
  });

  it("builds an openai policy with the default or a given base URL", async () => {
    expect((await createPolicy("openai:gpt-4o-mini")).id).toBe("openai:gpt-4o-mini@https://api.openai.com/v1");
    expect((await createPolicy("openai:Qwen/Qwen2.5-0.5B@http://127.0.0.1:8000/v1/")).id).toBe("openai:Qwen/Qwen2.5-0.5B@http://127.0.0.1:8000/v1");
    expect(parseOpenAISpec("s", "org@team/model@https://h/v1")).toEqual({ model: "org@team/model", baseURL: "https://h/v1" });
  });

  it("builds a local policy from local:DIR and generates with it", async () => {
    const p = await createPolicy(`local:${MODEL}`, { local: { batchSize: 2 } });
    try {
      const [[c]] = (await p.generate([{ itemId: "x", prompt: "k", n: 1, params: { temperature: 0, maxTokens: 3 } }])) as [[{ text: string }]];
      expect(c.text).toBe("lmn");
    } finally {
      await p.close?.();
    }
  });

  it("rejects bad specs with precise messages", async () => {
    expect((await specError("")).message).toMatch(/expected a non-empty string/);
    expect((await specError("gpt-4o")).message).toMatch(/missing scheme; expected one of replay:, openai:, local:/);
    expect((await specError("hf:gpt2")).message).toMatch(/unknown scheme "hf"/);
    expect((await specError("replay:")).message).toMatch(/expected a file path after the colon/);
    expect((await specError(`replay:${join(dir, "missing.jsonl")}`)).message).toMatch(/file not found: .*missing\.jsonl/);
    expect((await specError(`replay:${dir}`)).message).toMatch(/expected a file, got a directory/);
    expect((await specError(`local:${join(MODEL, "config.json")}`)).message).toMatch(/expected a model directory, got a file/);
    expect((await specError("openai:")).message).toMatch(/expected a model name/);
    expect((await specError("openai:m@ftp://x")).message).toMatch(/must start with http/);
  });

  it("accepts new schemes registered later (the trainer's engine:)", async () => {
    const made: string[] = [];
    registerPolicyScheme("engine", async (rest) => {
      made.push(rest);
      const p: Policy = { id: `engine:${rest}`, generate: async (reqs) => reqs.map((r) => Array.from({ length: r.n }, () => ({ text: rest }))) };
      return p;
    });
    expect(policySchemes()).toContain("engine");
    const p = await createPolicy("engine:run-7/step-3");
    expect(made).toEqual(["run-7/step-3"]);
    expect(p.id).toBe("engine:run-7/step-3");
    expect(() => registerPolicyScheme("Bad Scheme", async () => p)).toThrow(/invalid policy scheme name/);
  });
});

describe("models/build-counting-lm.ts", () => {
  it("rebuilds the committed counting-lm byte-identically, under 1 MB", () => {
    const out = join(dir, "rebuilt");
    const written = writeCountingLm(out);
    expect(written.length).toBe(5);
    let total = 0;
    for (const path of written) {
      const rel = relative(out, path);
      const committed = readFileSync(join(MODEL, rel));
      expect(readFileSync(path).equals(committed), rel).toBe(true);
      total += statSync(path).size;
    }
    expect(readdirSync(MODEL).sort()).toEqual(["config.json", "generation_config.json", "onnx", "tokenizer.json", "tokenizer_config.json"]);
    expect(total).toBeLessThan(1 << 20);
  });
});
