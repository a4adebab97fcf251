// OpenAI grader JSON (string_check, text_similarity, multi, ...) mapped onto Arbiter verifier
// specs. Other verifier areas extend the mapping with registerOpenAIGraderMapping.
import { z } from "zod";
import { configError, describeValue, VerifierConfigError, type ConfigPath } from "./errors.ts";
import { baseShape, templateString } from "./common.ts";
import { configErrorFromZod } from "./registry.ts";
import { SIMILARITY_METRICS, type SimilarityMetric } from "./similarity.ts";
import type { VerifierFactory, VerifierSpec } from "./types.ts";

/** Maps one OpenAI grader object (already known to have a string `type`) to an Arbiter spec. */
export type OpenAIGraderMapping = (grader: VerifierSpec, path: ConfigPath) => VerifierSpec;

const stringCheckSchema = z
  .object({
    name: baseShape.name,
    input: templateString.default("{{sample.output_text}}"),
    reference: templateString,
    operation: z.enum(["eq", "ne", "like", "ilike"]),
    pass_threshold: z.number().optional(),
  })
  .strict();

const OPENAI_METRICS = [...SIMILARITY_METRICS, "cosine", "meteor"] as const;

const textSimilaritySchema = z
  .object({
    name: baseShape.name,
    input: templateString.default("{{sample.output_text}}"),
    reference: templateString,
    evaluation_metric: z.enum(OPENAI_METRICS),
    pass_threshold: z.number().min(0).max(1).optional(),
  })
  .strict()
  .superRefine((g, ctx) => {
    if (g.evaluation_metric === "meteor") {
      ctx.addIssue({
        code: "custom",
        path: ["evaluation_metric"],
        message: `"meteor" is not supported (it needs WordNet synonyms and stemming); supported: ${SIMILARITY_METRICS.join(", ")}, and cosine through an embedding verifier`,
      });
    }
  });

function parseAt<T>(schema: z.ZodType<T>, grader: VerifierSpec, path: ConfigPath): T {
  const { type: _type, ...options } = grader;
  const parsed = schema.safeParse(options, { reportInput: true });
  if (!parsed.success) throw configErrorFromZod(parsed.error.issues).withPrefix(path);
  return parsed.data;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function mapStringCheck(grader: VerifierSpec, path: ConfigPath): VerifierSpec {
  const g = parseAt(stringCheckSchema, grader, path);
  const common = { input: g.input, reference: g.reference, ...optional("name", g.name) };
  switch (g.operation) {
    case "eq":
      return { type: "exact_match", ...common };
    case "ne":
      return { type: "exact_match", ...common, negate: true };
    case "like":
      return { type: "contains", ...common };
    case "ilike":
      return { type: "contains", ...common, ignore_case: true };
  }
}

function mapTextSimilarity(grader: VerifierSpec, path: ConfigPath): VerifierSpec {
  const g = parseAt(textSimilaritySchema, grader, path);
  const common = { input: g.input, reference: g.reference, ...optional("name", g.name), ...optional("pass_threshold", g.pass_threshold) };
  // Embedding cosine lives with the embedding verifier, registered under type "cosine".
  if (g.evaluation_metric === "cosine") return { type: "cosine", ...common };
  return { type: "similarity", metric: g.evaluation_metric as SimilarityMetric, ...common };
}

function mapMulti(grader: VerifierSpec, path: ConfigPath): VerifierSpec {
  const { type: _type, graders, ...rest } = grader;
  if (graders === null || typeof graders !== "object" || Array.isArray(graders)) {
    throw configError([...path, "graders"], `expected an object of named graders, got ${describeValue(graders)}`);
  }
  // The SDK types `graders` as one grader; the docs and wire use a map. Accept both.
  const entries: Array<[string, unknown]> =
    typeof (graders as { type?: unknown }).type === "string"
      ? [[String((graders as { name?: unknown }).name ?? "grader"), graders]]
      : Object.entries(graders);
  const mapped: Record<string, VerifierSpec> = {};
  for (const [name, sub] of entries) {
    if (sub !== null && typeof sub === "object" && (sub as { type?: unknown }).type === "multi") {
      throw configError([...path, "graders", name, "type"], "a multi grader cannot contain another multi grader");
    }
    mapped[name] = fromOpenAIGraderAt(sub, [...path, "graders", name]);
  }
  return { type: "multi", ...rest, graders: mapped };
}

const identity: OpenAIGraderMapping = (grader) => grader;

const MAPPINGS = new Map<string, OpenAIGraderMapping>([
  ["string_check", mapStringCheck],
  ["text_similarity", mapTextSimilarity],
  ["multi", mapMulti],
  // Verifiers owned elsewhere accept OpenAI's own shape under the same type name; they may
  // replace these with real mappings.
  ["python", identity],
  ["score_model", identity],
  ["label_model", identity],
]);

/** Lets another verifier area decide how an OpenAI grader type becomes an Arbiter spec. */
export function registerOpenAIGraderMapping(type: string, mapping: OpenAIGraderMapping): void {
  MAPPINGS.set(type, mapping);
}

export function openAIGraderTypes(): string[] {
  return [...MAPPINGS.keys()].sort();
}

function fromOpenAIGraderAt(json: unknown, path: ConfigPath): VerifierSpec {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw configError(path, `expected an OpenAI grader object, got ${describeValue(json)}`);
  }
  const type = (json as { type?: unknown }).type;
  if (typeof type !== "string") throw configError([...path, "type"], `expected a grader type string, got ${describeValue(type)}`);
  const mapping = MAPPINGS.get(type);
  if (!mapping) throw configError([...path, "type"], `unknown OpenAI grader type ${JSON.stringify(type)} (known: ${openAIGraderTypes().join(", ")})`);
  return mapping(json as VerifierSpec, path);
}

/** An OpenAI grader JSON object as an Arbiter verifier spec; throws VerifierConfigError naming the field. */
export function fromOpenAIGrader(json: unknown): VerifierSpec {
  return fromOpenAIGraderAt(json, []);
}

/** Factories so an OpenAI string_check / text_similarity object is itself a valid suite verifier. */
function openAIFactory<C>(kind: string, schema: z.ZodType<C>): VerifierFactory<C> {
  return {
    kind,
    schema,
    async create(config, services) {
      const spec = fromOpenAIGrader({ type: kind, ...(config as object) });
      try {
        const inner = await services.build(spec);
        return { ...inner, kind, verify: (ctx) => inner.verify(ctx) };
      } catch (err) {
        if (err instanceof VerifierConfigError && spec.type === "cosine" && err.issues.some((i) => i.path.join(".") === "type")) {
          throw configError(["evaluation_metric"], `"cosine" needs an embedding verifier registered as type "cosine", and none is`);
        }
        throw err;
      }
    },
  };
}

export const stringCheckFactory = openAIFactory("string_check", stringCheckSchema);
export const textSimilarityFactory = openAIFactory("text_similarity", textSimilaritySchema);
