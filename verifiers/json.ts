// json: the output parses as JSON (whole text, else the first ```json fenced block), optionally
// matches a JSON Schema (ajv), and optionally deep-equals the reference, with partial credit.
import { Ajv } from "ajv";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { baseShape, readInput, readReference, unavailable } from "./common.ts";
import { configError } from "./errors.ts";
import type { VerifierFactory } from "./types.ts";

const schema = z
  .object({
    ...baseShape,
    /** A JSON Schema the parsed output must satisfy. */
    schema: z.record(z.string(), z.unknown()).optional(),
    /** Compare with the reference (default true when a reference exists). */
    compare: z.boolean().default(true),
    /** Reward = share of the reference's leaf values found equal, instead of all-or-nothing. */
    partial_credit: z.boolean().default(false),
    /** Accept object keys the reference does not have. */
    allow_extra_keys: z.boolean().default(false),
  })
  .strict();

export type JsonConfig = z.infer<typeof schema>;

/** Parses the whole text, else the first fenced block (```json first, then any ```). */
export function parseJsonOutput(text: string): { ok: true; value: unknown; from: "text" | "fence" } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text), from: "text" };
  } catch (err) {
    const fences = [...text.matchAll(/```([\w-]*)[^\n]*\n([\s\S]*?)```/g)];
    const ordered = [...fences.filter((f) => f[1]?.toLowerCase() === "json"), ...fences.filter((f) => f[1]?.toLowerCase() !== "json")];
    for (const f of ordered) {
      try {
        return { ok: true, value: JSON.parse(f[2] ?? ""), from: "fence" };
      } catch {
        // try the next block
      }
    }
    return { ok: false, message: `output is not JSON: ${(err as Error).message}` };
  }
}

/** Leaves of `expected` and how many `actual` matches at the same path. */
export function compareLeaves(expected: unknown, actual: unknown, allowExtra: boolean): { total: number; matched: number; extra: string[] } {
  const out = { total: 0, matched: 0, extra: [] as string[] };
  const walk = (e: unknown, a: unknown, path: string) => {
    if (e !== null && typeof e === "object" && !Array.isArray(e)) {
      const aObj = a !== null && typeof a === "object" && !Array.isArray(a) ? (a as Record<string, unknown>) : undefined;
      const keys = Object.keys(e);
      if (keys.length === 0) {
        out.total++;
        if (aObj && Object.keys(aObj).length === 0) out.matched++;
      }
      for (const k of keys) walk((e as Record<string, unknown>)[k], aObj && Object.hasOwn(aObj, k) ? aObj[k] : undefined, `${path}.${k}`);
      if (aObj && !allowExtra) for (const k of Object.keys(aObj)) if (!Object.hasOwn(e, k)) out.extra.push(`${path}.${k}`);
    } else if (Array.isArray(e)) {
      const aArr = Array.isArray(a) ? a : undefined;
      if (e.length === 0) {
        out.total++;
        if (aArr?.length === 0) out.matched++;
      }
      e.forEach((item, i) => walk(item, aArr?.[i], `${path}[${i}]`));
      if (aArr && aArr.length > e.length) out.extra.push(`${path}[${e.length}..]`);
    } else {
      out.total++;
      if (isDeepStrictEqual(e, a)) out.matched++;
    }
  };
  walk(expected, actual, "$");
  return out;
}

export const jsonFactory: VerifierFactory<JsonConfig> = {
  kind: "json",
  schema,
  create(config) {
    let validate: ReturnType<Ajv["compile"]> | undefined;
    if (config.schema) {
      try {
        validate = new Ajv({ allErrors: true, strict: false }).compile(config.schema);
      } catch (err) {
        throw configError(["schema"], `invalid JSON Schema: ${(err as Error).message}`);
      }
    }
    return {
      kind: "json",
      async verify(ctx) {
        let input: string;
        try {
          input = readInput(ctx, config.input);
        } catch (err) {
          return unavailable(err);
        }
        const parsed = parseJsonOutput(input.trim());
        if (!parsed.ok) return { reward: 0, pass: false, reason: parsed.message };
        const details: Record<string, unknown> = { parsed: parsed.value, from: parsed.from };
        if (validate && !validate(parsed.value)) {
          const errors = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
          return { reward: 0, pass: false, reason: `schema mismatch: ${errors.slice(0, 3).join("; ")}`, details: { ...details, schemaErrors: errors } };
        }
        const hasReference = config.reference !== undefined || ctx.sample.reference !== undefined;
        if (!config.compare || !hasReference) return { reward: 1, pass: true, reason: validate ? "valid JSON matching the schema" : "valid JSON", details };
        let expected: unknown;
        try {
          expected = readReference(ctx, config.reference);
        } catch (err) {
          return unavailable(err);
        }
        if (typeof expected === "string") {
          try {
            expected = JSON.parse(expected);
          } catch {
            // a plain string reference is compared as a string
          }
        }
        const cmp = compareLeaves(expected, parsed.value, config.allow_extra_keys);
        const exact = cmp.matched === cmp.total && cmp.extra.length === 0;
        const share = cmp.total === 0 ? 1 : cmp.matched / (cmp.total + cmp.extra.length);
        const reward = config.partial_credit ? share : exact ? 1 : 0;
        const reason = exact ? "equals the reference" : `${cmp.matched}/${cmp.total} reference values match${cmp.extra.length ? `, ${cmp.extra.length} extra` : ""}`;
        return { reward, pass: exact, reason, details: { ...details, matched: cmp.matched, total: cmp.total, extra: cmp.extra } };
      },
    };
  },
};
