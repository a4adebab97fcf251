// JSONL datasets: one JSON object per line, validated, ids checked for uniqueness.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { invalid } from "./errors.ts";
import { canonicalJson } from "./hash.ts";
import { jsonErrorOffset } from "./json-position.ts";
import { firstProblem, formatPath, sampleSchema } from "./schema.ts";
import type { Sample } from "./types.ts";

/** A sample plus the line it came from (for error messages further down the load). */
export interface LocatedSample {
  sample: Sample;
  line: number;
}

/** The id of a sample that has none: stable in its content, independent of its line. */
export function deriveId(raw: Record<string, unknown>): string {
  return "h" + createHash("sha256").update(canonicalJson(raw)).digest("hex").slice(0, 16);
}

/** Validates one decoded item; `where` prefixes errors (`file:line`). */
export function toSample(raw: unknown, where: { file: string; line?: number }): Sample {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    const got = raw === null ? "null" : Array.isArray(raw) ? "array" : typeof raw;
    throw invalid(where, undefined, `expected a JSON object {"id": ..., "input": ...}, got ${got}`);
  }
  const parsed = sampleSchema.safeParse(raw);
  if (!parsed.success) {
    const p = firstProblem(parsed.error, raw);
    throw invalid(where, undefined, `field "${formatPath(p.path)}": ${p.what}`);
  }
  const obj = raw as Record<string, unknown>;
  return (typeof obj.id === "string" ? obj : { ...obj, id: deriveId(obj) }) as Sample;
}


/** Parses JSONL text; blank lines are skipped, a UTF-8 BOM and CRLF endings are accepted. */
export function parseJsonl(text: string, file: string): LocatedSample[] {
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  const out: LocatedSample[] = [];
  const seen = new Map<string, number>();
  lines.forEach((rawLine, i) => {
    const line = i + 1;
    const src = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine;
    if (src.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(src);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const offset = jsonErrorOffset(src);
      const where = offset < 0 ? { file, line } : { file, line, column: offset + 1 };
      throw invalid(where, undefined, `invalid JSON: ${msg.replace(/\s*\(line \d+ column \d+\)/, "")}`);
    }
    const sample = toSample(value, { file, line });
    const first = seen.get(sample.id);
    if (first !== undefined) {
      throw invalid({ file, line }, undefined, `duplicate id "${sample.id}" (first used at line ${first})`);
    }
    seen.set(sample.id, line);
    out.push({ sample, line });
  });
  if (out.length === 0) throw invalid({ file }, undefined, "dataset is empty: expected one JSON object per line");
  return out;
}

export async function readJsonl(absPath: string, displayPath: string): Promise<LocatedSample[]> {
  let text: string;
  try {
    text = await readFile(absPath, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalid({ file: displayPath }, undefined, code === "ENOENT" ? "dataset file not found" : `cannot read dataset (${code})`);
  }
  return parseJsonl(text, displayPath);
}
