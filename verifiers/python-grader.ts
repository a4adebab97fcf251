// python: OpenAI's python grader shape ({source defining grade(sample, item) -> float,
// pass_threshold?}) run in the program sandbox; the score comes back over the result channel.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { errorVerdict, lazySandbox, outputTail, runForReport, runLimits, sandboxOptionsShape } from "./sandbox/verdict.ts";
import type { SandboxPaths } from "./sandbox/types.ts";
import type { Verdict, VerifierFactory } from "./types.ts";

const RUNNER = fs.readFileSync(path.join(import.meta.dirname, "sandbox", "runners", "py_grader.py"));

const schema = z
  .object({
    name: z.string().optional(),
    source: z.string().min(1),
    pass_threshold: z.number().optional(),
    /** OpenAI's image tag; accepted and ignored (the host's python3 runs the grader). */
    image_tag: z.string().optional(),
    ...sandboxOptionsShape,
  })
  .strict();

export type PythonGraderConfig = z.infer<typeof schema>;

/** OpenAI's grader sample namespace: output_text, and output_json when the text is JSON. */
export function graderSample(output: string): Record<string, unknown> {
  const sample: Record<string, unknown> = { output_text: output };
  try {
    sample.output_json = JSON.parse(output);
  } catch {
    /* not JSON */
  }
  return sample;
}

export const pythonGraderFactory: VerifierFactory<PythonGraderConfig> = {
  kind: "python",
  schema,
  create(config) {
    const sandbox = lazySandbox(config);
    const limits = runLimits(config);
    return {
      kind: "python",
      async verify(ctx): Promise<Verdict> {
        const item = { ...ctx.sample, ...(ctx.sample.reference !== undefined ? { reference: ctx.sample.reference } : {}) };
        const req = {
          readonlyFiles: {
            "arbiter_grader.py": RUNNER,
            "grader.py": config.source,
            "input.json": JSON.stringify({ sample: graderSample(ctx.output), item }),
          },
          argv: (p: SandboxPaths) => [p.python, "-I", "-B", `${p.readonly}/arbiter_grader.py`, `${p.readonly}/grader.py`, `${p.readonly}/input.json`],
          limits,
        };
        const got = await runForReport(sandbox, req, { signal: ctx.signal, maxBytes: 64 * 1024 });
        if ("verdict" in got) return got.verdict;
        const { res, report: r } = got;
        const tier = res.tier;
        if (typeof r.exception === "string") return errorVerdict("crash", `grade() raised ${r.exception}`, { tier, details: outputTail(res) });
        if (typeof r.invalid === "string") return errorVerdict("invalid_output", r.invalid, { tier });
        const score = r.score;
        if (typeof score !== "number" || !Number.isFinite(score)) return errorVerdict("invalid_output", "the grader report has no score", { tier });
        // OpenAI: graders return a grade in [0, 1]; a value outside it is a grader bug, not a reward.
        if (score < 0 || score > 1) return errorVerdict("invalid_output", `grade() returned ${score}, expected a number in [0, 1]`, { tier });
        const verdict: Verdict = { reward: score, tier, details: outputTail(res) };
        if (config.pass_threshold !== undefined) verdict.pass = score >= config.pass_threshold;
        return verdict;
      },
    };
  },
};
