// Builders for real suites and replay files on disk, shared by the harness and CLI tests.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface FixtureTask {
  name: string;
  items: number;
  /** Whether sample j of item i is answered correctly. */
  correct: (i: number, j: number) => boolean;
}

export function tempDir(prefix = "arbiter-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const itemId = (task: string, i: number): string => `${task}-${i}`;
export const answer = (task: string, i: number): string => `answer ${task} ${i}`;

/** Writes suite.yaml + one JSONL per task (exact_match on `reference`) and returns the suite dir. */
export function writeSuite(dir: string, tasks: readonly FixtureTask[], name = "fixture", version = "1"): string {
  mkdirSync(dir, { recursive: true });
  const lines = [`name: ${name}`, `version: "${version}"`, "tasks:"];
  for (const t of tasks) {
    lines.push(`  - name: ${t.name}`, `    dataset: ${t.name}.jsonl`, "    prompt: \"Q: {{item.question}}\"", "    verifier: {type: exact_match, normalize: [trim]}");
    const rows: string[] = [];
    for (let i = 0; i < t.items; i++) {
      rows.push(JSON.stringify({ id: itemId(t.name, i), question: `what is ${t.name} ${i}?`, reference: answer(t.name, i) }));
    }
    writeFileSync(join(dir, `${t.name}.jsonl`), rows.join("\n") + "\n");
  }
  writeFileSync(join(dir, "suite.yaml"), lines.join("\n") + "\n");
  return dir;
}

/** Writes a replay JSONL (OpenAI `jsonl` data-source shape) with K samples per item. */
export function writeReplay(file: string, tasks: readonly FixtureTask[], K: number, tag = ""): string {
  const out: string[] = [];
  for (const t of tasks) {
    for (let i = 0; i < t.items; i++) {
      for (let j = 0; j < K; j++) {
        const text = t.correct(i, j) ? answer(t.name, i) : `wrong ${j}${tag}`;
        out.push(JSON.stringify({ item: { id: itemId(t.name, i) }, sample: { output_text: text } }));
      }
    }
  }
  writeFileSync(file, out.join("\n") + "\n");
  return file;
}

/** The mean reward a fixture task must get, computed from its definition. */
export function expectedMean(t: FixtureTask, K: number): number {
  let s = 0;
  for (let i = 0; i < t.items; i++) for (let j = 0; j < K; j++) s += t.correct(i, j) ? 1 : 0;
  return s / (t.items * K);
}
