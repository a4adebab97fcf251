import { describe, expect, it } from "vitest";
import { compileFormula, FormulaError } from "../../verifiers/formula.ts";

const vars = new Map([
  ["a", 0.5],
  ["b", 1],
  ["c_2", 0.25],
]);
const run = (src: string) => compileFormula(src, vars.keys()).evaluate(vars);

describe("formula evaluation", () => {
  it.each([
    ["(a + b) / 2", 0.75],
    ["a + b * 2", 2.5],
    ["(a + b) * 2", 3],
    ["2 ^ 3 ^ 2", 512], // right-associative
    ["-2 ^ 2", -4], // ^ binds tighter than unary minus
    ["- -a", 0.5],
    ["min(a, b, c_2)", 0.25],
    ["max(a)", 0.5],
    ["abs(a - b)", 0.5],
    ["sqrt(c_2)", 0.5],
    ["floor(2.7) + ceil(2.1)", 5],
    ["exp(log(b))", 1],
    ["1e-1 * 10", 1],
    [".5 + a", 1],
    ["0.7 * a + 0.3 * c_2", 0.425],
  ])("%s = %d", (src, expected) => {
    expect(run(src)).toBeCloseTo(expected, 12);
  });

  it("division by zero is Infinity (the multi verifier turns it into an error verdict)", () => {
    expect(run("b / (a - a)")).toBe(Infinity);
  });
});

describe("formula rejection", () => {
  it.each([
    ["constructor", /unknown name "constructor" \(known: a, b, c_2\) at position 0/],
    ["process", /unknown name "process"/],
    ["a + __proto__", /unknown name "__proto__" \(known: a, b, c_2\) at position 4/],
    ["constructor(a)", /unknown function "constructor"/],
    ["process.exit(1)", /unexpected character "\." at position 7/],
    ["toString(a)", /unknown function "toString"/],
    ["a; b", /unexpected character ";"/],
    ["a b", /unexpected "b" at position 2/],
    ["(a + b", /expected "\)" but found the end/],
    ["", /empty formula/],
    ["min()", /min\(\) takes at least 1 argument/],
    ["abs(a, b)", /abs\(\) takes 1 argument, got 2/],
    ["a[0]", /unexpected character "\["/],
    ["`a`", /unexpected character "`"/],
    ["a ** b", /unexpected "\*"/],
  ])("%j", (src, message) => {
    expect(() => compileFormula(src, vars.keys())).toThrow(message);
    try {
      compileFormula(src, vars.keys());
    } catch (err) {
      expect(err).toBeInstanceOf(FormulaError);
      expect((err as FormulaError).code).toBe("formula_parse");
    }
  });

  it("bounds nesting depth and length", () => {
    expect(() => compileFormula(`${"(".repeat(200)}a${")".repeat(200)}`, ["a"])).toThrow(/nesting deeper than 64/);
    expect(() => compileFormula("a+".repeat(1500) + "a", ["a"])).toThrow(/longer than 2000/);
  });
});
