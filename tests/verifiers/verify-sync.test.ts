import { describe, expect, it } from "vitest";
import { createRegistry } from "../../verifiers/registry.ts";
import { exactMatchFactory } from "../../verifiers/exact-match.ts";
import type { VerifierFactory, VerifierSpec } from "../../verifiers/types.ts";
import { z } from "zod";
import { ctx } from "./helpers.ts";

describe("verifySync (the synchronous fast path)", () => {
  const registry = createRegistry([exactMatchFactory]);
  const specs: VerifierSpec[] = [
    { type: "exact_match" },
    { type: "exact_match", normalize: ["trim", "case"] },
    { type: "exact_match", normalize: ["nfkc", "whitespace", "numeric"], negate: true },
    { type: "exact_match", reference: "{{item.alt}}" },
    { type: "exact_match", input: "{{sample.output_text}}!" },
  ];
  const cases: [string, unknown][] = [
    ["answer 1", "answer 1"], [" ANSWER 1 ", "answer 1"], ["１,000.50", "1000.5"], ["x", ["y", "x"]],
    ["no", "yes"], ["no reference", undefined], ["obj", { a: 1 }], ["x".repeat(200), "x".repeat(199)],
  ];

  it.each(specs)("exact_match %o: verifySync returns what verify resolves to", async (spec) => {
    const v = await registry.build(spec);
    expect(v.verifySync).toBeTypeOf("function");
    for (const [output, reference] of cases) {
      const c = ctx(output, reference, { alt: "answer 1" });
      expect(v.verifySync!(c)).toEqual(await v.verify(c));
    }
    // Not vacuous: each spec gives at least two kinds of outcome (pass, fail, error) on these cases.
    const outcomes = cases.map(([o, r]) => {
      const got = v.verifySync!(ctx(o, r, { alt: "answer 1" }));
      return `${got.reward}/${got.error?.kind ?? ""}`;
    });
    expect(new Set(outcomes).size).toBeGreaterThanOrEqual(2);
  });

  const bad: VerifierFactory<{ mode: string }> = {
    kind: "bad_sync",
    schema: z.object({ mode: z.string() }),
    create: ({ mode }) => ({
      kind: "bad_sync",
      verify: async () => ({ reward: 1 }),
      verifySync: () => {
        if (mode === "throw") throw new Error("sync boom");
        return { reward: mode === "nan" ? Number.NaN : 1 };
      },
    }),
  };

  it("the registry guards verifySync: a throw is a crash verdict, a non-finite reward invalid_output", async () => {
    const reg = createRegistry([bad]);
    expect((await reg.build({ type: "bad_sync", mode: "throw" })).verifySync!(ctx("x"))).toEqual({
      reward: 0, pass: false, error: { kind: "crash", message: "sync boom" },
    });
    expect((await reg.build({ type: "bad_sync", mode: "nan" })).verifySync!(ctx("x")).error?.kind).toBe("invalid_output");
    expect((await reg.build({ type: "bad_sync", mode: "ok" })).verifySync!(ctx("x"))).toEqual({ reward: 1 });
  });

  it("a verifier without verifySync gets none from the guard", async () => {
    const reg = createRegistry([{ kind: "async_only", schema: z.object({}), create: () => ({ kind: "async_only", verify: async () => ({ reward: 1 }) }) }]);
    expect((await reg.build({ type: "async_only" })).verifySync).toBeUndefined();
  });
});
