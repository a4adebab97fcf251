// OpenAI grader/eval template syntax: {{item.field}}, {{ item.a.b }}, {{item.list[0]}}.
import { TemplateError } from "./errors.ts";
import type { Prompt, PromptTemplate, Sample } from "./types.ts";

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
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

/** Resolves a parsed path against a scope; MISSING when any step is absent. */
export function lookup(scope: unknown, path: readonly string[]): unknown {
  let cur: unknown = scope;
  for (const key of path) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, key)) return MISSING;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur === undefined ? MISSING : cur;
}

/** True when every step of the parsed path exists (and the value is not undefined). */
export function resolves(scope: unknown, path: readonly string[]): boolean {
  return lookup(scope, path) !== MISSING;
}

function stringify(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Replaces every {{path}} with its value; strings verbatim, anything else JSON-stringified. */
export function renderString(template: string, scope: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_whole, expr: string) => {
    const value = lookup(scope, parsePath(expr));
    if (value === MISSING) {
      throw new TemplateError(
        "template_missing_field",
        expr,
        `placeholder {{${expr}}}: no such field in the template scope (has: ${Object.keys(scope).join(", ")})`,
      );
    }
    return stringify(value);
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
