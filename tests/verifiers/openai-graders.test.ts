import { describe, expect, it } from "vitest";
import { z } from "zod";
import { builtinFactories, defaultRegistry } from "../../verifiers/builtin.ts";
import { fromOpenAIGrader, openAIGraderTypes, registerOpenAIGraderMapping } from "../../verifiers/openai-graders.ts";
import { createRegistry } from "../../verifiers/registry.ts";
import type { VerifierFactory } from "../../verifiers/types.ts";
import { buildError, ctx, grade } from "./helpers.ts";

// The eval-create example from the anchors (jbdamask/evals4life 2_create_eval.sh).
const STRING_CHECK = {
  type: "string_check",
  name: "Match output to human label",
  input: "{{ sample.output_text }}",
  operation: "eq",
  reference: "{{ item.ideal }}",
};

// The multi-grader map form from OpenAI's graders guide / Azure RFT how-to.
const MULTI = {
  type: "multi",
  name: "combined",
  graders: {
    similarity_score: { type: "text_similarity", name: "sim", input: "{{sample.output_text}}", reference: "{{item.reference_answer}}", evaluation_metric: "fuzzy_match" },
    label_checker: { type: "string_check", name: "label", input: "{{sample.output_text}}", reference: "{{item.label}}", operation: "ilike" },
  },
  calculate_output: "(similarity_score + label_checker) / 2",
};

