import { describe, expect, it } from "vitest";
import { TemplateError } from "../../tasks/errors.ts";
import { placeholders, renderPrompt, renderString } from "../../tasks/template.ts";

describe("renderString", () => {
  const scope = { item: { q: "2+2?", a: { b: { c: "deep" } }, n: 4, list: ["x", "y"], obj: { k: [1, 2] }, flag: false, nil: null } };

  it("substitutes fields, nested paths and array indexes, with or without spaces", () => {
    expect(renderString("Q: {{item.q}} / {{ item.a.b.c }} / {{item.list[1]}} / {{item.list.0}}", scope)).toBe("Q: 2+2? / deep / y / x");
  });

  it("JSON-stringifies values that are not strings", () => {
    expect(renderString("{{item.n}} {{item.obj}} {{item.flag}} {{item.nil}}", scope)).toBe('4 {"k":[1,2]} false null');
  });

  it("leaves text without placeholders alone, including single braces", () => {
    expect(renderString("a {b} {{ } c", scope)).toBe("a {b} {{ } c");
  });

  it("a missing path is a TemplateError naming the placeholder", () => {
    try {
      renderString("{{item.a.x.y}}", scope);
      throw new Error("unreachable");
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateError);
      expect((err as TemplateError).code).toBe("template_missing_field");
      expect((err as TemplateError).message).toContain("{{item.a.x.y}}");
    }
    expect(() => renderString("{{sample.output_text}}", scope)).toThrow(/\{\{sample\.output_text\}\}/);
  });

  it("a malformed placeholder is a syntax error", () => {
    expect(() => renderString("{{item..q}}", scope)).toThrow(/invalid placeholder \{\{item\.\.q\}\}/);
    expect(() => renderString("{{}}", scope)).toThrow(TemplateError);
  });

  it("does not reach prototype members", () => {
    expect(() => renderString("{{item.q.length}}", scope)).toThrow(TemplateError);
    expect(() => renderString("{{item.constructor}}", scope)).toThrow(TemplateError);
  });
});

describe("renderPrompt", () => {
  const sample = { id: "s1", input: "raw", question: "why?" };

  it("without a template the prompt is sample.input", () => {
    expect(renderPrompt(undefined, sample)).toBe("raw");
    const chat = [{ role: "user" as const, content: "hi" }];
    expect(renderPrompt(undefined, { id: "c", input: chat })).toEqual(chat);
  });

  it("renders text and chat templates against item", () => {
    expect(renderPrompt("Q={{item.question}} id={{item.id}}", sample)).toBe("Q=why? id=s1");
    expect(renderPrompt([{ role: "system", content: "sys" }, { role: "user", content: "{{ item.question }}" }], sample)).toEqual([
      { role: "system", content: "sys" },
      { role: "user", content: "why?" },
    ]);
  });

  it("errors name the sample", () => {
    expect(() => renderPrompt("{{item.nope}}", sample)).toThrow(/sample "s1".*\{\{item\.nope\}\}/);
    expect(() => renderPrompt(undefined, { id: "z" })).toThrow(/sample "z" has no "input"/);
  });

  it("placeholders() lists each placeholder once, across chat messages", () => {
    expect(placeholders([{ role: "user", content: "{{item.a}} {{ item.b }}" }, { role: "user", content: "{{item.a}}" }])).toEqual(["item.a", "item.b"]);
  });
});
