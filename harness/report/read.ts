// Reads a JSON report from disk and checks the fields comparisons rely on.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { REPORT_SCHEMA_VERSION, type ReportV1 } from "./types.ts";

const itemSchema = z.object({
  itemId: z.string(),
  rewards: z.array(z.number()),
  passes: z.array(z.boolean()).optional(),
});

const reportSchema = z.looseObject({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION, { error: `expected schemaVersion ${REPORT_SCHEMA_VERSION}` }),
  run: z.looseObject({ id: z.string() }),
  suite: z.looseObject({ name: z.string(), version: z.string(), contentHash: z.string() }),
  policy: z.looseObject({ spec: z.string(), id: z.string() }),
  tasks: z.array(z.looseObject({ name: z.string(), items: z.array(itemSchema) })),
});

/** A report file that cannot be read or does not match the schema. */
export class ReportError extends Error {
  readonly code = "bad_report";
  constructor(message: string) {
    super(message);
    this.name = "ReportError";
  }
}

export async function readReport(path: string): Promise<ReportV1> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new ReportError(`${path}: cannot read report (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ReportError(`${path}: not JSON (${(e as Error).message})`);
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
    throw new ReportError(`${path}: ${where || "report"}: ${issue.message}`);
  }
  return json as ReportV1;
}
