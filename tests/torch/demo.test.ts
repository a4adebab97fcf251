// The demo pipeline end to end with a small budget: both evals land in the run store, training
// changes the weights, the export is evaluated, the comparison pairs every item, the plot is written.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { clearDemoOutputs, DEMO_DEFAULTS, runDemo } from "../../scripts/demo.ts";

const MODEL = resolve(process.env["TINY_ARITH_DIR"] ?? "models/tiny-arith");

describe("arbiter demo (small budget)", () => {
  it("evaluates, trains, exports and compares on the same items", { timeout: 120_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), "arbiter-demo-"));
    const lines: string[] = [];
    const r = await runDemo({ ...DEMO_DEFAULTS, modelDir: MODEL, outDir: out, steps: 2, groupsPerStep: 4, evalItems: 30 }, (l) => lines.push(l));
    expect(r.history.map((h) => h.step)).toEqual([1, 2]);
    expect(r.comparison.pairedItems).toBe(30);
    expect(r.comparison.unpairedItems).toBe(0);
    const db = new DatabaseSync(join(out, "demo.db"));
    const counts = db.prepare("SELECT r.id AS run, COUNT(*) AS n FROM samples s JOIN runs r ON r.seq = s.run GROUP BY r.id ORDER BY r.id").all();
    db.close();
    expect(counts.map((c) => [c["run"], Number(c["n"])])).toEqual([["demo-baseline", 30 * DEMO_DEFAULTS.evalSamples], ["demo-finetuned", 30 * DEMO_DEFAULTS.evalSamples]]);
    expect(existsSync(join(out, "finetuned", "onnx", "model.onnx"))).toBe(true);
    const before = readFileSync(join(MODEL, "model.safetensors"));
    const after = readFileSync(join(out, "finetuned", "model.safetensors"));
    expect(after.length).toBe(before.length);
    expect(after.equals(before)).toBe(false);
    const html = readFileSync(r.htmlPath, "utf8");
    expect(html.match(/<polyline[^>]*points="([^"]*)"/)![1]!.trim().split(/\s+/).length).toBe(2);
    expect(lines.join("\n")).toMatch(/baseline-adjusted advantage [+-]\d+\.\d points, 95% CI/);
  });

  it("a rerun replaces only the demo's own outputs, never other files in --out", () => {
    const out = mkdtempSync(join(tmpdir(), "arbiter-demo-out-"));
    writeFileSync(join(out, "notes.txt"), "mine");
    mkdirSync(join(out, "finetuned", "onnx"), { recursive: true });
    writeFileSync(join(out, "finetuned", "onnx", "model.onnx"), "stale");
    for (const f of ["demo.db", "demo.db-wal", "metrics.json", "reward-curve.html"]) writeFileSync(join(out, f), "stale");
    clearDemoOutputs(out);
    expect(readdirSync(out)).toEqual(["notes.txt"]);
    expect(readFileSync(join(out, "notes.txt"), "utf8")).toBe("mine");
    const fresh = join(out, "new", "deeper");
    clearDemoOutputs(fresh);
    expect(readdirSync(fresh)).toEqual([]);
  });
});
