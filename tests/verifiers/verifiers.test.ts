import { describe, expect, it } from "vitest";
import { extractNumber, parseNumberExpr } from "../../verifiers/numeric.ts";
import { grade } from "./helpers.ts";

describe("exact_match", () => {
  it("compares with sample.reference by default, any of several references", async () => {
    expect((await grade({ type: "exact_match" }, "Paris", "Paris")).pass).toBe(true);
    const v = await grade({ type: "exact_match", normalize: ["case"] }, "paris", ["Lyon", "PARIS"]);
    expect(v).toMatchObject({ reward: 1, pass: true, details: { output: "paris", references: ["lyon", "paris"] } });
    expect((await grade({ type: "exact_match" }, "42", 42)).pass).toBe(true);
  });

  it("resolves a reference template against the item", async () => {
    const spec = { type: "exact_match", reference: "{{ item.answer.text }}" };
    expect((await grade(spec, "blue", undefined, { answer: { text: "blue" } })).pass).toBe(true);
    expect((await grade(spec, "red", undefined, { answer: { text: "blue" } })).reason).toBe('output "red" != reference "blue"');
    const arr = await grade({ type: "exact_match", reference: "{{item.choices[1]}}" }, "b", undefined, { choices: ["a", "b"] });
    expect(arr.pass).toBe(true);
  });

  it("a missing reference is an 'unavailable' error verdict, not an exception", async () => {
    const none = await grade({ type: "exact_match" }, "x");
    expect(none).toEqual({ reward: 0, pass: false, error: { kind: "unavailable", message: 'sample "s1" has no reference' } });
    const missing = await grade({ type: "exact_match", reference: "{{item.answer}}" }, "x", undefined, { other: 1 });
    expect(missing.error?.message).toBe('{{item.answer}}: no field "answer" in the item');
    const proto = await grade({ type: "exact_match", reference: "{{item.constructor}}" }, "x", "y");
    expect(proto.error?.kind).toBe("unavailable");
  });

  it("negate inverts the outcome", async () => {
    expect((await grade({ type: "exact_match", negate: true }, "a", "a")).pass).toBe(false);
    expect((await grade({ type: "exact_match", negate: true }, "a", "b")).pass).toBe(true);
  });
});

describe("regex", () => {
  it("searches, with flags, ignore_case and full_match", async () => {
    const v = await grade({ type: "regex", pattern: "answer: (\\d+)" }, "so the answer: 42.");
    expect(v).toMatchObject({ pass: true, details: { match: "answer: 42", groups: ["42"], index: 7 } });
    expect((await grade({ type: "regex", pattern: "ANSWER" }, "answer")).pass).toBe(false);
    expect((await grade({ type: "regex", pattern: "ANSWER", ignore_case: true }, "answer")).pass).toBe(true);
    expect((await grade({ type: "regex", pattern: "^b$", flags: "m" }, "a\nb")).pass).toBe(true);
    expect((await grade({ type: "regex", pattern: "\\d+", full_match: true }, "42a")).pass).toBe(false);
    expect((await grade({ type: "regex", pattern: "\\d+|x", full_match: true }, "42")).pass).toBe(true);
  });

  it("caps the input length against catastrophic backtracking", async () => {
    const v = await grade({ type: "regex", pattern: "(a+)+$", max_input_chars: 1000 }, `${"a".repeat(5000)}!`);
    expect(v.error).toEqual({ kind: "invalid_output", message: "output has 5001 characters, over max_input_chars=1000 (a guard against catastrophic regex backtracking)" });
  });

  it("rejects bad flags and patterns at build time", async () => {
    const { buildError } = await import("./helpers.ts");
    expect((await buildError({ type: "regex", pattern: "a", flags: "gx" })).message).toBe('verifier.flags: expected flags from i, m, s, u, v, got "gx"');
    expect((await buildError({ type: "regex", pattern: "a{2,1}" })).message).toMatch(/^verifier\.pattern: invalid regular expression/);
  });
});

describe("contains", () => {
  it("any / all / ignore_case / negate", async () => {
    expect((await grade({ type: "contains" }, "The capital is Paris.", "Paris")).pass).toBe(true);
    expect((await grade({ type: "contains" }, "the capital is paris.", "Paris")).pass).toBe(false);
    expect((await grade({ type: "contains", ignore_case: true }, "the capital is PARİS", "paris")).pass).toBe(false);
    expect((await grade({ type: "contains", ignore_case: true }, "the capital is PARIS", "paris")).pass).toBe(true);
    const all = await grade({ type: "contains", mode: "all" }, "red and green", ["red", "blue"]);
    expect(all).toMatchObject({ pass: false, details: { found: ["red"], missing: ["blue"] } });
    expect((await grade({ type: "contains", mode: "any" }, "red and green", ["red", "blue"])).pass).toBe(true);
    expect((await grade({ type: "contains", negate: true, reference: "sorry" }, "Sure!")).pass).toBe(true);
  });
});

