// The placeholder core shared by prompt templates (tasks/template.ts) and verifier templates
// (verifiers/template.ts): one walk, one rendering; each side keeps its own grammar and errors.
import { describe, expect, it } from "vitest";
import { renderPlaceholders, renderString, walk } from "../../tasks/template.ts";
import { renderTemplate, resolveTemplate, scopeOf } from "../../verifiers/template.ts";

const item = { id: "s1", q: "2+2?", a: { b: [10, { c: "deep" }] }, n: 4, nil: null, undef: undefined };

describe("walk", () => {
  it("returns the value, or the index of the first absent step", () => {
    expect(walk({ item }, ["item", "a", "b", 1, "c"])).toEqual({ value: "deep" });
    expect(walk({ item }, ["item", "a", "b", "1", "c"])).toEqual({ value: "deep" });
    expect(walk({ item }, ["item", "nil"])).toEqual({ value: null });
    expect(walk({ item }, ["item", "a", "x", "y"])).toEqual({ missing: 2 });
    expect(walk({ item }, ["item", "n", "x"])).toEqual({ missing: 2 });
    expect(walk({ item }, ["item", "undef"])).toEqual({ missing: 2 });
    expect(walk({ item }, ["item", "constructor"])).toEqual({ missing: 1 });
    expect(walk({ item }, ["item", "q", "length"])).toEqual({ missing: 2 });
  });
});

describe("prompt and verifier templates render alike", () => {
  const template = "Q {{item.q}} / {{ item.a.b[1].c }} / {{item.a.b}} / {{item.n}} / {{item.nil}}";
  it("gives the same text on both sides", () => {
    const prompt = renderString(template, { item });
    expect(prompt).toBe('Q 2+2? / deep / [10,{"c":"deep"}] / 4 / null');
    expect(renderTemplate(template, scopeOf({ sample: item, output: "out" }))).toBe(prompt);
  });

  it("renderPlaceholders stringifies whatever valueOf returns and leaves other text alone", () => {
    const seen: string[] = [];
    const out = renderPlaceholders("a {{ x.y }} b {{z}} c {single}", (expr) => (seen.push(expr), expr === "z" ? { k: 1 } : expr));
    expect(out).toBe('a x.y b {"k":1} c {single}');
    expect(seen).toEqual(["x.y", "z"]);
  });

  it("verifier templates keep raw whole-placeholder values and a lazy output_json", () => {
    const scope = scopeOf({ sample: item, output: '{"answer": 7}' });
    expect(resolveTemplate("{{ item.a.b }}", scope)).toEqual([10, { c: "deep" }]);
    expect(resolveTemplate("{{sample.output_json.answer}}", scope)).toBe(7);
    expect(resolveTemplate("n={{item.n}}", scope)).toBe("n=4");
    expect(() => resolveTemplate("{{item.a.x.y}}", scope)).toThrow('{{item.a.x.y}}: no field "x" in the item');
    expect(() => resolveTemplate("{{item.undef}}", scope)).toThrow("{{item.undef}}: value is undefined");
  });
});
