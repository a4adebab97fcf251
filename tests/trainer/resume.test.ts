// A training process killed with SIGKILL resumes from its last checkpoint and continues the same
// metric series: every step exactly once, and the same values as a run that was never killed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { configFromFlags, runTrain, type TrainFlags } from "../../trainer/cli.ts";
import { readMetrics } from "../../trainer/metrics.ts";

const root = mkdtempSync(join(tmpdir(), "arbiter-resume-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const STEPS = 120;
const args = (out: string) => [
  "bin/arbiter.ts", "train", "--engine", "tabular:mdp", "--steps", String(STEPS), "--groups", "16", "--group-size", "8",
  "--lr", "0.05", "--checkpoint-every", "7", "--eval-every", "25", "--out", out, "--json",
];
const stable = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith("time/")));

describe("checkpoint / resume across SIGKILL", () => {
  it("resumes from the last checkpoint with no duplicated or missing steps, identical to an unkilled run", async () => {
    const out = join(root, "killed");
    const child = execa("node", args(out), { cwd: process.cwd(), reject: false, buffer: false });
    let seen = 0;
    await new Promise<void>((resolve) => {
      let pending = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        const lines = (pending + chunk.toString()).split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          if (line.startsWith("{") && JSON.parse(line).step >= 20 && seen === 0) {
            seen = JSON.parse(line).step;
            child.kill("SIGKILL");
            resolve();
          }
        }
      });
      void child.then(() => resolve());
    });
    const killed = await child;
    expect(killed.signal).toBe("SIGKILL");
    const partial = readMetrics(join(out, "metrics.jsonl"));
    expect(partial.length).toBeLessThan(STEPS); // it really died mid-training

    const resumed = await execa("node", args(out), { cwd: process.cwd() });
    const m = resumed.stdout.match(/resumed from step (\d+)/);
    expect(m, resumed.stdout.slice(-500)).not.toBeNull();
    const from = Number(m![1]);
    console.log(`[resume] killed after seeing step ${seen} (${partial.length} rows on disk), resumed from checkpoint step ${from}`);
    expect(from % 7).toBe(0);
    expect(from).toBeGreaterThanOrEqual(seen - 7);
    expect(from).toBeLessThan(STEPS);

    const series = readMetrics(join(out, "metrics.jsonl"));
    expect(series.map((r) => r.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));

    // The same run, never interrupted, in-process.
    const clean = join(root, "clean");
    const flags: TrainFlags = { engine: "tabular:mdp", steps: String(STEPS), groups: "16", groupSize: "8", lr: "0.05", checkpointEvery: "7", evalEvery: "25", out: clean, resume: true, json: true };
    expect(configFromFlags(flags).steps).toBe(STEPS);
    await runTrain(flags, () => {});
    const reference = readMetrics(join(clean, "metrics.jsonl"));
    expect(series.map(stable)).toEqual(reference.map(stable));
    expect(reference.at(-1)!["reward_mean"]).toBeGreaterThan(reference[0]!["reward_mean"]!);
  });
});
