// `arbiter report --db FILE --run-id ID`: rebuild a run's report from the store.
import { resolve } from "node:path";
import { existsSync } from "node:fs";
import { buildReport, inputFromStore } from "../../harness/report/build.ts";
import { readReport } from "../../harness/report/read.ts";
import { SqliteRunStore } from "../../harness/store/sqlite.ts";
import type { CompareOptions } from "../../harness/report/types.ts";
import { EXIT, UsageError } from "../errors.ts";
import { oneOf } from "../options.ts";
import { printReport, type ReportFormat, REPORT_FORMATS } from "../outputs.ts";
import { addCompareFlags, DEFAULT_DB } from "./eval.ts";
import type { CliCommand } from "./index.ts";

interface ReportFlags extends CompareOptions {
  db: string;
  runId?: string;
  format: ReportFormat;
  baseline?: string;
}

export const reportCommand: CliCommand = {
  register(program, ctx) {
    const cmd = program
      .command("report")
      .description("print the report of a stored run (lists runs when --run-id is absent)")
      .option("--db <file>", "SQLite file", DEFAULT_DB)
      .option("--run-id <id>", "the run")
      .option("--format <fmt>", `output: ${REPORT_FORMATS.join(" | ")}`, oneOf(REPORT_FORMATS), "table")
      .option("--baseline <report.json>", "compare against this report");
    addCompareFlags(cmd).action(async (flags: ReportFlags) => {
      if (!existsSync(flags.db)) throw new UsageError("no_db", `--db ${flags.db}: no such file`);
      const store = new SqliteRunStore(resolve(flags.db));
      try {
        if (flags.runId === undefined) {
          for (const r of store.listRuns()) {
            process.stdout.write(`${r.id}  ${r.status}  ${r.suiteName}@${r.suiteVersion}  ${r.spec.policy}  ${new Date(r.createdAt).toISOString()}\n`);
          }
          return;
        }
        const run = store.getRun(flags.runId);
        if (run === undefined) throw new UsageError("no_such_run", `--run-id ${flags.runId}: no such run in ${flags.db}`);
        const baseline = flags.baseline === undefined ? undefined : await readReport(flags.baseline);
        const compare: CompareOptions = { alpha: flags.alpha, margin: flags.margin, correction: flags.correction };
        const report = buildReport({ ...inputFromStore(run, store.rewards(run.id)), baseline, compare });
        printReport(report, flags.format);
        ctx.exitCode = report.totals.regressions > 0 ? EXIT.regression : EXIT.ok;
      } finally {
        store.close();
      }
    });
  },
};
