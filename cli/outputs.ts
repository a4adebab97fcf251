// Writes the report files asked for, prints the console table, appends to $GITHUB_STEP_SUMMARY.
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { renderJUnit } from "../harness/report/junit.ts";
import { renderMarkdown } from "../harness/report/markdown.ts";
import { renderTable } from "../harness/report/table.ts";
import type { ReportV1 } from "../harness/report/types.ts";

export interface OutputPaths {
  out?: string | undefined;
  markdown?: string | undefined;
  junit?: string | undefined;
}

async function write(path: string, text: string): Promise<void> {
  const abs = resolve(path);
  await mkdir(dirname(abs), { recursive: true });
  await writeFile(abs, text);
}

export async function writeOutputs(report: ReportV1, paths: OutputPaths): Promise<void> {
  const markdown = renderMarkdown(report);
  if (paths.out !== undefined) await write(paths.out, JSON.stringify(report, null, 2) + "\n");
  if (paths.markdown !== undefined) await write(paths.markdown, markdown);
  if (paths.junit !== undefined) await write(paths.junit, renderJUnit(report));
  const summary = process.env["GITHUB_STEP_SUMMARY"];
  if (summary !== undefined && summary !== "") await appendFile(summary, markdown + "\n");
  process.stdout.write(renderTable(report));
}

export const REPORT_FORMATS = ["table", "md", "json", "junit"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function printReport(report: ReportV1, format: ReportFormat): void {
  const text = {
    table: () => renderTable(report),
    md: () => renderMarkdown(report),
    json: () => JSON.stringify(report, null, 2) + "\n",
    junit: () => renderJUnit(report),
  }[format]();
  process.stdout.write(text);
}
