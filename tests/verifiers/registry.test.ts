import { describe, expect, it } from "vitest";
import { z } from "zod";
import { builtinFactories, defaultRegistry } from "../../verifiers/builtin.ts";
import { VerifierConfigError } from "../../verifiers/errors.ts";
import { createRegistry, safeVerify } from "../../verifiers/registry.ts";
import type { VerifierFactory } from "../../verifiers/types.ts";
import { buildError, ctx } from "./helpers.ts";

describe("registry config errors name the field and what was expected", () => {
  it("bad enum value inside a list", async () => {
    const err = await buildError({ type: "exact_match", normalize: ["trim", "foo"] });
    expect(err.code).toBe("verifier_config");
    expect(err.message).toBe('verifier.normalize[1]: expected one of trim|case|nfkc|whitespace|numeric|confusables, got "foo"');
  });

  it("unknown type lists the registered kinds", async () => {
    const err = await buildError({ type: "exact_matc" });
    expect(err).toBeInstanceOf(VerifierConfigError);
    expect(err.message).toMatch(/^verifier\.type: unknown verifier type "exact_matc" \(registered: .*exact_match/);
  });

  it("wrong type, unknown field and missing field are each reported", async () => {
    const err = await buildError({ type: "numeric", abs_tol: "0.1", tolerance: 1 });
    expect(err.message).toContain('verifier.abs_tol: expected number, got "0.1"');
    expect(err.message).toContain("verifier.tolerance: unknown field");
    const missing = await buildError({ type: "regex" });
    expect(missing.message).toBe("verifier.pattern: required field missing (expected string)");
  });

  it("errors inside multi children carry the child's path", async () => {
    const err = await buildError({ type: "multi", graders: { fmt: { type: "regex", pattern: "(" } } });
    expect(err.message).toMatch(/^verifier\.graders\.fmt\.pattern: invalid regular expression/);
    const nested = await buildError({ type: "multi", graders: { a: { type: "numeric", extract: "middle" } } });
    expect(nested.message).toContain('verifier.graders.a.extract: expected one of auto|gsm8k|boxed|last_number|first_number|full, got "middle"');
  });

  it("bad templates are rejected at build time", async () => {
    const err = await buildError({ type: "exact_match", reference: "{{ answer }}" });
    expect(err.message).toMatch(/^verifier\.reference: bad placeholder "\{\{answer\}\}": paths start with item\. or sample\./);
    const unbalanced = await buildError({ type: "exact_match", input: "{{sample.output_text}" });
    expect(unbalanced.message).toMatch(/^verifier\.input: unbalanced/);
  });

  it("a spec that is not an object, or has no type, is rejected", async () => {
    await expect(defaultRegistry().build(null as never)).rejects.toThrow(/^verifier: expected an object with a "type", got null/);
    await expect(defaultRegistry().build({ kind: "x" } as never)).rejects.toThrow(/^verifier\.type: expected a verifier type string, got nothing/);
  });
});

describe("registry behaviour", () => {
  const throwing: VerifierFactory<{ mode: "throw" | "reject" | "nan" | "group" }> = {
    kind: "bad",
    schema: z.object({ mode: z.enum(["throw", "reject", "nan", "group"]) }),
    create: ({ mode }) => ({
      kind: "bad",
      verify(c) {
        if (mode === "throw") throw new Error(`boom on ${c.output}`);
        if (mode === "reject") return Promise.reject(new TypeError("async boom"));
        return Promise.resolve({ reward: Number.NaN });
      },
      async verifyGroup(cs) {
        if (mode === "group") throw new Error("group boom");
        return cs.slice(1).map(() => ({ reward: 1 }));
      },
    }),
  };

  it("lists kinds and accepts new factories", () => {
    const reg = createRegistry(builtinFactories());
    expect(reg.kinds()).toEqual(expect.arrayContaining(["exact_match", "regex", "contains", "numeric", "json", "similarity", "multi", "string_check", "text_similarity"]));
    expect(reg.has("bad")).toBe(false);
    reg.register(throwing);
    expect(reg.has("bad")).toBe(true);
  });

  it("turns a throwing, rejecting or NaN verify into an error verdict", async () => {
    const reg = createRegistry([throwing]);
    const t = await (await reg.build({ type: "bad", mode: "throw" })).verify(ctx("x"));
    expect(t).toEqual({ reward: 0, pass: false, error: { kind: "crash", message: "boom on x" } });
    const r = await (await reg.build({ type: "bad", mode: "reject" })).verify(ctx("x"));
    expect(r.error).toEqual({ kind: "crash", message: "async boom" });
    const n = await (await reg.build({ type: "bad", mode: "nan" })).verify(ctx("x"));
    expect(n.error?.kind).toBe("invalid_output");
  });

  it("guards verifyGroup: throws become per-completion crashes, a short array is invalid_output", async () => {
    const reg = createRegistry([throwing]);
    const g = await reg.build({ type: "bad", mode: "group" });
    const crashed = await g.verifyGroup?.([ctx("a"), ctx("b")]);
    expect(crashed?.map((v) => v.error?.kind)).toEqual(["crash", "crash"]);
    const s = await reg.build({ type: "bad", mode: "nan" });
    const short = await s.verifyGroup?.([ctx("a"), ctx("b")]);
    expect(short?.[0]?.error?.message).toBe("verifyGroup returned 1 verdicts for 2 completions");
  });

  it("safeVerify guards a verifier that was not built by the registry", async () => {
    const v = await safeVerify({ kind: "raw", verify: () => { throw "plain string"; } }, ctx("x"));
    expect(v).toEqual({ reward: 0, pass: false, error: { kind: "crash", message: "plain string" } });
  });

  it("services.build lets a factory build children through the same registry", async () => {
    const seen: string[] = [];
    const parent: VerifierFactory<{ child: { type: string } }> = {
      kind: "parent",
      schema: z.object({ child: z.object({ type: z.string() }).loose() }),
      async create(cfg, services) {
        seen.push(services.baseDir ?? "none");
        const child = await services.build(cfg.child);
        return { kind: "parent", verify: (c) => child.verify(c) };
      },
    };
    const reg = createRegistry([...builtinFactories(), parent]);
    const v = await reg.build({ type: "parent", child: { type: "exact_match", normalize: ["case"] } }, { baseDir: "/suites/x" });
    expect((await v.verify(ctx("YES", "yes"))).pass).toBe(true);
    expect(seen).toEqual(["/suites/x"]);
  });

  it("a factory whose create throws an untyped error gives a config error", async () => {
    const broken: VerifierFactory<object> = { kind: "broken", schema: z.object({}), create: () => { throw new Error("model file missing"); } };
    await expect(createRegistry([broken]).build({ type: "broken" })).rejects.toThrow('verifier: cannot build "broken": model file missing');
  });
});