describe("fromOpenAIGrader", () => {
  it("maps string_check operations", () => {
    expect(fromOpenAIGrader(STRING_CHECK)).toEqual({
      type: "exact_match",
      name: "Match output to human label",
      input: "{{ sample.output_text }}",
      reference: "{{ item.ideal }}",
    });
    expect(fromOpenAIGrader({ ...STRING_CHECK, operation: "ne" })).toMatchObject({ type: "exact_match", negate: true });
    expect(fromOpenAIGrader({ ...STRING_CHECK, operation: "like" })).toMatchObject({ type: "contains" });
    expect(fromOpenAIGrader({ ...STRING_CHECK, operation: "ilike" })).toMatchObject({ type: "contains", ignore_case: true });
  });

  it("maps text_similarity and multi (map form and the SDK's single-grader form)", () => {
    expect(fromOpenAIGrader({ type: "text_similarity", name: "t", input: "{{sample.output_text}}", reference: "{{item.a}}", evaluation_metric: "rouge_l", pass_threshold: 0.7 })).toEqual({
      type: "similarity",
      metric: "rouge_l",
      name: "t",
      input: "{{sample.output_text}}",
      reference: "{{item.a}}",
      pass_threshold: 0.7,
    });
    const multi = fromOpenAIGrader(MULTI);
    expect(multi).toMatchObject({ type: "multi", calculate_output: MULTI.calculate_output, graders: { similarity_score: { type: "similarity" }, label_checker: { type: "contains" } } });
    const single = fromOpenAIGrader({ type: "multi", name: "m", graders: STRING_CHECK, calculate_output: "x" });
    expect(Object.keys(single["graders"] as object)).toEqual(["Match output to human label"]);
  });

  it("precise errors: bad operation, unsupported metric, nested multi, unknown type", () => {
    expect(() => fromOpenAIGrader({ ...STRING_CHECK, operation: "contains" })).toThrow('verifier.operation: expected one of eq|ne|like|ilike, got "contains"');
    expect(() => fromOpenAIGrader({ type: "text_similarity", reference: "x", evaluation_metric: "meteor" })).toThrow(/^verifier\.evaluation_metric: "meteor" is not supported/);
    expect(() => fromOpenAIGrader({ ...MULTI, graders: { a: { ...STRING_CHECK, operation: "eqq" } } })).toThrow(/^verifier\.graders\.a\.operation: expected one of/);
    expect(() => fromOpenAIGrader({ type: "multi", graders: { inner: MULTI }, calculate_output: "inner" })).toThrow("verifier.graders.inner.type: a multi grader cannot contain another multi grader");
    expect(() => fromOpenAIGrader({ type: "semantic" })).toThrow(/^verifier\.type: unknown OpenAI grader type "semantic" \(known: .*string_check/);
    expect(() => fromOpenAIGrader("string_check")).toThrow('verifier: expected an OpenAI grader object, got "string_check"');
  });

  it("python / score_model / label_model pass through until their owners register a mapping", () => {
    expect(openAIGraderTypes()).toEqual(expect.arrayContaining(["python", "score_model", "label_model"]));
    const py = { type: "python", name: "p", source: "def grade(sample, item):\n  return 1.0" };
    expect(fromOpenAIGrader(py)).toBe(py);
    registerOpenAIGraderMapping("test_echo", (g) => ({ type: "exact_match", reference: g["expected"] }));
    expect(fromOpenAIGrader({ type: "test_echo", expected: "hi" })).toEqual({ type: "exact_match", reference: "hi" });
  });
});

describe("OpenAI graders used directly as verifier specs", () => {
  it("string_check eq against {{item.ideal}}", async () => {
    expect((await grade(STRING_CHECK, "Paris", undefined, { ideal: "Paris" })).reward).toBe(1);
    expect((await grade(STRING_CHECK, "paris", undefined, { ideal: "Paris" })).reward).toBe(0);
    expect((await grade({ ...STRING_CHECK, operation: "ilike" }, "It is PARIS.", undefined, { ideal: "paris" })).reward).toBe(1);
    expect((await grade({ ...STRING_CHECK, operation: "ne" }, "Lyon", undefined, { ideal: "Paris" })).reward).toBe(1);
  });

  it("string_check input templates can read item fields, not just the output", async () => {
    const spec = { type: "string_check", name: "x", input: "{{item.a}}-{{sample.output_text}}", reference: "1-ok", operation: "eq" };
    expect((await grade(spec, "ok", undefined, { a: 1 })).pass).toBe(true);
  });

  it("text_similarity with pass_threshold; cosine needs an embedding verifier", async () => {
    const spec = { type: "text_similarity", name: "s", input: "{{sample.output_text}}", reference: "{{item.ref}}", evaluation_metric: "bleu", pass_threshold: 0.3 };
    const v = await grade(spec, "the cat sat on the mat", undefined, { ref: "the cat is on the mat" });
    expect(v.reward).toBeCloseTo((1 / 48) ** 0.25, 12);
    expect(v.pass).toBe(true);
    // a registry without the embedding verifier says precisely what is missing
    const noCosine = createRegistry(builtinFactories().filter((f) => f.kind !== "cosine"));
    const err = await noCosine.build({ ...spec, evaluation_metric: "cosine" }).then(
      () => { throw new Error("expected cosine to be rejected without an embedding verifier"); },
      (e: unknown) => e as Error,
    );
    expect(err.message).toBe('verifier.evaluation_metric: "cosine" needs an embedding verifier registered as type "cosine", and none is');
  });

  it("cosine is routed to a registered 'cosine' verifier", async () => {
    const fakeEmbedding: VerifierFactory<{ input: string; reference: string }> = {
      kind: "cosine",
      schema: z.object({ input: z.string(), reference: z.string() }).loose(),
      create: (cfg) => ({ kind: "cosine", verify: async () => ({ reward: cfg.reference === "{{item.ref}}" ? 0.9 : 0 }) }),
    };
    const reg = createRegistry([...builtinFactories(), fakeEmbedding]);
    const v = await reg.build({ type: "text_similarity", reference: "{{item.ref}}", evaluation_metric: "cosine" });
    expect((await v.verify(ctx("x"))).reward).toBe(0.9);
  });

  it("multi: the OpenAI map form with calculate_output", async () => {
    const v = await defaultRegistry().build(MULTI);
    const out = await v.verify(ctx("kitten", undefined, { reference_answer: "sitting", label: "KIT" }));
    // fuzzy 8/13, ilike "kit" in "kitten" = 1 -> (8/13 + 1) / 2
    expect(out.reward).toBeCloseTo((8 / 13 + 1) / 2, 12);
    expect(out.details?.["sub_rewards"]).toEqual({ similarity_score: 8 / 13, label_checker: 1 });
  });
});

describe("multi verifier", () => {
  const graders = {
    exact: { type: "exact_match", normalize: ["trim"] },
    num: { type: "numeric" },
    fmt: { type: "regex", pattern: "^\\d+$" },
  };

  it("weighted mean by default; pass when every child passes", async () => {
    const v = await grade({ type: "multi", graders, weights: { exact: 2, num: 1, fmt: 1 } }, " 42", "42");
    // exact 1 (trim), num 1, fmt 0 (leading space) -> (2 + 1 + 0) / 4
    expect(v.reward).toBe(0.75);
    expect(v.pass).toBe(false);
    expect(v.reason).toBe("exact=1.000, num=1.000, fmt=0.000");
    const all = await grade({ type: "multi", graders }, "42", "42");
    expect(all).toMatchObject({ reward: 1, pass: true });
  });

  it("formula with pass_threshold", async () => {
    const v = await grade({ type: "multi", graders, calculate_output: "min(exact, num) * 0.5 + fmt * 0.5", pass_threshold: 0.5 }, "42.0", "42");
    // exact 0 ("42.0" != "42"), num 1, fmt 0 -> 0
    expect(v).toMatchObject({ reward: 0, pass: false });
  });

  it("a child's error counts as 0 and is surfaced on the verdict", async () => {
    const v = await grade({ type: "multi", graders: { a: { type: "exact_match", reference: "{{item.missing}}" }, b: { type: "contains", reference: "x" } } }, "x");
    expect(v.reward).toBe(0.5);
    expect(v.error).toEqual({ kind: "unavailable", message: 'graders.a: {{item.missing}}: no field "missing" in the item' });
  });

  it("a formula that divides by zero gives an error verdict", async () => {
    const v = await grade({ type: "multi", graders: { a: { type: "contains", reference: "y" } }, calculate_output: "1 / a" }, "x");
    expect(v.error?.kind).toBe("invalid_output");
    expect(v.reward).toBe(0);
  });

  it("config errors: unknown names in formula and weights, non-identifier grader names", async () => {
    expect((await buildError({ type: "multi", graders, calculate_output: "exact + process" })).message).toBe(
      'verifier.calculate_output: invalid formula: unknown name "process" (known: exact, num, fmt) at position 8',
    );
    expect((await buildError({ type: "multi", graders, weights: { exactt: 1 } })).message).toBe('verifier.weights.exactt: no grader named "exactt" (graders: exact, num, fmt)');
    expect((await buildError({ type: "multi", graders: { "a-b": { type: "contains" } } })).message).toMatch(/^verifier\.graders\["a-b"\]: grader names must be identifiers/);
    expect((await buildError({ type: "multi", graders: { a: { kind: "x" } } })).message).toBe('verifier.graders.a: expected a verifier spec object with a string "type"');
  });
});

describe("multi verifyGroup", () => {
  it("hands the whole group to children that have a group form", async () => {
    const groupSizes: number[] = [];
    const ranker: VerifierFactory<object> = {
      kind: "ranker",
      schema: z.object({}),
      create: () => ({
        kind: "ranker",
        verify: async () => ({ reward: 0 }),
        async verifyGroup(cs) {
          groupSizes.push(cs.length);
          // rank by output length within the group: longest gets 1
          const max = Math.max(...cs.map((c) => c.output.length));
          return cs.map((c) => ({ reward: c.output.length === max ? 1 : 0 }));
        },
      }),
    };
    const reg = createRegistry([...builtinFactories(), ranker]);
    const v = await reg.build({ type: "multi", graders: { rank: { type: "ranker" }, has_a: { type: "contains", reference: "a" } } });
    const out = await v.verifyGroup?.([ctx("a"), ctx("bbbb"), ctx("aaa")]);
    expect(groupSizes).toEqual([3]);
    expect(out?.map((o) => o.reward)).toEqual([0.5, 0.5, 0.5]);
    expect(out?.map((o) => o.details?.["sub_rewards"])).toEqual([
      { rank: 0, has_a: 1 },
      { rank: 1, has_a: 0 },
      { rank: 0, has_a: 1 },
    ]);
  });
});
