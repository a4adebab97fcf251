// Model-graded judges in OpenAI's shapes: "score_model" (a number within `range`) and
// "label_model" (one of `labels`; passes on `passing_labels`). The judge model is any Policy,
// reached through services.policy(model) or handed in directly.
import { z } from "zod";
import type { Policy } from "../harness/policy/types.ts";
import type { ChatMessage, SamplingParams } from "../tasks/types.ts";
import { errorVerdict, messageOf, unavailable } from "./common.ts";
import { configError } from "./errors.ts";
import { checkTemplate, renderTemplate, scopeOf } from "./template.ts";
import type { Verdict, Verifier, VerifierFactory, VerifierServices, VerifyContext } from "./types.ts";

const textPart = z.strictObject({ type: z.enum(["input_text", "output_text"]), text: z.string() });
const content = z.union([z.string(), textPart, z.array(z.union([z.string(), textPart])).min(1)]);
const message = z.strictObject({
  role: z.enum(["system", "user", "assistant", "developer"]),
  content,
  type: z.literal("message").optional(),
});

const samplingParams = z
  .strictObject({
    max_completions_tokens: z.number().int().positive().nullable().optional(),
    reasoning_effort: z.string().nullable().optional(),
    seed: z.number().int().nullable().optional(),
    temperature: z.number().min(0).nullable().optional(),
    top_p: z.number().gt(0).max(1).nullable().optional(),
  })
  .optional();

const common = {
  name: z.string().optional(),
  /** The judge policy, as a policy spec string (e.g. "openai:gpt-4o@http://..."). */
  model: z.string().min(1),
  input: z.array(message).min(1, "input needs at least one message").superRefine((msgs, ctx) => {
    msgs.forEach((m, i) => {
      for (const t of texts(m.content)) {
        try {
          checkTemplate(t);
        } catch (err) {
          ctx.addIssue({ code: "custom", path: [i, "content"], message: (err as Error).message });
        }
      }
    });
  }),
  sampling_params: samplingParams,
  /** Append a system message asking for {"result": ...} (OpenAI enforces it with structured outputs). */
  output_instructions: z.boolean().default(true),
};

export const scoreModelSchema = z.strictObject({
  ...common,
  range: z.tuple([z.number(), z.number()]).refine(([lo, hi]) => hi > lo, { message: "range must be [min, max] with max > min" }).default([0, 1]),
  pass_threshold: z.number().optional(),
});
export const labelModelSchema = z
  .strictObject({
    ...common,
    labels: z.array(z.string().min(1)).min(2, "labels needs at least two labels"),
    passing_labels: z.array(z.string().min(1)).min(1, "passing_labels needs at least one label"),
  })
  .superRefine((g, ctx) => {
    g.passing_labels.forEach((l, i) => {
      if (!g.labels.includes(l)) ctx.addIssue({ code: "custom", path: ["passing_labels", i], message: `${JSON.stringify(l)} is not one of labels (${g.labels.join(", ")})` });
    });
  });
export type ScoreModelConfig = z.infer<typeof scoreModelSchema>;
export type LabelModelConfig = z.infer<typeof labelModelSchema>;

type Content = z.infer<typeof content>;
function texts(c: Content): string[] {
  const parts = Array.isArray(c) ? c : [c];
  return parts.map((p) => (typeof p === "string" ? p : p.text));
}

export function renderMessages(input: ScoreModelConfig["input"], ctx: VerifyContext): ChatMessage[] {
  const scope = scopeOf(ctx);
  return input.map((m) => ({ role: m.role, content: texts(m.content).map((t) => renderTemplate(t, scope)).join("\n") }));
}

function toParams(p: ScoreModelConfig["sampling_params"]): SamplingParams {
  const out: SamplingParams = { temperature: p?.temperature ?? 0 };
  if (p?.top_p != null) out.topP = p.top_p;
  if (p?.max_completions_tokens != null) out.maxTokens = p.max_completions_tokens;
  if (p?.seed != null) out.seed = p.seed;
  return out;
}

