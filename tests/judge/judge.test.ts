import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { LocalPolicy } from "../../harness/policy/local.ts";
import { ReplayPolicy } from "../../harness/policy/replay.ts";
import type { Completion, GenerateRequest, Policy } from "../../harness/policy/types.ts";
import type { ChatMessage } from "../../tasks/types.ts";
import { defaultRegistry } from "../../verifiers/builtin.ts";
import { labelModelFactory, labelModelSchema, parseLabel, parseScore, scoreModelFactory, scoreModelSchema } from "../../verifiers/judge.ts";
import type { Verifier, VerifierServices } from "../../verifiers/types.ts";

/** A real deterministic judge: compares "Answer:" with "Reference:" in the last user message and
 *  replies in the format named by "Style:" (json, bare, prose, fenced, garbage, refuse). */
class RubricJudge implements Policy {
  readonly id = "test:rubric-judge";
  readonly requests: GenerateRequest[][] = [];
  async generate(requests: GenerateRequest[]): Promise<Completion[][]> {
    this.requests.push(requests);
    return requests.map((r) => {
      const msgs = r.prompt as ChatMessage[];
      const user = [...msgs].reverse().find((m) => m.role === "user")?.content ?? "";
      const field = (k: string) => new RegExp(`${k}: (.*)`).exec(user)?.[1]?.trim() ?? "";
      const right = field("Answer") === field("Reference");
      const score = right ? 9 : 2;
      const label = right ? "correct" : "incorrect";
      const text = {
        json: `{"result": ${score}, "steps": []}`,
        label: `{"result": "${label}"}`,
        bare: String(score),
        prose: `The answer ${right ? "matches" : "does not match"}. Score: ${score}`,
        proselabel: `I would call this ${label}.`,
        fenced: "```json\n" + JSON.stringify({ result: label }) + "\n```",
        outofrange: `{"result": 42}`,
        both: "correct or incorrect, hard to say",
        garbage: "¯\\_(ツ)_/¯",
      }[field("Style")] ?? "";
      return Array.from({ length: r.n }, () => ({ text }));
    });
  }
}

const INPUT = [
  { role: "system", content: "You grade answers." },
  { role: "user", content: "Question: {{item.question}}\nAnswer: {{sample.output_text}}\nReference: {{item.reference}}\nStyle: {{item.style}}" },
];
const services: VerifierServices = { build: () => Promise.reject(new Error("unused")) };
const closers: Array<{ close?(): Promise<void> }> = [];
afterAll(async () => {
  await Promise.all(closers.map((c) => c.close?.()));
});

async function scoreJudge(policy: Policy, extra: Record<string, unknown> = {}): Promise<Verifier> {
  const config = scoreModelSchema.parse({ name: "s", model: "rubric", input: INPUT, range: [0, 10], pass_threshold: 7, ...extra });
  return scoreModelFactory(policy).create(config as never, services);
}
async function labelJudge(policy: Policy): Promise<Verifier> {
  const config = labelModelSchema.parse({ name: "l", model: "rubric", input: INPUT, labels: ["correct", "incorrect"], passing_labels: ["correct"] });
  return labelModelFactory(policy).create(config as never, services);
}
const ctx = (style: string, output: string, reference = "4") => ({ sample: { id: `${style}-${output}`, question: "2+2?", reference, style }, output });

describe("score_model judge", () => {
  it("renders the templates, asks for JSON and scores within range", async () => {
    const policy = new RubricJudge();
    const j = await scoreJudge(policy, { sampling_params: { temperature: 0.2, seed: 7, max_completions_tokens: 64, top_p: 0.9 } });
    const good = await j.verify(ctx("json", "4"));
    const bad = await j.verify(ctx("json", "5"));
    expect(good).toMatchObject({ reward: 9, pass: true, details: { normalized: 0.9 } });
    expect(bad).toMatchObject({ reward: 2, pass: false });
    const [req] = policy.requests[0]!;
    const msgs = req!.prompt as ChatMessage[];
    expect(msgs[1]!.content).toBe("Question: 2+2?\nAnswer: 4\nReference: 4\nStyle: json");
    expect(msgs[2]).toEqual({ role: "system", content: 'Grade the response. Reply with JSON only: {"result": <a number from 0 to 10>}.' });
    expect(req!.params).toEqual({ temperature: 0.2, seed: 7, maxTokens: 64, topP: 0.9 });
  });

  it("reads bare numbers and 'Score: x' prose; rejects garbage and out-of-range scores", async () => {
    const j = await scoreJudge(new RubricJudge());
    expect((await j.verify(ctx("bare", "4"))).reward).toBe(9);
    expect((await j.verify(ctx("prose", "3"))).reward).toBe(2);
    expect((await j.verify(ctx("garbage", "4"))).error).toEqual({ kind: "invalid_output", message: 'judge output has no score: "¯\\\\_(ツ)_/¯"' });
    expect((await j.verify(ctx("outofrange", "4"))).error).toEqual({ kind: "invalid_output", message: "judge score 42 is outside range [0, 10]" });
  });

  it("sends a whole group in one generate call", async () => {
    const policy = new RubricJudge();
    const j = await scoreJudge(policy);
    const vs = await j.verifyGroup!(["4", "5", "4", "6"].map((o) => ctx("json", o)));
    expect(vs.map((v) => v.reward)).toEqual([9, 2, 9, 2]);
    expect(policy.requests).toHaveLength(1);
    expect(policy.requests[0]).toHaveLength(4);
  });

  it("turns a failing policy or a missing template field into an error verdict", async () => {
    const broken: Policy = { id: "broken", generate: () => Promise.reject(new Error("connection refused")) };
    const j = await scoreJudge(broken);
    expect((await j.verify(ctx("json", "4"))).error).toEqual({ kind: "unavailable", message: "judge model broken failed: connection refused" });
    const j2 = await scoreJudge(new RubricJudge());
    const v = await j2.verify({ sample: { id: "x", question: "q", reference: "r" }, output: "o" });
    expect(v.error?.kind).toBe("unavailable");
    expect(v.error?.message).toMatch(/item\.style/);
  });
});

