// exact_match: the (normalised) output equals the reference, or one of several references.
import { z } from "zod";
import { baseShape, clip, readInput, readReference, unavailable } from "./common.ts";
import { compileNormalizers, normalizeListSchema } from "./normalize.ts";
import type { Verdict, VerifierFactory, VerifyContext } from "./types.ts";

const schema = z
  .object({
    ...baseShape,
    normalize: normalizeListSchema,
    /** Pass when the output does NOT match (OpenAI string_check `ne`). */
    negate: z.boolean().default(false),
  })
  .strict();

export type ExactMatchConfig = z.infer<typeof schema>;

export function referenceStrings(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
}

export const exactMatchFactory: VerifierFactory<ExactMatchConfig> = {
  kind: "exact_match",
  schema,
  create(config) {
    const normalize = compileNormalizers(config.normalize);
    const judge = (ctx: VerifyContext): Verdict => {
      let input: string;
      let refs: string[];
      try {
        input = readInput(ctx, config.input);
        refs = referenceStrings(readReference(ctx, config.reference));
      } catch (err) {
        return unavailable(err);
      }
      const got = normalize(input);
      const wanted = refs.map(normalize);
      const matched = wanted.includes(got);
      const pass = matched !== config.negate;
      const reason = matched
        ? `output matches reference ${clip(got)}`
        : `output ${clip(got)} != reference ${wanted.length === 1 ? clip(wanted[0] ?? "") : `(any of ${wanted.length})`}`;
      return { reward: pass ? 1 : 0, pass, reason, details: { output: got, references: wanted, normalize: config.normalize } };
    };
    return {
      kind: "exact_match",
      verify: async (ctx) => judge(ctx),
      verifySync: judge,
    };
  },
};
