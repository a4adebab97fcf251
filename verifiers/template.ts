// OpenAI-style `{{ item.x.y }}` / `{{ sample.output_text }}` placeholders, resolved against
// {item: the dataset sample, sample: {output_text, output_json}}. Kept tiny on purpose: no logic,
// no filters, only paths. The placeholder syntax, path walk and rendering are tasks/template.ts's;
// this file keeps its own grammar (roots item./sample.), errors, raw whole-placeholder values and
// the lazy sample.output_json scope.
import { PLACEHOLDER, renderPlaceholders, walk } from "../tasks/template.ts";
import type { VerifyContext } from "./types.ts";

const WHOLE = /^\s*\{\{\s*([^{}]*?)\s*\}\}\s*$/;
const ROOTS = new Set(["item", "sample"]);

export class TemplateError extends Error {
  readonly code = "template_variable";
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

export type TemplateScope = { item: unknown; sample: unknown };

/** Splits `item.choices[0].text` into ["item", "choices", 0, "text"], or explains why not. */
export function parsePath(expr: string): Array<string | number> {
  const parts: Array<string | number> = [];
  for (const segment of expr.split(".")) {
    const m = /^([A-Za-z_][\w-]*|\d+)((?:\[\d+\])*)$/.exec(segment);
    if (!m) throw new TemplateError(`bad placeholder "{{${expr}}}": cannot read path segment "${segment}"`);
    const head = m[1] ?? "";
    parts.push(/^\d+$/.test(head) ? Number(head) : head);
    for (const idx of (m[2] ?? "").matchAll(/\[(\d+)\]/g)) parts.push(Number(idx[1]));
  }
  const root = parts[0];
  if (typeof root !== "string" || !ROOTS.has(root)) {
    throw new TemplateError(`bad placeholder "{{${expr}}}": paths start with item. or sample.`);
  }
  return parts;
}

/** Throws TemplateError when a template has a malformed placeholder (checked at build time). */
export function checkTemplate(template: string): void {
  for (const m of template.matchAll(PLACEHOLDER)) parsePath(m[1] ?? "");
  const stripped = template.replace(PLACEHOLDER, "");
  if (stripped.includes("{{") || stripped.includes("}}")) {
    throw new TemplateError(`unbalanced "{{" / "}}" in template ${JSON.stringify(template)}`);
  }
}

export function isTemplate(value: unknown): value is string {
  return typeof value === "string" && value.includes("{{");
}

// Parsed paths, reused across calls (templates repeat for every sample); bounded.
const PATH_CACHE = new Map<string, Array<string | number>>();

function cachedPath(expr: string): Array<string | number> {
  let parts = PATH_CACHE.get(expr);
  if (!parts) {
    parts = parsePath(expr);
    if (PATH_CACHE.size >= 1024) PATH_CACHE.clear();
    PATH_CACHE.set(expr, parts);
  }
  return parts;
}

function lookup(scope: TemplateScope, expr: string): unknown {
  const parts = cachedPath(expr);
  const found = walk(scope, parts);
  if ("value" in found) return found.value;
  if (found.missing === parts.length) throw new TemplateError(`{{${expr}}}: value is undefined`);
  throw new TemplateError(`{{${expr}}}: no field ${JSON.stringify(String(parts[found.missing]))} in the ${parts[0]}`);
}

/** Renders every placeholder as text (objects become JSON). */
export function renderTemplate(template: string, scope: TemplateScope): string {
  return renderPlaceholders(template, (expr) => lookup(scope, expr));
}

/** Like renderTemplate, but a template that is one placeholder keeps the raw value (number, object). */
export function resolveTemplate(template: string, scope: TemplateScope): unknown {
  const whole = WHOLE.exec(template);
  return whole ? lookup(scope, whole[1] ?? "") : renderTemplate(template, scope);
}

export function scopeOf(ctx: VerifyContext): TemplateScope {
  const sample: Record<string, unknown> = { output_text: ctx.output };
  // Parsed only when a template reads it; undefined (a "value is undefined" error) if not JSON.
  Object.defineProperty(sample, "output_json", {
    enumerable: true,
    get() {
      try {
        return JSON.parse(ctx.output) as unknown;
      } catch {
        return undefined;
      }
    },
  });
  return { item: ctx.sample, sample };
}