describe("numeric", () => {
  const cases: Array<[output: string, reference: unknown, extract: string, pass: boolean]> = [
    ["Natalia sold 48 clips... #### 72", 72, "gsm8k", true],
    ["#### 72\nthen later 5", 72, "auto", true],
    ["#### $1,234.00", 1234, "gsm8k", true],
    ["The answer is \\boxed{42}.", "42", "boxed", true],
    ["\\boxed{\\frac{3}{4}}", 0.75, "auto", true],
    ["\\boxed{\\dfrac{-1}{8}}", -0.125, "boxed", true],
    ["\\boxed{-\\frac12}", -0.5, "boxed", true],
    ["\\boxed{{3}/{4}}", 0.75, "boxed", false],
    ["\\boxed{3/4}", 0.75, "boxed", true],
    ["\\boxed{\\text{x} = 12}", 12, "boxed", true],
    ["first \\boxed{1} then \\boxed{2}", 2, "boxed", true],
    ["\\boxed{1{,}000}", 1000, "boxed", true],
    ["we get 3 apples, then 5-3 = 2", 2, "last_number", true],
    ["x = -3", -3, "last_number", true],
    ["1e3 grams", 1000, "last_number", true],
    ["-0", 0, "full", true],
    ["answer: ４２", 42, "auto", true],
    ["answer: ٤٢", "42", "auto", true],
    ["answer: \u22127", -7, "auto", true],
    ["0.1 + 0.2 = 0.30000000000000004", 0.3, "last_number", true],
    ["about 3.14", 3.14159, "last_number", false],
    ["7 is first, 9 is last", 7, "first_number", true],
    ["no digits here", 1, "auto", false],
    ["The answer is 18", "Janet sells 16 - 3 - 4 = 9 duck eggs... #### 18", "auto", true],
  ];
  it.each(cases)("%j vs %j (%s) -> pass %s", async (output, reference, extract, pass) => {
    const v = await grade({ type: "numeric", extract }, output, reference);
    expect(v.error).toBeUndefined();
    expect(v.pass).toBe(pass);
  });

  it("tolerances follow math.isclose", async () => {
    expect((await grade({ type: "numeric", abs_tol: 0.01 }, "3.14", 3.14159)).pass).toBe(true);
    expect((await grade({ type: "numeric", rel_tol: 0.01 }, "101", 100)).pass).toBe(true);
    expect((await grade({ type: "numeric", rel_tol: 0.001 }, "101", 100)).pass).toBe(false);
  });

  it("reports what it extracted; a non-numeric reference is unavailable", async () => {
    const v = await grade({ type: "numeric" }, "so \\boxed{1,234}", 1234);
    expect(v.details).toEqual({ extracted: "1,234", value: 1234, reference: 1234, mode: "boxed" });
    const bad = await grade({ type: "numeric" }, "5", "five");
    expect(bad.error).toEqual({ kind: "unavailable", message: 'reference "five" is not a number' });
  });

  it("parseNumberExpr and extractNumber edge cases", () => {
    expect(parseNumberExpr("\\frac{1}{0}")).toBeUndefined();
    expect(parseNumberExpr("$2.50")).toBe(2.5);
    expect(parseNumberExpr("50\\%")).toBe(50);
    expect(extractNumber("\\boxed{\\frac{\\frac{1}{2}}{2}", "boxed")).toBeUndefined();
    expect(extractNumber("version 1,2,3", "last_number")?.value).toBe(3);
  });
});

describe("json", () => {
  const schema = { type: "object", properties: { name: { type: "string" }, age: { type: "integer", minimum: 0 } }, required: ["name", "age"] };

  it("parses whole text or a fenced block and checks a schema", async () => {
    expect((await grade({ type: "json", schema }, '{"name":"Ada","age":36}')).pass).toBe(true);
    const fenced = await grade({ type: "json", schema }, 'Here:\n```json\n{"name":"Ada","age":36}\n```\nDone.');
    expect(fenced).toMatchObject({ pass: true, details: { from: "fence" } });
    const bad = await grade({ type: "json", schema }, '{"name":"Ada","age":-1}');
    expect(bad).toMatchObject({ reward: 0, pass: false, reason: "schema mismatch: /age must be >= 0" });
    const notJson = await grade({ type: "json" }, "{name: Ada}");
    expect(notJson.reason).toMatch(/^output is not JSON: /);
  });

  it("compares with the reference, with partial credit and extra keys", async () => {
    const ref = { name: "Ada", tags: ["x", "y"], addr: { city: "London", zip: "N1" } };
    const exact = await grade({ type: "json" }, JSON.stringify(ref), ref);
    expect(exact).toMatchObject({ reward: 1, pass: true });
    const partial = await grade({ type: "json", partial_credit: true }, '{"name":"Ada","tags":["x","z"],"addr":{"city":"London"}}', ref);
    // leaves: name ✓, tags[0] ✓, tags[1] ✗, city ✓, zip ✗ -> 3/5
    expect(partial).toMatchObject({ reward: 0.6, pass: false, details: { matched: 3, total: 5 } });
    const extra = await grade({ type: "json", partial_credit: true }, '{"a":1,"b":2}', { a: 1 });
    expect(extra).toMatchObject({ reward: 0.5, pass: false, details: { extra: ["$.b"] } });
    expect((await grade({ type: "json", allow_extra_keys: true }, '{"a":1,"b":2}', { a: 1 })).pass).toBe(true);
    expect((await grade({ type: "json" }, '{"a":1}', '{"a": 1}')).pass).toBe(true);
    expect((await grade({ type: "json" }, '{"a":"1"}', { a: 1 })).pass).toBe(false);
  });

  it("an invalid JSON Schema is a config error", async () => {
    const { buildError } = await import("./helpers.ts");
    expect((await buildError({ type: "json", schema: { type: "strnig" } })).message).toMatch(/^verifier\.schema: invalid JSON Schema: /);
  });
});

describe("templates over sample.output_json", () => {
  it("reads fields of a JSON output; a non-JSON output makes the verdict unavailable", async () => {
    const spec = { type: "exact_match", input: "{{sample.output_json.answer}}" };
    expect((await grade(spec, '{"answer": "yes"}', "yes")).pass).toBe(true);
    const notJson = await grade(spec, "yes", "yes");
    expect(notJson.error).toEqual({ kind: "unavailable", message: '{{sample.output_json.answer}}: no field "answer" in the sample' });
  });
});
