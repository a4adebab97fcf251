// OpenAI grader/eval template syntax: {{item.field}}, {{ item.a.b }}, {{item.list[0]}}.
// The placeholder syntax, the path walk and the rendering are shared with verifiers/template.ts,
// which adds its own path grammar (roots item./sample.), errors and whole-placeholder values.
import { TemplateError } from "./errors.ts";
import type { Prompt, PromptTemplate, Sample } from "./types.ts";

/** One `{{ expr }}` placeholder; group 1 is the trimmed expression. */
export const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PATH = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$0-9][\w$-]*|\[\d+\])*$/;

/** Splits `item.a.b[0]` into ["item", "a", "b", "0"]. */
export function parsePath(expr: string): string[] {
  if (!PATH.test(expr)) {
    throw new TemplateError(
      "template_syntax",
      expr,
      `invalid placeholder {{${expr}}}: expected a dotted path such as {{item.field}}`,
    );
  }
  return expr.replace(/\[(\d+)\]/g, ".$1").split(".");
}

/** Every placeholder expression in a template, in order of appearance (duplicates removed). */
export function placeholders(template: PromptTemplate): string[] {
  const texts = typeof template === "string" ? [template] : template.map((m) => m.content);
  const found = new Set<string>();
  for (const text of texts) {
    for (const m of text.matchAll(PLACEHOLDER)) found.add(m[1] ?? "");
  }
  return [...found];
}

const MISSING = Symbol("missing");

/** Walks a parsed path through own fields only (so `constructor`, `__proto__` are absent): the
 *  value, or the index of the first absent step (path.length when the value is undefined). */
export function walk(scope: unknown, path: ReadonlyArray<string | number>): { value: unknown } | { missing: number } {
  let cur: unknown = scope;
  for (const [i, key] of path.entries()) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, key)) return { missing: i };
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur === undefined ? { missing: path.length } : { value: cur };
}

/** Resolves a parsed path against a scope; MISSING when any step is absent. */
export function lookup(scope: unknown, path: readonly string[]): unknown {
  const found = walk(scope, path);
  return "value" in found ? found.value : MISSING;
}

/** True when every step of the parsed path exists (and the value is not undefined). */
export function resolves(scope: unknown, path: readonly string[]): boolean {
  return lookup(scope, path) !== MISSING;
}

/** Replaces every placeholder with valueOf(expr): strings verbatim, anything else as JSON. */
export function renderPlaceholders(template: string, valueOf: (expr: string) => unknown): string {
  return template.replace(PLACEHOLDER, (_whole, expr: string) => {
    const value = valueOf(expr);
    return typeof value === "string" ? value : JSON.stringify(value);
  });
}

/** Replaces every {{path}} with its value; strings verbatim, anything else JSON-stringified. */
export function renderString(template: string, scope: Record<string, unknown>): string {
  return renderPlaceholders(template, (expr) => {
    const value = lookup(scope, parsePath(expr));
    if (value === MISSING) {
      throw new TemplateError(
        "template_missing_field",
        expr,
        `placeholder {{${expr}}}: no such field in the template scope (has: ${Object.keys(scope).join(", ")})`,
      );
    }
    return value;
  });
}

/** The prompt for one sample: the rendered template, or sample.input when there is no template. */
export function renderPrompt(template: PromptTemplate | undefined, sample: Sample): Prompt {
  if (template === undefined) {
    if (sample.input === undefined) {
      throw new TemplateError(
        "template_missing_field",
        "item.input",
        `sample "${sample.id}" has no "input" and the task has no prompt template`,
      );
    }
    return sample.input;
  }
  const scope = { item: sample };
  try {
    if (typeof template === "string") return renderString(template, scope);
    return template.map((m) => ({ role: m.role, content: renderString(m.content, scope) }));
  } catch (err) {
    if (err instanceof TemplateError && err.code === "template_missing_field") {
      throw new TemplateError(err.code, err.placeholder, `sample "${sample.id}": ${err.message}`);
    }
    throw err;
  }
}
