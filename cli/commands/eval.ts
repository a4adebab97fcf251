// `arbiter eval`: load suite, policy and verifiers, run (or resume) into the store, write reports,
// exit 1 on a significant regression against a baseline report.
import { resolve } from "node:path";
import type { Command } from "commander";
import { deriveRunId, runEval } from "../../harness/run.ts";
import { SqliteRunStore } from "../../harness/store/sqlite.ts";
import { SqliteCompletionCache } from "../../harness/cache.ts";
import type { RunSpec } from "../../harness/types.ts";
import type { CompareOptions } from "../../harness/report/types.ts";
import { buildReport, inputFromStore } from "../../harness/report/build.ts";
import { readReport } from "../../harness/report/read.ts";
import { EXIT, UsageError } from "../errors.ts";
import { intAtLeast, list, numberIn, oneOf } from "../options.ts";
import { buildVerifiers, closeVerifiers, loadSuite, openPolicy } from "../setup.ts";
import { progressReporter } from "../progress.ts";
import { writeOutputs } from "../outputs.ts";
import type { CliCommand } from "./index.ts";

export const DEFAULT_DB = ".arbiter/arbiter.db";

interface EvalFlags {
  suite?: string;
  policy?: string;
  samples?: number;
  seed?: number;
  concurrency: number;
  batchSize: number;
  db: string;
  runId?: string;
  resume?: boolean;
  cache: boolean;
  out?: string;
  markdown?: string;
  junit?: string;
  baseline?: string;
  margin: number;
  alpha: number;
  correction: "holm" | "bh";
  tasks?: string[];
}

export function addCompareFlags(cmd: Command): Command {
  return cmd
    .option("--margin <x>", "a drop must exceed this to count as a regression", numberIn(0, 1), 0.02)
    .option("--alpha <p>", "significance level after correction", numberIn(0, 1, true), 0.05)
    .option("--correction <method>", "multiple-comparison correction across tasks: holm | bh", oneOf(["holm", "bh"] as const), "holm");
}

export const evalCommand: CliCommand = {
  register(program, ctx) {
    const cmd = program
      .command("eval")
      .description("run a suite against a policy, store every sample, write reports")
      .option("--suite <dir>", "suite folder or manifest")
      .option("--policy <spec>", "policy spec: replay:FILE, openai:MODEL[@URL], local:DIR")
      .option("--samples <k>", "completions per item (K)", intAtLeast(1))
      .option("--seed <n>", "base seed; sample i uses seed + i", intAtLeast(0))
      .option("--concurrency <n>", "batches in flight against the policy", intAtLeast(1), 4)
      .option("--batch-size <n>", "items per policy.generate call", intAtLeast(1), 16)
      .option("--db <file>", "SQLite file for runs, samples and the completion cache", DEFAULT_DB)
      .option("--run-id <id>", "run id (default: derived from the spec)")
      .option("--resume", "continue an existing run; with --run-id, suite and policy come from the store")
      .option("--no-cache", "do not read or write the completion cache")
      .option("--out <file>", "write the JSON report here")
      .option("--markdown <file>", "write the Markdown summary here")
      .option("--junit <file>", "write JUnit XML here")
      .option("--baseline <report.json>", "compare against this report (paired, per task)")
      .option("--tasks <a,b>", "run only these tasks", list);
    addCompareFlags(cmd).action(async (flags: EvalFlags) => {
      ctx.exitCode = await runEvalCommand(flags);
    });
  },
};

async function runEvalCommand(flags: EvalFlags): Promise<0 | 1> {
  const store = new SqliteRunStore(resolve(flags.db));
  try {
    const stored = flags.runId === undefined ? undefined : store.getRun(flags.runId);
    if (flags.resume === true && flags.runId !== undefined && stored === undefined) {
      throw new UsageError("no_such_run", `--resume --run-id ${flags.runId}: no such run in ${flags.db}`);
    }
    // Resuming by id alone: everything that decides results comes from the stored spec.
    const base = flags.resume === true ? stored?.spec : undefined;
    const suitePath = flags.suite ?? base?.suite;
    const policySpec = flags.policy ?? base?.policy;
    if (suitePath === undefined) throw new UsageError("missing_flag", "eval: --suite <dir> is required (or --resume --run-id ID)");
    if (policySpec === undefined) throw new UsageError("missing_flag", "eval: --policy <spec> is required (or --resume --run-id ID)");
    const spec: RunSpec = {
      suite: suitePath,
      policy: policySpec,
      samples: flags.samples ?? base?.samples ?? 1,
      seed: flags.seed ?? base?.seed ?? 0,
    };
    const tasks = flags.tasks ?? base?.tasks;
    if (tasks !== undefined) spec.tasks = tasks;
    if (base?.params !== undefined) spec.params = base.params;

    const compare: CompareOptions = { alpha: flags.alpha, margin: flags.margin, correction: flags.correction };
    const baseline = flags.baseline === undefined ? undefined : await readReport(flags.baseline);
    const suite = await loadSuite(suitePath);
    const runId = flags.runId ?? deriveRunId(spec, suite);
    if (flags.resume === true && store.getRun(runId) === undefined) {
      throw new UsageError("no_such_run", `--resume: run ${runId} is not in ${flags.db}; drop --resume to start it`);
    }
    const taskNames = spec.tasks ?? suite.tasks.map((t) => t.name);
    const policy = await openPolicy(policySpec);
    const verifiers = await buildVerifiers(suite, taskNames);
    const progress = progressReporter();
    const ac = new AbortController();
    const onSignal = () => ac.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      const result = await runEval(spec, {
        suite, policy, verifiers, store, runId, signal: ac.signal,
        options: { concurrency: flags.concurrency, batchSize: flags.batchSize },
        onProgress: (p) => progress.update(p),
        ...(flags.cache ? { cache: new SqliteCompletionCache(store.db) } : {}),
      });
      progress.stop();
      const input = inputFromStore(store.getRun(result.runId)!, result.rewards, taskNames);
      const report = buildReport({ ...input, timings: result.timings, baseline, compare });
      await writeOutputs(report, { out: flags.out, markdown: flags.markdown, junit: flags.junit });
      return report.totals.regressions > 0 ? EXIT.regression : EXIT.ok;
    } finally {
      progress.stop();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      await closeVerifiers(verifiers);
      await policy.close?.();
    }
  } finally {
    store.close();
  }
}
