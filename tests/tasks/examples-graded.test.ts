// The example suites against the real verifier registry: every verifier spec builds, and each
// replay file grades to a mix of passes and failures matching what the generator intended.
import path from "node:path";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadSuite } from "../../tasks/load.ts";
import { defaultRegistry } from "../../verifiers/builtin.ts";

const root = path.resolve(import.meta.dirname, "../..");

/** Independent judgement of each replayed answer, written from the generator's intent. */
const lastNumber = (t: string) => Number(/(-?\d+)(?!.*\d)/s.exec(t)?.[1]);
function parseJson(t: string): unknown {
  try {
    return JSON.parse(t.replace(/^```json\n|\n```$/g, ""));
  } catch {
    return undefined;
  }
}
const intended: Record<string, (out: string, ref: unknown) => boolean> = {
  arithmetic: (out, ref) => lastNumber(out) === ref,
  "json-extract": (out, ref) => JSON.stringify(parseJson(out)) === JSON.stringify(ref),
  "capitals-qa": (out, ref) => out.normalize("NFKC").trim().toLowerCase() === String(ref).toLowerCase(),
  "ts-suite": (out, ref) => out === ref,
};

describe("example suites graded by the built-in verifiers", () => {
  for (const [name, judge] of Object.entries(intended)) {
    it(`${name}: verdicts agree with the intended right/wrong split`, async () => {
      const suite = await loadSuite(path.join(root, "examples", name));
      const task = suite.tasks[0]!;
      const verifier = await defaultRegistry().build(task.verifier);
      const byId = new Map(task.dataset.map((s) => [s.id, s]));
      const rows = readFileSync(path.join(root, "examples", name, "replay.jsonl"), "utf8").trim().split("\n")
        .map((l) => JSON.parse(l) as { item: { id: string; reference: unknown }; sample: { output_text: string } });
      let passes = 0;
      for (const row of rows) {
        const sample = byId.get(row.item.id)!;
        const verdict = await verifier.verify({ sample, output: row.sample.output_text });
        expect(verdict.error, `${row.item.id}: ${row.sample.output_text}`).toBeUndefined();
        expect(verdict.pass === true, `${row.item.id}: ${JSON.stringify(row.sample.output_text)}`).toBe(judge(row.sample.output_text, row.item.reference));
        if (verdict.pass) passes++;
      }
      expect(passes / rows.length).toBeGreaterThan(0.2);
      expect(passes / rows.length).toBeLessThan(0.9);
      await verifier.close?.();
    });
  }
});
