// regex and contains. JavaScript's regex engine backtracks, so a pathological pattern can take
// exponential time on a crafted input; the input is capped at max_input_chars (longer outputs
// fail with error.kind "invalid_output") to bound that cost. Patterns come from suite authors.
import { z } from "zod";
import { baseShape, clip, readInput, readReference, unavailable } from "./common.ts";
import { referenceStrings } from "./exact-match.ts";
import { configError } from "./errors.ts";
import { applyNormalizers, normalizeListSchema } from "./normalize.ts";
import type { Verdict, VerifierFactory, VerifyContext } from "./types.ts";

const DEFAULT_MAX_INPUT = 20_000;

const regexSchema = z
  .object({
    name: baseShape.name,
    input: baseShape.input,
    pattern: z.string().min(1),
    /** RegExp flags from "imsuv" ("g" and "y" are meaningless for a yes/no test). */
    flags: z.string().regex(/^[imsuv]*$/, "expected flags from i, m, s, u, v").default(""),
    ignore_case: z.boolean().default(false),
    /** Require the whole input to match, not just a substring. */
    full_match: z.boolean().default(false),
    negate: z.boolean().default(false),
    normalize: normalizeListSchema,
    max_input_chars: z.number().int().positive().default(DEFAULT_MAX_INPUT),
  })
  .strict();

export type RegexConfig = z.infer<typeof regexSchema>;

function tooLong(length: number, max: number): Verdict {
  return {
    reward: 0,
    pass: false,
    error: { kind: "invalid_output", message: `output has ${length} characters, over max_input_chars=${max} (a guard against catastrophic regex backtracking)` },
  };
}

export const regexFactory: VerifierFactory<RegexConfig> = {
  kind: "regex",
  schema: regexSchema,
  create(config) {
    const flags = [...new Set(config.flags + (config.ignore_case ? "i" : ""))].join("");
    const source = config.full_match ? `^(?:${config.pattern})$` : config.pattern;
    let re: RegExp;
    try {
      re = new RegExp(source, flags);
    } catch (err) {
      throw configError(["pattern"], (err as Error).message.replace(/^Invalid regular expression: /, "invalid regular expression: "));
    }
    const judge = (ctx: VerifyContext): Verdict => {
      let input: string;
      try {
        input = applyNormalizers(readInput(ctx, config.input), config.normalize);
      } catch (err) {
        return unavailable(err);
      }
      if (input.length > config.max_input_chars) return tooLong(input.length, config.max_input_chars);
      const m = re.exec(input);
      const pass = (m !== null) !== config.negate;
      const reason = m ? `matched ${clip(m[0])}` : `no match for /${config.pattern}/${flags}`;
      return { reward: pass ? 1 : 0, pass, reason, details: { match: m?.[0] ?? null, groups: m ? m.slice(1) : [], index: m?.index ?? null } };
    };
    // No I/O: the same judgement synchronously (the harness then verifies without a promise per sample).
    return { kind: "regex", verify: async (ctx) => judge(ctx), verifySync: judge };
  },
};

const containsSchema = z
  .object({
    ...baseShape,
    ignore_case: z.boolean().default(false),
    normalize: normalizeListSchema,
    /** With several references: pass when any (default) or all occur. */
    mode: z.enum(["any", "all"]).default("any"),
    negate: z.boolean().default(false),
  })
  .strict();

export type ContainsConfig = z.infer<typeof containsSchema>;

export const containsFactory: VerifierFactory<ContainsConfig> = {
  kind: "contains",
  schema: containsSchema,
  create(config) {
    const norm = (s: string) => {
      const n = applyNormalizers(s, config.normalize);
      return config.ignore_case ? n.toUpperCase().toLowerCase() : n;
    };
    const judge = (ctx: VerifyContext): Verdict => {
      let input: string;
      let needles: string[];
      try {
        input = norm(readInput(ctx, config.input));
        needles = referenceStrings(readReference(ctx, config.reference)).map(norm);
      } catch (err) {
        return unavailable(err);
      }
      const found = needles.filter((n) => input.includes(n));
      const hit = config.mode === "all" ? found.length === needles.length : found.length > 0;
      const pass = hit !== config.negate;
      const missing = needles.filter((n) => !input.includes(n));
      const reason = hit ? `output contains ${found.map((f) => clip(f, 40)).join(", ")}` : `output lacks ${missing.map((f) => clip(f, 40)).join(", ")}`;
      return { reward: pass ? 1 : 0, pass, reason, details: { found, missing } };
    };
    return { kind: "contains", verify: async (ctx) => judge(ctx), verifySync: judge };
  },
};
