// `arbiter compare BASELINE.json CURRENT.json`: paired per-task comparison of two reports.
import { buildReport, inputFromReport } from "../../harness/report/build.ts";
import { readReport } from "../../harness/report/read.ts";
import type { CompareOptions } from "../../harness/report/types.ts";
import { EXIT } from "../errors.ts";
import { oneOf } from "../options.ts";
import { printReport, type ReportFormat, REPORT_FORMATS } from "../outputs.ts";
import { addCompareFlags } from "./eval.ts";
import type { CliCommand } from "./index.ts";

export const compareCommand: CliCommand = {
  register(program, ctx) {
    const cmd = program
      .command("compare")
      .description("compare a report against a baseline report; exit 1 on a significant regression")
      .argument("<baseline>", "baseline report.json")
      .argument("<current>", "current report.json")
      .option("--format <fmt>", `output: ${REPORT_FORMATS.join(" | ")}`, oneOf(REPORT_FORMATS), "table");
    addCompareFlags(cmd).action(async (baselinePath: string, currentPath: string, flags: CompareOptions & { format: ReportFormat }) => {
      const [baseline, current] = await Promise.all([readReport(baselinePath), readReport(currentPath)]);
      const compare: CompareOptions = { alpha: flags.alpha, margin: flags.margin, correction: flags.correction };
      const report = buildReport({ ...inputFromReport(current), baseline, compare });
      printReport(report, flags.format);
      ctx.exitCode = report.totals.regressions > 0 ? EXIT.regression : EXIT.ok;
    });
  },
};