/** The first JSON object in the text (also inside ``` fences), or undefined. */
function jsonObject(text: string): Record<string, unknown> | undefined {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start < 0 || end <= start) return undefined;
  try {
    const v: unknown = JSON.parse(text.slice(start, end + 1));
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;

/** A judge's score: {"result": x} JSON, a bare number, or "result/score/rating: x". */
export function parseScore(text: string): number | undefined {
  const obj = jsonObject(text);
  if (obj) {
    const r = obj["result"] ?? obj["score"];
    const n = typeof r === "number" ? r : typeof r === "string" && new RegExp(`^\\s*${NUMBER}\\s*$`).test(r) ? Number(r) : NaN;
    return Number.isFinite(n) ? n : undefined;
  }
  const t = text.trim();
  if (new RegExp(`^${NUMBER}$`).test(t)) return Number(t);
  const m = new RegExp(`\\b(?:result|score|rating)\\b\\s*[:=]\\s*(${NUMBER})`, "i").exec(t);
  return m ? Number(m[1]) : undefined;
}

/** A judge's label: {"result": "label"} JSON, the bare label, or the one label named in the text. */
export function parseLabel(text: string, labels: string[]): string | undefined {
  const obj = jsonObject(text);
  const raw = obj ? obj["result"] ?? obj["label"] : text;
  if (typeof raw !== "string") return undefined;
  const clean = raw.trim().replace(/^["'`*]+|["'`*.!]+$/g, "").trim().toLowerCase();
  const exact = labels.find((l) => l.toLowerCase() === clean);
  if (exact !== undefined || obj) return exact;
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const named = labels.filter((l) => new RegExp(`(?<![\\w-])${escape(l)}(?![\\w-])`, "i").test(raw));
  return named.length === 1 ? named[0] : undefined;
}

abstract class Judge implements Verifier {
  abstract readonly kind: string;
  readonly policy: Policy;
  readonly #input: ScoreModelConfig["input"];
  readonly #params: SamplingParams;
  readonly #instructions: string | undefined;

  constructor(config: ScoreModelConfig | LabelModelConfig, policy: Policy, instructions: string) {
    this.policy = policy;
    this.#input = config.input;
    this.#params = toParams(config.sampling_params);
    this.#instructions = config.output_instructions ? instructions : undefined;
  }

  protected abstract judge(text: string): Verdict;

  async verify(ctx: VerifyContext): Promise<Verdict> {
    const [v] = await this.verifyGroup([ctx]);
    return v!;
  }

  /** One generate() call for the whole group, so the policy can batch it. */
  async verifyGroup(ctxs: VerifyContext[]): Promise<Verdict[]> {
    const out: Verdict[] = new Array(ctxs.length);
    const requests = [];
    const slots: number[] = [];
    for (const [i, ctx] of ctxs.entries()) {
      try {
        const messages = renderMessages(this.#input, ctx);
        if (this.#instructions) messages.push({ role: "system", content: this.#instructions });
        requests.push({ itemId: ctx.sample.id, prompt: messages, n: 1, params: this.#params });
        slots.push(i);
      } catch (err) {
        out[i] = unavailable(err);
      }
    }
    if (requests.length > 0) {
      let completions: Awaited<ReturnType<Policy["generate"]>>;
      try {
        completions = await this.policy.generate(requests, ctxs[0]?.signal);
      } catch (err) {
        const v = errorVerdict("unavailable", `judge model ${this.policy.id} failed: ${messageOf(err)}`);
        for (const i of slots) out[i] = v;
        return out;
      }
      slots.forEach((i, r) => {
        const text = completions[r]?.[0]?.text;
        out[i] = typeof text === "string"
          ? this.judge(text)
          : errorVerdict("invalid_output", "judge model returned no completion");
      });
    }
    return out;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function snippet(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 197)}...` : text);
}

export class ScoreModelJudge extends Judge {
  readonly kind = "score_model";
  readonly #range: [number, number];
  readonly #threshold: number | undefined;

  constructor(config: ScoreModelConfig, policy: Policy) {
    const [lo, hi] = config.range;
    super(config, policy, `Grade the response. Reply with JSON only: {"result": <a number from ${lo} to ${hi}>}.`);
    this.#range = [lo, hi];
    this.#threshold = config.pass_threshold;
  }

  protected judge(text: string): Verdict {
    const score = parseScore(text);
    const [lo, hi] = this.#range;
    if (score === undefined) return errorVerdict("invalid_output", `judge output has no score: ${snippet(text)}`);
    if (score < lo || score > hi) return errorVerdict("invalid_output", `judge score ${score} is outside range [${lo}, ${hi}]`);
    const v: Verdict = { reward: score, details: { normalized: (score - lo) / (hi - lo), judge_output: text.slice(0, 2000) } };
    if (this.#threshold !== undefined) v.pass = score >= this.#threshold;
    return v;
  }
}

export class LabelModelJudge extends Judge {
  readonly kind = "label_model";
  readonly #labels: string[];
  readonly #passing: Set<string>;

  constructor(config: LabelModelConfig, policy: Policy) {
    super(config, policy, `Reply with JSON only: {"result": <one of ${config.labels.map((l) => JSON.stringify(l)).join(", ")}>}.`);
    this.#labels = config.labels;
    this.#passing = new Set(config.passing_labels);
  }

  protected judge(text: string): Verdict {
    const label = parseLabel(text, this.#labels);
    if (label === undefined) {
      return errorVerdict("invalid_output", `judge output is not one of labels (${this.#labels.join(", ")}): ${snippet(text)}`);
    }
    const pass = this.#passing.has(label);
    return { reward: pass ? 1 : 0, pass, reason: `label ${label}`, details: { label } };
  }
}

async function judgePolicy(model: string, services: VerifierServices, given: Policy | undefined): Promise<Policy> {
  if (given) return given;
  if (!services.policy) throw configError(["model"], `judge model ${JSON.stringify(model)}: no policy service was given to reach it`);
  return services.policy(model);
}

/** Factories; `policy` overrides services.policy (tests, embedding in other code). */
export function scoreModelFactory(policy?: Policy): VerifierFactory<ScoreModelConfig> {
  return {
    kind: "score_model",
    schema: scoreModelSchema as unknown as z.ZodType<ScoreModelConfig>,
    async create(config, services) {
      return new ScoreModelJudge(config, await judgePolicy(config.model, services, policy));
    },
  };
}

export function labelModelFactory(policy?: Policy): VerifierFactory<LabelModelConfig> {
  return {
    kind: "label_model",
    schema: labelModelSchema as unknown as z.ZodType<LabelModelConfig>,
    async create(config, services) {
      return new LabelModelJudge(config, await judgePolicy(config.model, services, policy));
    },
  };
}
