// verifySync of regex, contains and numeric returns exactly what verify resolves to.
import { describe, expect, it } from "vitest";
import { defaultRegistry } from "../../verifiers/builtin.ts";
import type { VerifierSpec } from "../../verifiers/types.ts";
import { ctx } from "./helpers.ts";

const registry = defaultRegistry();

async function same(spec: VerifierSpec, cases: [string, unknown][]): Promise<void> {
  const v = await registry.build(spec);
  expect(v.verifySync).toBeTypeOf("function");
  // A second instance for the async path: nothing shared between the two answers.
  const w = await registry.build(spec);
  const outcomes = new Set<string>();
  for (const [output, reference] of cases) {
    const got = v.verifySync!(ctx(output, reference));
    expect(got).toEqual(await w.verify(ctx(output, reference)));
    outcomes.add(`${got.reward}/${got.error?.kind ?? ""}`);
  }
  // Not vacuous: the cases reach at least two kinds of outcome.
  expect(outcomes.size).toBeGreaterThanOrEqual(2);
}

describe("verifySync equals verify", () => {
  const text: [string, unknown][] = [
    ["The answer is 42.", "42"], ["ANSWER: yes", "yes"], ["nothing here", "42"], ["", ""], ["a b c", ["b", "z"]],
    ["x".repeat(300), "x"], ["tab\there", "tab here"], ["Ｆｕｌｌ", "full"],
  ];
  it.each<VerifierSpec>([
    { type: "regex", pattern: "\\d+" },
    { type: "regex", pattern: "answer", ignore_case: true, negate: true },
    { type: "regex", pattern: "(a) (b)", flags: "ms" },
    { type: "regex", pattern: "x+", full_match: true, max_input_chars: 100 },
    { type: "regex", pattern: "full", normalize: ["nfkc", "case"] },
  ])("%o", (spec) => same(spec, text));

  it.each<VerifierSpec>([
    { type: "contains" },
    { type: "contains", ignore_case: true, mode: "all" },
    { type: "contains", normalize: ["nfkc", "whitespace"], negate: true },
  ])("%o", (spec) => same(spec, text));

  const numbers: [string, unknown][] = [
    ["so #### 72", "72"], ["\\boxed{3.5}", 3.5], ["it is 1,000", "1000"], ["no digits", "4"], ["7", "not a number"],
    ["about 3.14159", "3.1416"], ["-2", -2], ["the answer is ２４", "24"],
  ];
  it.each<VerifierSpec>([
    { type: "numeric" },
    { type: "numeric", extract: "last_number", abs_tol: 0.001 },
    { type: "numeric", extract: "gsm8k" },
    { type: "numeric", extract: "first_number", rel_tol: 0.01 },
  ])("%o", (spec) => same(spec, numbers));
});
