// multi: named sub-verifiers combined by a weighted mean or by a formula over their names
// (OpenAI's multi grader: {graders: {name: grader}, calculate_output: "(a + b) / 2"}).
import { z } from "zod";
import { VerifierConfigError } from "./errors.ts";
import { compileFormula, FormulaError, type Formula } from "./formula.ts";
import type { Verdict, Verifier, VerifierFactory, VerifierSpec, VerifyContext } from "./types.ts";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const specSchema = z.custom<VerifierSpec>(
  (v) => v !== null && typeof v === "object" && !Array.isArray(v) && typeof (v as { type?: unknown }).type === "string",
  { message: 'expected a verifier spec object with a string "type"' },
);

const schema = z
  .object({
    name: z.string().optional(),
    graders: z.record(z.string().regex(NAME, "grader names must be identifiers ([A-Za-z_][A-Za-z0-9_]*) so formulas can use them"), specSchema),
    /** A formula over grader names; when absent, the weighted mean of the rewards. */
    calculate_output: z.string().optional(),
    /** Weights for the mean (default 1 each); ignored when calculate_output is set. */
    weights: z.record(z.string(), z.number().nonnegative()).optional(),
    /** Pass when the combined reward reaches this; when absent, pass when every sub-verifier passes. */
    pass_threshold: z.number().optional(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const names = Object.keys(cfg.graders);
    if (names.length === 0) ctx.addIssue({ code: "custom", path: ["graders"], message: "expected at least one grader" });
    for (const k of Object.keys(cfg.weights ?? {})) {
      if (!Object.hasOwn(cfg.graders, k)) ctx.addIssue({ code: "custom", path: ["weights", k], message: `no grader named "${k}" (graders: ${names.join(", ")})` });
    }
    if (cfg.calculate_output !== undefined) {
      try {
        compileFormula(cfg.calculate_output, names);
      } catch (err) {
        if (!(err instanceof FormulaError)) throw err;
        ctx.addIssue({ code: "custom", path: ["calculate_output"], message: `invalid formula: ${err.message}` });
      }
    }
  });

export type MultiConfig = z.infer<typeof schema>;

export const multiFactory: VerifierFactory<MultiConfig> = {
  kind: "multi",
  schema,
  async create(config, services) {
    const names = Object.keys(config.graders);
    const children = new Map<string, Verifier>();
    for (const name of names) {
      try {
        children.set(name, await services.build(config.graders[name] as VerifierSpec));
      } catch (err) {
        throw err instanceof VerifierConfigError ? err.withPrefix(["graders", name]) : err;
      }
    }
    const formula: Formula | undefined = config.calculate_output === undefined ? undefined : compileFormula(config.calculate_output, names);
    const weights = new Map(names.map((n) => [n, config.weights?.[n] ?? 1]));
    const totalWeight = [...weights.values()].reduce((a, b) => a + b, 0);

    const combine = (verdicts: Map<string, Verdict>): Verdict => {
      const rewards = new Map<string, number>();
      for (const [n, v] of verdicts) rewards.set(n, v.error ? 0 : v.reward);
      const reward = formula
        ? formula.evaluate(rewards)
        : totalWeight === 0
          ? 0
          : names.reduce((acc, n) => acc + (weights.get(n) ?? 0) * (rewards.get(n) ?? 0), 0) / totalWeight;
      const sub = Object.fromEntries([...verdicts].map(([n, v]) => [n, { reward: v.reward, pass: v.pass ?? null, reason: v.reason ?? null, ...(v.error ? { error: v.error } : {}) }]));
      const failed = [...verdicts].find(([, v]) => v.error);
      const details = { sub_rewards: Object.fromEntries(rewards), graders: sub, ...(formula ? { calculate_output: formula.source } : {}) };
      if (!Number.isFinite(reward)) {
        return { reward: 0, pass: false, reason: `calculate_output gave ${reward}`, details, error: { kind: "invalid_output", message: `calculate_output ${JSON.stringify(formula?.source)} gave ${reward}` } };
      }
      const pass = config.pass_threshold !== undefined ? reward >= config.pass_threshold : [...verdicts.values()].every((v) => v.pass === true);
      const verdict: Verdict = {
        reward,
        pass: failed ? false : pass,
        reason: names.map((n) => `${n}=${(rewards.get(n) ?? 0).toFixed(3)}`).join(", "),
        details,
      };
      if (failed) verdict.error = { kind: failed[1].error?.kind ?? "crash", message: `graders.${failed[0]}: ${failed[1].error?.message ?? ""}` };
      return verdict;
    };

    return {
      kind: "multi",
      async verify(ctx: VerifyContext) {
        const verdicts = await Promise.all(names.map(async (n) => [n, await (children.get(n) as Verifier).verify(ctx)] as const));
        return combine(new Map(verdicts));
      },
      // Children with a group form (batched reward models, pairwise judges) see the whole group.
      async verifyGroup(ctxs: VerifyContext[]) {
        const perChild = await Promise.all(
          names.map(async (n) => {
            const child = children.get(n) as Verifier;
            return child.verifyGroup ? child.verifyGroup(ctxs) : Promise.all(ctxs.map((c) => child.verify(c)));
          }),
        );
        return ctxs.map((_, i) => combine(new Map(names.map((n, k) => [n, perChild[k]?.[i] ?? { reward: 0, error: { kind: "crash" as const, message: "missing verdict" } }]))));
      },
      async close() {
        await Promise.all([...children.values()].map((c) => c.close?.()));
      },
    };
  },
};
