// The real CLI, as a child process: exit codes 0/1/2/3, report files, step summary, compare, report.
import { beforeAll, describe, expect, it } from "vitest";
import { execa } from "execa";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadSuite } from "../../tasks/load.ts";
import type { ReportV1 } from "../../harness/report/types.ts";
import { arbiter } from "./run-cli.ts";
import { expectedMean, type FixtureTask, tempDir, writeReplay, writeSuite } from "../harness/fixtures.ts";

const TASKS: FixtureTask[] = [
  { name: "alpha", items: 40, correct: (i, j) => (i + j) % 3 !== 0 },
  { name: "beta", items: 30, correct: (i) => i % 2 === 0 },
  { name: "gamma", items: 20, correct: (i, j) => i % 5 !== j },
];
const K = 4;
const NO_STACK = /\n\s+at /;

/** Well-formedness by a real XML parser (Python's expat); returns testcase names and failures. */
async function parseJUnit(file: string): Promise<{ cases: string[]; failed: string[] }> {
  const py = [
    "import sys, json, xml.dom.minidom as m",
    "d = m.parse(sys.argv[1])",
    "cs = d.getElementsByTagName('testcase')",
    "print(json.dumps({'cases': [c.getAttribute('name') for c in cs], 'failed': [c.getAttribute('name') for c in cs if c.getElementsByTagName('failure')]}))",
  ].join("\n");
  const { stdout } = await execa("/usr/bin/python3", ["-c", py, file]);
  return JSON.parse(stdout);
}

let dir: string;
let suite: string;
let replay: string;
let baselinePath: string;
let db: string;

beforeAll(async () => {
  dir = tempDir();
  suite = writeSuite(join(dir, "suite"), TASKS);
  replay = writeReplay(join(dir, "replay.jsonl"), TASKS, K);
  db = join(dir, "runs.db");
  baselinePath = join(dir, "baseline.json");
});

