// Temp suite folders for error-path tests.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** Writes `files` (relative path -> content) under a fresh temp dir and returns its path. */
export function suiteDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "arbiter-suite-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

export const MANIFEST = `name: demo
version: "1"
tasks:
  - name: t1
    dataset: data.jsonl
    prompt: "Q: {{item.question}}"
    verifier:
      type: exact_match
`;

export const DATA = jsonl([
  { id: "a", question: "one?", reference: "1" },
  { id: "b", question: "two?", reference: "2" },
  { id: "c", question: "three?", reference: "3" },
]);