describe("label_model judge", () => {
  it("passes on passing labels, from JSON, fenced JSON and prose", async () => {
    const j = await labelJudge(new RubricJudge());
    expect(await j.verify(ctx("label", "4"))).toMatchObject({ reward: 1, pass: true, details: { label: "correct" } });
    expect(await j.verify(ctx("label", "5"))).toMatchObject({ reward: 0, pass: false, details: { label: "incorrect" } });
    expect((await j.verify(ctx("fenced", "4"))).pass).toBe(true);
    expect((await j.verify(ctx("proselabel", "5"))).details).toEqual({ label: "incorrect" });
  });

  it("rejects ambiguous or unknown labels as invalid_output", async () => {
    const j = await labelJudge(new RubricJudge());
    expect((await j.verify(ctx("both", "4"))).error?.kind).toBe("invalid_output");
    expect((await j.verify(ctx("json", "4"))).error?.message).toMatch(/not one of labels \(correct, incorrect\)/);
  });

  it("validates the spec with field paths", async () => {
    const registry = defaultRegistry();
    await expect(registry.build({ type: "label_model", model: "m", input: INPUT, labels: ["a", "b"], passing_labels: ["c"] }))
      .rejects.toThrow('verifier.passing_labels[0]: "c" is not one of labels (a, b)');
    await expect(registry.build({ type: "score_model", model: "m", input: INPUT, range: [1, 0] })).rejects.toThrow(/verifier\.range: range must be \[min, max\] with max > min/);
    await expect(registry.build({ type: "score_model", model: "m", input: [{ role: "user", content: "{{oops}}" }] })).rejects.toThrow(/verifier\.input\[0\]\.content: .*paths start with item\. or sample\./);
    await expect(registry.build({ type: "score_model", model: "m", input: INPUT })).rejects.toThrow(/no policy service was given/);
  });
});

describe("judges through the registry and real policies", () => {
  it("builds OpenAI score_model/label_model JSON with services.policy (a replay policy of recorded judge outputs)", async () => {
    const replay = new ReplayPolicy([
      { id: "r1", item: { id: "r1" }, outputs: ['{"result": 0.75}'] },
      { id: "r2", item: { id: "r2" }, outputs: ["incorrect"] },
    ]);
    const seen: string[] = [];
    const registry = defaultRegistry();
    const svc = { policy: async (spec: string) => (seen.push(spec), replay) };
    const score = await registry.build({ type: "score_model", name: "g", model: "replay:judge.jsonl", input: [{ role: "user", content: "{{sample.output_text}}", type: "message" }], pass_threshold: 0.5 }, svc);
    expect(await score.verify({ sample: { id: "r1" }, output: "x" })).toMatchObject({ reward: 0.75, pass: true });
    const label = await registry.build({ type: "label_model", name: "g", model: "replay:judge.jsonl", input: [{ role: "user", content: [{ type: "input_text", text: "{{sample.output_text}}" }] }], labels: ["correct", "incorrect"], passing_labels: ["correct"] }, svc);
    expect(await label.verify({ sample: { id: "r2" }, output: "x" })).toMatchObject({ reward: 0, pass: false });
    expect(seen).toEqual(["replay:judge.jsonl", "replay:judge.jsonl"]);
  });

  it("a real local LM that cannot follow the format yields invalid_output, not a score", async () => {
    const lm = await LocalPolicy.load(fileURLToPath(new URL("../../models/counting-lm", import.meta.url)));
    closers.push(lm);
    const j = await scoreJudge(lm, { sampling_params: { max_completions_tokens: 8 } });
    const v = await j.verify(ctx("json", "4"));
    expect(v.reward).toBe(0);
    expect(v.error?.kind).toBe("invalid_output");
  });
});

describe("judge output parsing", () => {
  it.each([
    ['{"result": 0.5}', 0.5], ['{"result": "3"}', 3], ['```json\n{"score": 7}\n```', 7], ["  8 ", 8], ["Rating = 4.5", 4.5],
    ["-1e-1", -0.1], ["I like it", undefined], ['{"result": "high"}', undefined], ["Score: high", undefined],
  ])("parseScore(%j) = %j", (text, want) => {
    expect(parseScore(text)).toBe(want);
  });
  it.each([
    ['{"result": "Correct"}', "correct"], ["correct.", "correct"], ['"incorrect"', "incorrect"], ["It is incorrect", "incorrect"],
    ["correct and incorrect", undefined], ['{"result": "maybe"}', undefined], ["nothing", undefined],
  ])("parseLabel(%j) = %j", (text, want) => {
    expect(parseLabel(text, ["correct", "incorrect"])).toBe(want);
  });
});