describe("arbiter eval", () => {
  it("exit 0: writes a versioned JSON report, Markdown with every task, well-formed JUnit, step summary", async () => {
    const summary = join(dir, "summary.md");
    writeFileSync(summary, "previous content\n");
    const md = join(dir, "out.md");
    const junit = join(dir, "junit.xml");
    const r = await arbiter(
      ["eval", "--suite", suite, "--policy", `replay:${replay}`, "--samples", String(K), "--db", db, "--out", baselinePath, "--markdown", md, "--junit", junit],
      { GITHUB_STEP_SUMMARY: summary },
    );
    expect(r.exitCode, r.all).toBe(0);
    const report = JSON.parse(readFileSync(baselinePath, "utf8")) as ReportV1;
    const loaded = await loadSuite(suite);
    expect(report.schemaVersion).toBe(1);
    expect(report.suite).toEqual({ name: "fixture", version: "1", contentHash: loaded.contentHash });
    expect(report.run.spec).toMatchObject({ policy: `replay:${replay}`, samples: K, seed: 0 });
    expect(report.run.status).toBe("finished");
    expect(report.tasks.map((t) => t.name)).toEqual(["alpha", "beta", "gamma"]);
    for (const t of TASKS) {
      const got = report.tasks.find((x) => x.name === t.name)!;
      expect(got.summary.meanReward).toBeCloseTo(expectedMean(t, K), 12);
      expect(got.summary.items).toBe(t.items);
      expect(got.summary.k).toBe(K);
      expect(got.items).toHaveLength(t.items);
      expect(got.summary.ci95.lo).toBeLessThanOrEqual(got.summary.meanReward);
      expect(got.summary.ci95.hi).toBeGreaterThanOrEqual(got.summary.meanReward);
    }
    // beta: an item is all-right or all-wrong, so every group has zero reward variance.
    expect(report.tasks[1]!.summary.zeroVarianceFraction).toBe(1);
    expect(report.tasks[1]!.summary.advantages.grpo.meanAbs).toBe(0);
    expect(report.tasks[0]!.summary.advantages.rloo.meanAbs).toBeGreaterThan(0);
    expect(report.totals.samples).toBe(90 * K);
    expect(report.timings!.samplesPerSecond).toBeGreaterThan(0);

    const markdown = readFileSync(md, "utf8");
    for (const t of TASKS) expect(markdown).toMatch(new RegExp(`^\\| ${t.name} \\| ✅`, "m"));
    expect(readFileSync(summary, "utf8")).toBe("previous content\n" + markdown + "\n");
    expect(await parseJUnit(junit)).toEqual({ cases: ["alpha", "beta", "gamma"], failed: [] });
    expect(r.stdout).toContain("alpha");

    // --resume --run-id alone: suite, policy and K come from the stored spec; nothing is regenerated.
    const again = join(dir, "again.json");
    const resumed = await arbiter(["eval", "--resume", "--run-id", report.run.id, "--db", db, "--out", again]);
    expect(resumed.exitCode, resumed.all).toBe(0);
    const second = JSON.parse(readFileSync(again, "utf8")) as ReportV1;
    expect(second.run.spec).toEqual(report.run.spec);
    expect(second.tasks.map((t) => t.items)).toEqual(report.tasks.map((t) => t.items));
  });

  it("exit 1: significantly worse than the baseline on one task; compare agrees", async () => {
    const worse = writeReplay(join(dir, "worse.jsonl"), [TASKS[0]!, { ...TASKS[1]!, correct: () => false }, TASKS[2]!], K);
    const junit = join(dir, "worse.xml");
    const current = join(dir, "current.json");
    const r = await arbiter([
      "eval", "--suite", suite, "--policy", `replay:${worse}`, "--samples", String(K), "--db", db,
      "--baseline", baselinePath, "--junit", junit, "--out", current, "--markdown", join(dir, "worse.md"),
    ]);
    expect(r.exitCode, r.all).toBe(1);
    expect(await parseJUnit(junit)).toEqual({ cases: ["alpha", "beta", "gamma"], failed: ["beta"] });
    const report = JSON.parse(readFileSync(current, "utf8")) as ReportV1;
    const beta = report.tasks.find((t) => t.name === "beta")!;
    expect(beta.status).toBe("regression");
    expect(beta.comparison!.delta).toBeCloseTo(-expectedMean(TASKS[1]!, K), 12);
    expect(report.tasks.find((t) => t.name === "alpha")!.comparison!.delta).toBe(0);
    expect(readFileSync(join(dir, "worse.md"), "utf8")).toMatch(/^\| beta \| ❌/m);

    const cmp = await arbiter(["compare", baselinePath, current, "--format", "md"]);
    expect(cmp.exitCode, cmp.all).toBe(1);
    expect(cmp.stdout).toMatch(/^\| beta \| ❌/m);
    // The same drop is not a regression when the margin exceeds it.
    const lenient = await arbiter(["compare", baselinePath, current, "--margin", "0.9"]);
    expect(lenient.exitCode, lenient.all).toBe(0);

    const stored = await arbiter(["report", "--db", db, "--run-id", report.run.id, "--format", "json", "--baseline", baselinePath]);
    expect(stored.exitCode, stored.all).toBe(1);
    const rebuilt = JSON.parse(stored.stdout) as ReportV1;
    expect(rebuilt.tasks.map((t) => [t.name, t.status, t.summary.meanReward])).toEqual(report.tasks.map((t) => [t.name, t.status, t.summary.meanReward]));
  });

  it("exit 2: bad flags, bad suite, bad policy spec, bad verifier config, changed suite; one line, no stack", async () => {
    const cases: [string[], RegExp][] = [
      [["eval", "--suite", suite, "--policy", `replay:${replay}`, "--samples", "0"], /--samples <k>.*expected an integer >= 1, got "0"/],
      [["eval", "--suite", join(dir, "missing"), "--policy", `replay:${replay}`], /missing: no such file or folder/],
      [["eval", "--suite", suite, "--policy", "nope:x", "--db", db], /--policy nope:x: .*unknown scheme "nope"/],
      [["eval", "--suite", suite, "--policy", `replay:${replay}`, "--correction", "bonferroni"], /expected one of holm, bh/],
      [["compare", baselinePath, join(dir, "suite", "alpha.jsonl")], /alpha\.jsonl: not JSON/],
      [["eval", "--resume", "--run-id", "nope", "--db", db], /--resume --run-id nope: no such run in /],
      [["demo", "--steps", "0", "--out", join(dir, "demo")], /--steps: expected a positive integer, got 0/],
      [["demo", "--lr", "Infinity", "--out", join(dir, "demo")], /--lr: expected a positive number, got Infinity/],
      [["demo", "--python", join(dir, "no-python"), "--out", join(dir, "demo")], /--python: .*no-python: no such file/],
      [["demo", "--model", join(dir, "suite"), "--out", join(dir, "demo")], /--model: .*suite has no config\.json/],
    ];
    const badVerifier = writeSuite(join(dir, "bad-verifier"), [TASKS[0]!]);
    const yaml = readFileSync(join(badVerifier, "suite.yaml"), "utf8").replace("normalize: [trim]", "normalize: [trim, sideways]");
    writeFileSync(join(badVerifier, "suite.yaml"), yaml);
    cases.push([["eval", "--suite", badVerifier, "--policy", `replay:${replay}`, "--db", db], /task "alpha": verifier\.normalize\[1\]/]);
    const results = await Promise.all(cases.map(([args]) => arbiter(args)));
    for (const [i, [, message]] of cases.entries()) {
      const r = results[i]!;
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(NO_STACK);
    }
  });

  it("exit 2 when resuming a run whose suite changed; exit 3 when the policy fails mid-run", async () => {
    const changedDir = writeSuite(join(dir, "changing"), TASKS);
    const args = ["eval", "--suite", changedDir, "--policy", `replay:${replay}`, "--samples", String(K), "--db", db, "--run-id", "pinned"];
    expect((await arbiter(args)).exitCode).toBe(0);
    writeSuite(changedDir, [TASKS[0]!, { ...TASKS[1]!, items: 29 }, TASKS[2]!]);
    const refused = await arbiter([...args, "--resume"]);
    expect(refused.exitCode, refused.all).toBe(2);
    expect(refused.stderr).toMatch(/run pinned was recorded against suite fixture@1 with contentHash [0-9a-f]{64}, but the suite now has contentHash/);

    // The replay holds 2 samples per item, the run asks for 4: the policy fails, the run fails.
    const short = writeReplay(join(dir, "short.jsonl"), TASKS, 2);
    const failed = await arbiter(["eval", "--suite", suite, "--policy", `replay:${short}`, "--samples", "4", "--db", db, "--no-cache"]);
    expect(failed.exitCode, failed.all).toBe(3);
    expect(failed.stderr).toMatch(/failed \(policy error replay_exhausted\): replay has 2 sample\(s\) for item/);
    expect(failed.stderr).not.toMatch(NO_STACK);
    const list = await arbiter(["report", "--db", db]);
    expect(list.stdout).toMatch(/run-[0-9a-f]{16}\s+failed\s+fixture@1/);
  });
});
