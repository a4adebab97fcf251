// Markdown summary for a PR comment or $GITHUB_STEP_SUMMARY: one row per task.
import { fmt, interval, meanCi, pct, pvalue, signed, STATUS_ICON, topK } from "./format.ts";
import type { ReportV1 } from "./types.ts";

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderMarkdown(r: ReportV1): string {
  const withBaseline = r.baseline !== undefined;
  const out: string[] = [];
  const gate = r.totals.regressions > 0 ? `❌ ${r.totals.regressions} regression(s)` : r.totals.warnings > 0 ? `⚠️ ${r.totals.warnings} warning(s)` : "✅ no regressions";
  out.push(`## Arbiter: ${cell(r.suite.name)}@${cell(r.suite.version)} — \`${cell(r.policy.spec)}\``, "");
  out.push(
    `${gate} · ${r.totals.tasks} task(s) · ${r.totals.samples} samples · ${r.totals.errors} verifier error(s) · run \`${r.run.id}\`` +
      (withBaseline ? ` · baseline \`${r.baseline!.runId}\` (α=${r.baseline!.alpha}, margin ${r.baseline!.margin}, ${r.baseline!.correction})` : ""),
    "",
  );
  const head = ["Task", "Status", "Mean ± 95% CI", "Pass rate", "pass@1", "pass@k"];
  if (withBaseline) head.push("Δ vs baseline", "Δ 95% CI", "p (adj.)");
  head.push("Items × K", "Errors");
  out.push(`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`);
  for (const t of r.tasks) {
    const k = topK(t);
    const row = [
      cell(t.name),
      `${STATUS_ICON[t.status]} ${cell(t.statusReason)}`,
      meanCi(t),
      pct(t.summary.passRate),
      t.summary.passAtK["1"] === undefined ? "—" : fmt(t.summary.passAtK["1"]),
      k === undefined ? "—" : `${fmt(t.summary.passAtK[k]!)} (k=${k})`,
    ];
    if (withBaseline) {
      const c = t.comparison;
      row.push(c ? signed(c.delta) : "—", c ? interval(c.ci95) : "—", c ? pvalue(c.pAdjusted) : "—");
    }
    row.push(`${t.summary.items} × ${t.summary.k}`, String(t.summary.errors));
    out.push(`| ${row.join(" | ")} |`);
  }
  out.push("");
  return out.join("\n");
}
