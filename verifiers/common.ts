// Options shared by the built-in verifiers: an optional `input` template (what is graded, default
// the completion text) and an optional `reference` (default sample.reference, or a template).
import { z } from "zod";
import { checkTemplate, isTemplate, renderTemplate, resolveTemplate, scopeOf, TemplateError } from "./template.ts";
import type { Verdict, VerdictErrorKind, VerifyContext } from "./types.ts";

function templateIssue(value: unknown, ctx: z.core.$RefinementCtx<unknown>): void {
  if (!isTemplate(value)) return;
  try {
    checkTemplate(value);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message, input: value });
  }
}

export const templateString = z.string().superRefine(templateIssue);
export const referenceOption = z.unknown().superRefine(templateIssue).optional();

export const baseShape = {
  /** A display name (OpenAI graders carry one). */
  name: z.string().optional(),
  input: templateString.optional(),
  reference: referenceOption,
};

export function readInput(ctx: VerifyContext, input: string | undefined): string {
  return input === undefined ? ctx.output : renderTemplate(input, scopeOf(ctx));
}

/** The value compared against; throws TemplateError when the sample lacks it. */
export function readReference(ctx: VerifyContext, reference: unknown): unknown {
  if (reference === undefined) {
    if (ctx.sample.reference === undefined) throw new TemplateError(`sample ${JSON.stringify(ctx.sample.id)} has no reference`);
    return ctx.sample.reference;
  }
  return isTemplate(reference) ? resolveTemplate(reference, scopeOf(ctx)) : reference;
}

/** A failed verdict: reward 0, not passed, with the error (and any tier or details). */
export function errorVerdict(kind: VerdictErrorKind, message: string, extra: Partial<Verdict> = {}): Verdict {
  return { reward: 0, pass: false, ...extra, error: { kind, message } };
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The verdict for a sample whose reference or input template cannot be resolved. */
export function unavailable(err: unknown): Verdict {
  return errorVerdict("unavailable", messageOf(err));
}

/** Shortens text for `reason` strings. */
export function clip(s: string, max = 80): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max - 3)}...` : s);
}
