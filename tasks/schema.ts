// zod schemas for manifests, task definitions and dataset lines, and issue -> message formatting.
import { z } from "zod";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const nameSchema = z
  .string()
  .regex(NAME, { error: "expected a name of letters, digits, '_', '.', '-' (no spaces, no '@')" });
/** YAML reads `version: 1` as a number; accept it and keep the text. */
const versionSchema = z
  .union([z.string().min(1), z.number()], { error: 'expected a version string such as "1.0"' })
  .transform((v) => String(v));

export const chatMessageSchema = z.strictObject({
  role: z.enum(["system", "user", "assistant", "developer"]),
  content: z.string(),
});
const chatSchema = z.array(chatMessageSchema).min(1, { error: "expected at least one chat message" });

export const promptSchema = z.union(
  [z.string(), chatSchema, z.strictObject({ file: z.string().min(1) })],
  { error: 'expected template text, chat messages [{role, content}] or {file: "prompt.txt"}' },
);

export const verifierSpecSchema = z
  .looseObject({ type: z.string().min(1) }, { error: "expected an object {type: ..., ...options}" });

export const samplingSchema = z.strictObject({
  temperature: z.number().min(0).optional(),
  topP: z.number().gt(0).max(1).optional(),
  maxTokens: z.number().int().positive().optional(),
  stop: z
    .union([z.string(), z.array(z.string())], { error: "expected a string or a list of strings" })
    .transform((s) => (typeof s === "string" ? [s] : s))
    .optional(),
  seed: z.number().int().optional(),
  logprobs: z.boolean().optional(),
});

const taskCommon = {
  name: nameSchema,
  version: versionSchema.optional(),
  description: z.string().optional(),
  prompt: promptSchema.optional(),
  verifier: verifierSpecSchema,
  sampling: samplingSchema.optional(),
};

export const manifestTaskSchema = z.strictObject({
  ...taskCommon,
  dataset: z.string({ error: 'expected a path to a JSONL file, e.g. "data.jsonl"' }).min(1),
});

export const manifestSchema = z.strictObject({
  name: nameSchema,
  version: versionSchema,
  description: z.string().optional(),
  tasks: z.array(manifestTaskSchema).min(1, { error: "expected at least one task" }),
});
export type Manifest = z.output<typeof manifestSchema>;
export type ManifestTask = z.output<typeof manifestTaskSchema>;

/** One dataset line. `id` may be absent (then derived from the content); extra fields are free. */
export const sampleSchema = z.looseObject({
  id: z.string().min(1, { error: "expected a non-empty string" }).optional(),
  input: z
    .union([z.string(), chatSchema], { error: "expected text or chat messages [{role, content}]" })
    .optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export const moduleTaskSchema = z.strictObject({
  ...taskCommon,
  dataset: z.union([z.string().min(1), z.array(z.unknown())], {
    error: "expected a JSONL path or an array of samples",
  }),
});
export const moduleSuiteSchema = z.strictObject({
  name: nameSchema,
  version: versionSchema,
  description: z.string().optional(),
  tasks: z.array(moduleTaskSchema).min(1, { error: "expected at least one task" }),
});

export type PathKey = string | number;

/** `tasks[1].verifier.type` */
export function formatPath(path: readonly PathKey[]): string {
  let out = "";
  for (const k of path) out += typeof k === "number" ? `[${k}]` : out === "" ? k : `.${k}`;
  return out;
}

export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (Number.isInteger(v)) return "number";
  return typeof v;
}

function valueAt(root: unknown, path: readonly PathKey[]): unknown {
  let cur: unknown = root;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PathKey, unknown>)[k];
  }
  return cur;
}

export interface Problem {
  /** Path of the offending field (for unknown keys: the key itself). */
  path: PathKey[];
  /** True when the field is absent: its position is its parent's. */
  missing: boolean;
  what: string;
}

const SUGGEST: Record<string, string> = {
  top_p: "topP",
  max_tokens: "maxTokens",
  max_completion_tokens: "maxTokens",
  maxtokens: "maxTokens",
  topp: "topP",
  data: "dataset",
  template: "prompt",
  grader: "verifier",
};

/** The first zod issue as a precise problem: what was expected and what was found. */
export function firstProblem(error: z.ZodError, input: unknown): Problem {
  const issue = error.issues[0];
  if (!issue) return { path: [], missing: false, what: "invalid" };
  const path = issue.path.filter((k): k is PathKey => typeof k !== "symbol");
  const actual = valueAt(input, path);
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const hint = SUGGEST[key.toLowerCase()] ?? SUGGEST[key];
    return {
      path: [...path, key],
      missing: false,
      what: `unknown field${hint ? ` (did you mean "${hint}"?)` : ""}`,
    };
  }
  if (actual === undefined && (issue.code === "invalid_type" || issue.code === "invalid_union")) {
    return { path, missing: true, what: "required" };
  }
  if (issue.code === "invalid_type" && !/^Invalid input/.test(issue.message)) {
    return { path, missing: false, what: issue.message };
  }
  if (issue.code === "invalid_type") {
    const expected = issue.expected === "int" ? "an integer" : issue.expected;
    const got = issue.expected === "int" ? JSON.stringify(actual) : describeValue(actual);
    return { path, missing: false, what: `expected ${expected}, got ${got}` };
  }
  if ((issue.code === "too_small" || issue.code === "too_big") && /^Too (small|big)/.test(issue.message)) {
    const op = issue.code === "too_small" ? (issue.inclusive ? ">=" : ">") : issue.inclusive ? "<=" : "<";
    const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
    const what = issue.origin === "number" ? `expected a number ${op} ${bound}, got ${JSON.stringify(actual)}`
      : issue.origin === "string" ? `expected a string of length ${op} ${bound}`
      : `expected ${op} ${bound} items`;
    return { path, missing: false, what };
  }
  if (issue.code === "invalid_value") {
    return {
      path,
      missing: false,
      what: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${JSON.stringify(actual)}`,
    };
  }
  return { path, missing: false, what: issue.message };
}
