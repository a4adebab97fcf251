// The "js" verifier: a user-registered JavaScript grade(sample, item), the JS counterpart of
// OpenAI's python grader, run in isolated-vm inside forked worker processes (verifiers/isolate/).
import { z } from "zod";
import { errorVerdict, messageOf } from "./common.ts";
import { IsolatePool, type IsolatePoolOptions } from "./isolate/pool.ts";
import type { CallOut } from "./isolate/protocol.ts";
import type { Verdict, Verifier, VerifierFactory, VerifyContext } from "./types.ts";

export const jsGraderSchema = z.strictObject({
  name: z.string().optional(),
  /** JavaScript source defining grade(sample, item) → number | boolean | {score, reason?}. */
  source: z.string().min(1, "source must contain a grade(sample, item) function"),
  /** Verdict.pass is reward ≥ pass_threshold. */
  pass_threshold: z.number().finite().default(1),
  timeout_ms: z.number().int().positive().max(600_000).default(1000),
  memory_limit_mb: z.number().int().min(8).max(4096).default(64),
  max_result_bytes: z.number().int().positive().max(16 * 1024 * 1024).default(64 * 1024),
  workers: z.number().int().positive().max(256).optional(),
});
export type JsGraderConfig = z.infer<typeof jsGraderSchema>;

/** The `sample` argument a grader sees (OpenAI grader shape). */
export interface GraderSample {
  output_text: string;
  output_json: unknown;
}

export function graderSample(output: string): GraderSample {
  let output_json: unknown = null;
  try {
    output_json = JSON.parse(output);
  } catch {
    // Not JSON: output_json stays null, as in OpenAI graders.
  }
  return { output_text: output, output_json };
}

/** Turns one worker result into a Verdict; the host trusts nothing the isolate produced. */
export function toVerdict(r: CallOut, passThreshold: number, maxChars: number): Verdict {
  if (!r.ok) return errorVerdict(r.kind, r.message, { tier: "isolate" });
  const bad = (message: string): Verdict => errorVerdict("invalid_output", message, { tier: "isolate" });
  if (typeof r.json !== "string" || r.json.length > maxChars) return bad(`grader result exceeds ${maxChars} characters`);
  let v: unknown;
  try {
    v = JSON.parse(r.json);
  } catch {
    return bad("grader result is not valid JSON");
  }
  let score: unknown = v;
  let reason: string | undefined;
  if (typeof v === "boolean") score = v ? 1 : 0;
  else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    const keys = Object.keys(v);
    const extra = keys.filter((k) => k !== "score" && k !== "reason");
    if (extra.length > 0) return bad(`grader result has unexpected field(s) ${extra.map((k) => JSON.stringify(k)).join(", ")}; expected {score, reason?}`);
    const desc = Object.getOwnPropertyDescriptor(v, "score");
    score = desc?.value;
    const r2 = Object.getOwnPropertyDescriptor(v, "reason")?.value;
    if (r2 !== undefined && typeof r2 !== "string") return bad("grader result field reason must be a string");
    reason = r2;
  }
  if (typeof score !== "number" || !Number.isFinite(score)) {
    return bad("grader must return a finite number, a boolean or {score: number, reason?: string}");
  }
  const verdict: Verdict = { reward: score, pass: score >= passThreshold, tier: "isolate" };
  if (reason !== undefined) verdict.reason = reason.slice(0, 2000);
  return verdict;
}

export class JsGrader implements Verifier {
  readonly kind = "js";
  readonly pool: IsolatePool;
  readonly #config: JsGraderConfig;

  constructor(config: JsGraderConfig, pool?: IsolatePool) {
    this.#config = config;
    const opts: IsolatePoolOptions = {
      code: config.source,
      limits: { timeoutMs: config.timeout_ms, memoryLimitMb: config.memory_limit_mb, maxResultChars: config.max_result_bytes },
    };
    if (config.workers !== undefined) opts.size = config.workers;
    this.pool = pool ?? new IsolatePool(opts);
  }

  async verify(ctx: VerifyContext): Promise<Verdict> {
    let item: string;
    try {
      item = JSON.stringify(ctx.sample);
    } catch (err) {
      return errorVerdict("crash", `sample ${ctx.sample.id} cannot be encoded as JSON for the grader: ${messageOf(err)}`, { tier: "isolate" });
    }
    const r = await this.pool.call(JSON.stringify(graderSample(ctx.output)), item);
    return toVerdict(r, this.#config.pass_threshold, this.#config.max_result_bytes);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export const jsGraderFactory: VerifierFactory<JsGraderConfig> = {
  kind: "js",
  schema: jsGraderSchema as unknown as z.ZodType<JsGraderConfig>,
  async create(config) {
    const g = new JsGrader(config);
    // Compile errors surface here, at registration, not as a verdict on every sample.
    try {
      await g.pool.start();
    } catch (err) {
      await g.close();
      throw err;
    }
    return g;
  },
};
