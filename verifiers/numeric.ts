// numeric: extract a number from the output (GSM8K "#### 42", \boxed{42}, last/first number, or
// the whole text) and compare it with the reference within a tolerance.
import { z } from "zod";
import { baseShape, readInput, readReference, unavailable } from "./common.ts";
import { canonicalNumber, toAsciiDigits } from "./normalize.ts";
import type { Verdict, VerifierFactory, VerifyContext } from "./types.ts";

export const EXTRACT_MODES = ["auto", "gsm8k", "boxed", "last_number", "first_number", "full"] as const;
export type ExtractMode = (typeof EXTRACT_MODES)[number];

/** Text with Unicode digits, minus signs and zero-width characters made plain. */
function plain(text: string): string {
  return toAsciiDigits(text.normalize("NFKC")).replace(/[\u200B-\u200D\u2060\uFEFF]/g, "");
}

/** Strips LaTeX and currency decoration around a number: $, \%, \,, {,}, \text{..}, \left/\right. */
function stripDecoration(s: string): string {
  return s
    .replace(/\\(?:text|mathrm|textbf|mbox)\{[^{}]*\}/g, "")
    .replace(/\{,\}/g, ",")
    .replace(/\\[,!;: ]|\\left|\\right|\\\$|\\%|[$%~]/g, "")
    .replace(/^\s*\(|\)\s*$/g, "")
    .trim()
    .replace(/\.$/, "");
}

const FRAC = /^([+-]?)\\[dt]?frac(?:\{([^{}]+)\}\{([^{}]+)\}|(\d)(\d))$/;
const SLASH = /^([+-]?[\d.,eE+-]+)\s*\/\s*([\d.,eE+-]+)$/;

/** Parses one number as written in an answer: "1,234", "-0", "1e3", "3/4", "\frac{3}{4}", "$5". */
export function parseNumberExpr(text: string): number | undefined {
  const s = stripDecoration(plain(text));
  const asNumber = (t: string) => {
    const c = canonicalNumber(t.trim());
    return c === undefined ? undefined : Number(c);
  };
  const direct = asNumber(s);
  if (direct !== undefined) return direct;
  const frac = FRAC.exec(s.replace(/\s+/g, ""));
  if (frac) {
    const num = asNumber(frac[2] ?? frac[4] ?? "");
    const den = asNumber(frac[3] ?? frac[5] ?? "");
    if (num === undefined || den === undefined || den === 0) return undefined;
    return (frac[1] === "-" ? -1 : 1) * (num / den);
  }
  const slash = SLASH.exec(s);
  if (slash) {
    const num = asNumber(slash[1] ?? "");
    const den = asNumber(slash[2] ?? "");
    if (num !== undefined && den !== undefined && den !== 0) return num / den;
  }
  return undefined;
}

// A sign counts only when not glued to a preceding word ("5-3" is 5 and 3, "x = -3" is -3).
const NUMBER_TOKEN =
  /(?:(?<![\w)])[-+])?(?:\\[dt]?frac\{[^{}]+\}\{[^{}]+\}|(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?:\s*\/\s*\d+(?:\.\d+)?)?)/g;

function numberTokens(text: string): string[] {
  return [...text.matchAll(NUMBER_TOKEN)].map((m) => m[0]);
}

/** The content of the last \boxed{...} (or \fbox{...}), braces balanced. */
export function lastBoxed(text: string): string | undefined {
  const start = Math.max(text.lastIndexOf("\\boxed{"), text.lastIndexOf("\\fbox{"));
  if (start < 0) return undefined;
  const open = text.indexOf("{", start);
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(open + 1, i);
  }
  return undefined;
}

export interface Extracted {
  mode: Exclude<ExtractMode, "auto">;
  text: string;
  value: number;
}

/** Finds the answer number in `raw` with the given mode; undefined when there is none. */
export function extractNumber(raw: string, mode: ExtractMode): Extracted | undefined {
  const text = plain(raw);
  const resolved: Exclude<ExtractMode, "auto"> =
    mode !== "auto" ? mode : text.includes("####") ? "gsm8k" : /\\(?:boxed|fbox)\{/.test(text) ? "boxed" : "last_number";
  const pick = (candidate: string | undefined): Extracted | undefined => {
    if (candidate === undefined) return undefined;
    const value = parseNumberExpr(candidate);
    return value === undefined ? undefined : { mode: resolved, text: candidate.trim(), value };
  };
  switch (resolved) {
    case "gsm8k": {
      const at = text.lastIndexOf("####");
      return at < 0 ? undefined : pick(numberTokens(text.slice(at + 4))[0]);
    }
    case "boxed": {
      const box = lastBoxed(text);
      if (box === undefined) return undefined;
      return pick(box) ?? pick(numberTokens(box).at(-1));
    }
    case "last_number":
      return pick(numberTokens(text).at(-1));
    case "first_number":
      return pick(numberTokens(text)[0]);
    case "full":
      return pick(text);
  }
}

/** math.isclose (PEP 485): |a-b| <= max(rel_tol * max(|a|,|b|), abs_tol). */
export function isClose(a: number, b: number, relTol: number, absTol: number): boolean {
  return a === b || Math.abs(a - b) <= Math.max(relTol * Math.max(Math.abs(a), Math.abs(b)), absTol);
}

const schema = z
  .object({
    ...baseShape,
    extract: z.enum(EXTRACT_MODES).default("auto"),
    abs_tol: z.number().nonnegative().default(0),
    rel_tol: z.number().nonnegative().default(1e-9),
  })
  .strict();

export type NumericConfig = z.infer<typeof schema>;

export const numericFactory: VerifierFactory<NumericConfig> = {
  kind: "numeric",
  schema,
  create(config) {
    const judge = (ctx: VerifyContext): Verdict => {
      let input: string;
      let refRaw: unknown;
      try {
        input = readInput(ctx, config.input);
        refRaw = readReference(ctx, config.reference);
      } catch (err) {
        return unavailable(err);
      }
      const ref =
        typeof refRaw === "number" ? refRaw : typeof refRaw === "string" ? (parseNumberExpr(refRaw) ?? extractNumber(refRaw, config.extract)?.value) : undefined;
      if (ref === undefined || !Number.isFinite(ref)) {
        return unavailable(new Error(`reference ${JSON.stringify(refRaw)} is not a number`));
      }
      const got = extractNumber(input, config.extract);
      if (!got) {
        return { reward: 0, pass: false, reason: `no number found (extract: ${config.extract})`, details: { reference: ref, extracted: null } };
      }
      const pass = isClose(got.value, ref, config.rel_tol, config.abs_tol);
      return {
        reward: pass ? 1 : 0,
        pass,
        reason: pass ? `${got.text} = ${ref}` : `${got.text} (= ${got.value}) != ${ref}`,
        details: { extracted: got.text, value: got.value, reference: ref, mode: got.mode },
      };
    };
    // No I/O: the same judgement synchronously (the harness then verifies without a promise per sample).
    return { kind: "numeric", verify: async (ctx) => judge(ctx), verifySync: judge };
  },
};
