// A plain console table (stdout): aligned columns, no colours, readable in any CI log.
import { fmt, interval, meanCi, pct, pvalue, signed, topK } from "./format.ts";
import type { ReportV1 } from "./types.ts";

const LABEL = { pass: "ok", regression: "REGRESSION", warn: "warn" } as const;

export function renderTable(r: ReportV1): string {
  const withBaseline = r.baseline !== undefined;
  const head = ["task", "status", "mean ± ci95", "pass", "pass@k", "items×K", "errors"];
  if (withBaseline) head.push("delta", "delta ci95", "p adj");
  const rows = r.tasks.map((t) => {
    const k = topK(t);
    const row = [
      t.name, LABEL[t.status], meanCi(t), pct(t.summary.passRate),
      k === undefined ? "—" : `${fmt(t.summary.passAtK[k]!)}@${k}`,
      `${t.summary.items}×${t.summary.k}`, String(t.summary.errors),
    ];
    if (withBaseline) {
      const c = t.comparison;
      row.push(c ? signed(c.delta) : "—", c ? interval(c.ci95) : "—", c ? pvalue(c.pAdjusted) : "—");
    }
    return row;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => [...row[i]!].length)));
  const line = (cells: string[]) => cells.map((c, i) => c + " ".repeat(widths[i]! - [...c].length)).join("  ").trimEnd();
  const rate = r.timings ? ` in ${(r.timings.totalMs / 1000).toFixed(2)} s (${Math.round(r.timings.samplesPerSecond)} samples/s)` : "";
  return [
    `${r.suite.name}@${r.suite.version}  policy ${r.policy.spec}  run ${r.run.id}`,
    line(head),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    `${r.totals.samples} samples, ${r.totals.errors} verifier errors${rate}; ` +
      (r.totals.regressions > 0 ? `${r.totals.regressions} regression(s)` : "no regressions"),
    "",
  ].join("\n");
}
