// JUnit XML: one testsuite per run, one testcase per task, a <failure> when the task regressed.
import { fmt, interval, meanCi, pct, pvalue, signed } from "./format.ts";
import type { ReportV1, TaskReport } from "./types.ts";

/** Escapes text and attribute values; drops characters XML 1.0 forbids. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function describe(t: TaskReport): string {
  const lines = [
    `mean reward ${meanCi(t)} (95% CI ${interval(t.summary.ci95)}), pass rate ${pct(t.summary.passRate)}`,
    `${t.summary.items} items × ${t.summary.k} samples, ${t.summary.errors} verifier errors`,
  ];
  const c = t.comparison;
  if (c) {
    lines.push(`vs baseline: delta ${signed(c.delta)} ${interval(c.ci95)}, p=${pvalue(c.pValue)}, adjusted p=${pvalue(c.pAdjusted)} (${c.test})`);
  }
  return lines.join("\n");
}

export function renderJUnit(r: ReportV1): string {
  const failures = r.tasks.filter((t) => t.status === "regression").length;
  const seconds = r.timings ? (r.timings.totalMs / 1000).toFixed(3) : "0";
  const suiteName = xmlEscape(`${r.suite.name}@${r.suite.version}`);
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="arbiter" tests="${r.tasks.length}" failures="${failures}" errors="0" time="${seconds}">`,
    `  <testsuite name="${suiteName}" tests="${r.tasks.length}" failures="${failures}" errors="0" skipped="0" time="${seconds}" timestamp="${xmlEscape(r.generatedAt)}">`,
    `    <properties>`,
    `      <property name="run" value="${xmlEscape(r.run.id)}"/>`,
    `      <property name="policy" value="${xmlEscape(r.policy.spec)}"/>`,
    `      <property name="contentHash" value="${xmlEscape(r.suite.contentHash)}"/>`,
    `    </properties>`,
  ];
  for (const t of r.tasks) {
    out.push(`    <testcase classname="${suiteName}" name="${xmlEscape(t.name)}" time="0">`);
    if (t.status === "regression" && t.comparison) {
      const msg = `regression: mean ${fmt(t.comparison.currentMean)} vs baseline ${fmt(t.comparison.baselineMean)} (delta ${signed(t.comparison.delta)}, adjusted p=${pvalue(t.comparison.pAdjusted)})`;
      out.push(`      <failure type="regression" message="${xmlEscape(msg)}">${xmlEscape(describe(t))}</failure>`);
    }
    out.push(`      <system-out>${xmlEscape(describe(t))}</system-out>`, `    </testcase>`);
  }
  out.push(`  </testsuite>`, `</testsuites>`, "");
  return out.join("\n");
}
