// Harness overhead benchmark (DESIGN.md targets: >= 100k samples/s grading replayed completions
// with exact match end to end into the store, and >= 10x promptfoo on the same samples).
//
//   node scripts/bench-harness.ts [--items 25000] [--samples 4] [--promptfoo-items 5000] [--no-promptfoo] [--no-checkpoint-thread]
//
// Prints wall-clock and CPU-time rates: on a shared machine the wall rate moves with other load,
// the CPU-time rate (samples per CPU-second of this process) much less.
import { execa } from "execa";
import { existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadSuite } from "../tasks/load.ts";
import { createPolicy } from "../harness/policy/spec.ts";
import { defaultRegistry } from "../verifiers/builtin.ts";
import { runEval } from "../harness/run.ts";
import { SqliteRunStore } from "../harness/store/sqlite.ts";
import { buildReport, inputFromStore } from "../harness/report/build.ts";

const { values: args } = parseArgs({
  options: {
    items: { type: "string", default: "25000" },
    samples: { type: "string", default: "4" },
    "promptfoo-items": { type: "string", default: "5000" },
    "no-promptfoo": { type: "boolean", default: false },
    "batch-size": { type: "string", default: "256" },
    /** Checkpoint on the writer's commits (SQLite's default) instead of from the store's thread. */
    "no-checkpoint-thread": { type: "boolean", default: false },
  },
});
const ITEMS = Number(args.items);
const K = Number(args.samples);
const PF_ITEMS = Math.min(ITEMS, Number(args["promptfoo-items"]));
const ROOT = resolve(import.meta.dirname, "..");
const WORK = join(ROOT, ".arbiter", "bench", "harness");

const answer = (i: number) => `answer ${i}`;
/** Sample j of item i is right unless (i + j) % 3 == 0. */
const output = (i: number, j: number) => ((i + j) % 3 === 0 ? `wrong ${i}` : answer(i));

function writeFixture(dir: string, items: number): { suite: string; replay: string } {
  mkdirSync(dir, { recursive: true });
  const data: string[] = [];
  const replay: string[] = [];
  for (let i = 0; i < items; i++) {
    data.push(JSON.stringify({ id: `q${i}`, input: `question ${i}`, reference: answer(i) }));
    for (let j = 0; j < K; j++) replay.push(JSON.stringify({ item: { id: `q${i}` }, sample: { output_text: output(i, j) } }));
  }
  writeFileSync(join(dir, "data.jsonl"), data.join("\n") + "\n");
  writeFileSync(join(dir, "replay.jsonl"), replay.join("\n") + "\n");
  writeFileSync(join(dir, "suite.yaml"), "name: bench\nversion: \"1\"\ntasks:\n  - name: exact\n    dataset: data.jsonl\n    verifier: {type: exact_match}\n");
  return { suite: dir, replay: join(dir, "replay.jsonl") };
}

const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
const rate = (n: number, ms: number) => Math.round((1000 * n) / ms);
const line = (label: string, n: number, wallMs: number, cpu?: number) =>
  console.log(
    `${label.padEnd(34)} ${String(n).padStart(7)} samples  wall ${wallMs.toFixed(0).padStart(6)} ms = ${String(rate(n, wallMs)).padStart(7)} samples/s` +
      (cpu === undefined ? "" : `   cpu ${cpu.toFixed(0).padStart(6)} ms = ${String(rate(n, cpu)).padStart(7)} samples/cpu-s`),
  );

async function benchArbiter(): Promise<{ wall: number; cpu: number }> {
  rmSync(WORK, { recursive: true, force: true });
  const { suite: suiteDir, replay } = writeFixture(join(WORK, "suite"), ITEMS);
  const total = ITEMS * K;
  console.log(`# Arbiter: ${ITEMS} items x ${K} samples = ${total} samples, exact_match, replay policy, SQLite WAL`);
  console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(" ")} on ${navigator.hardwareConcurrency} cpus`);

  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const suite = await loadSuite(suiteDir);
  const policy = await createPolicy(`replay:${replay}`);
  const verifier = await defaultRegistry().build(suite.tasks[0]!.verifier);
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const store = new SqliteRunStore(join(WORK, "bench.db"), { checkpointThread: !args["no-checkpoint-thread"] });
  const spec = { suite: suiteDir, policy: `replay:${replay}`, samples: K, seed: 0 };
  const result = await runEval(spec, {
    suite, policy, verifiers: new Map([["exact", verifier]]), store, options: { batchSize: Number(args["batch-size"]) },
  });
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  const report = buildReport({ ...inputFromStore(store.getRun(result.runId)!, result.rewards, ["exact"]), timings: result.timings, compare: { alpha: 0.05, margin: 0.02, correction: "holm" } });
  const t3 = performance.now();
  const c3 = process.cpuUsage();
  const stored = store.countSamples(result.runId);
  const t4 = performance.now();
  store.close();
  const closeMs = performance.now() - t4;
  if (stored !== total) throw new Error(`store holds ${stored} samples, expected ${total}`);
  const expectedMean = 1 - Array.from({ length: ITEMS * K }, (_, n) => ((Math.floor(n / K) + (n % K)) % 3 === 0 ? 1 : 0)).reduce((a: number, b) => a + b, 0) / total;
  if (Math.abs(report.tasks[0]!.summary.meanReward - expectedMean) > 1e-9) throw new Error(`mean ${report.tasks[0]!.summary.meanReward} != ${expectedMean}`);

  line("load suite + replay + verifier", total, t1 - t0, cpuMs(process.cpuUsage(c0)) - cpuMs(process.cpuUsage(c1)));
  line("runEval (generate+verify+store)", total, t2 - t1, cpuMs(c2) - cpuMs(c1));
  line("report (stats, bootstrap, advantages)", total, t3 - t2, cpuMs(c3) - cpuMs(c2));
  line("in-process end to end", total, t3 - t0, cpuMs(c3) - cpuMs(c0));
  console.log(`  store close (last WAL checkpoint, not in the figures above): ${closeMs.toFixed(0)} ms`);
  console.log(`  runEval split (ms, summed over concurrent batches): generate ${result.timings.generateMs.toFixed(0)}, verify ${result.timings.verifyMs.toFixed(0)}, store ${result.timings.storeMs.toFixed(0)}`);

  // The real CLI, as a user runs it: Node start-up, imports, run, report files.
  const db = join(WORK, "cli.db");
  const cli = await timed(process.execPath, [join(ROOT, "bin/arbiter.ts"), "eval", "--suite", suiteDir, "--policy", `replay:${replay}`, "--samples", String(K), "--db", db, "--no-cache", "--batch-size", String(args["batch-size"]), "--out", join(WORK, "report.json")]);
  if (cli.exitCode !== 0) throw new Error(`arbiter eval exited ${cli.exitCode}: ${cli.output}`);
  line("CLI `arbiter eval` (whole process)", total, cli.wallMs, cli.cpuMs);
  return { wall: rate(total, t2 - t1), cpu: rate(total, cpuMs(c2) - cpuMs(c1)) };
}

/** Runs a command under /usr/bin/time to get the child's CPU time as well as wall time. */
async function timed(cmd: string, argv: string[], env: Record<string, string> = {}, cwd = ROOT) {
  const t = performance.now();
  const r = await execa("/usr/bin/time", ["-f", "__TIME__ %U %S", cmd, ...argv], { reject: false, all: true, env, cwd });
  const wallMs = performance.now() - t;
  const m = /__TIME__ ([\d.]+) ([\d.]+)/.exec(r.all ?? "");
  const cpu = m ? (Number(m[1]) + Number(m[2])) * 1000 : Number.NaN;
  return { exitCode: r.exitCode, wallMs, cpuMs: cpu, output: (r.all ?? "").slice(-2000) };
}

async function benchPromptfoo(arbiter: { wall: number; cpu: number }): Promise<void> {
  const prefix = join(ROOT, ".arbiter", "bench", "promptfoo");
  const bin = join(prefix, "node_modules", ".bin", "promptfoo");
  if (!existsSync(bin)) {
    console.log(`# promptfoo: installing into ${prefix} (not a project dependency)`);
    mkdirSync(prefix, { recursive: true });
    const inst = await execa("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", "promptfoo"], { reject: false, all: true });
    if (inst.exitCode !== 0 || !existsSync(bin)) {
      console.log(`# promptfoo: skipped, install failed (offline?): ${(inst.all ?? "").split("\n").slice(-3).join(" | ")}`);
      return;
    }
  }
  // Run promptfoo's entry point with this Node (its shebang would pick whatever `node` is on PATH).
  const entry = realpathSync(bin);
  const version = (await execa(process.execPath, [entry, "--version"], { reject: false, env: pfEnv(prefix) })).stdout.trim();
  // The same samples: each replayed output is echoed back by the echo provider and checked with
  // `equals` against the reference, as exact_match does.
  const runOne = async (items: number) => {
    const dir = join(WORK, `promptfoo-${items}`);
    mkdirSync(dir, { recursive: true });
    const tests: unknown[] = [];
    for (let i = 0; i < items; i++) {
      for (let j = 0; j < K; j++) tests.push({ vars: { output: output(i, j), reference: answer(i) }, assert: [{ type: "equals", value: "{{reference}}" }] });
    }
    // YAML is a superset of JSON.
    writeFileSync(join(dir, "promptfooconfig.yaml"), JSON.stringify({ prompts: ["{{output}}"], providers: ["echo"], tests }));
    return timed(process.execPath, [entry, "eval", "-c", join(dir, "promptfooconfig.yaml"), "--no-cache", "--no-progress-bar", "-j", "16", "-o", join(dir, "out.json")], pfEnv(prefix), dir);
  };
  const small = await runOne(10);
  const big = await runOne(PF_ITEMS);
  // promptfoo exits 100 when some tests fail, which a third of these do by construction.
  if (![0, 100].includes(big.exitCode ?? -1)) {
    console.log(`# promptfoo: eval failed (exit ${big.exitCode}): ${big.output}`);
    return;
  }
  const n = PF_ITEMS * K;
  console.log(`# promptfoo ${version}: echo provider + equals, ${PF_ITEMS} items x ${K} = ${n} samples, -j 16, results written to its SQLite`);
  line("promptfoo eval (whole process)", n, big.wallMs, big.cpuMs);
  // Start-up measured on 40 samples and subtracted, so promptfoo is not charged for it.
  const net = big.wallMs - small.wallMs;
  line("promptfoo eval minus start-up", n, net, big.cpuMs - small.cpuMs);
  const pfRate = rate(n, net);
  const pfCpu = rate(n, big.cpuMs - small.cpuMs);
  console.log(`\nRATIO arbiter runEval / promptfoo (start-up excluded): ${(arbiter.wall / pfRate).toFixed(1)}x by wall clock (${arbiter.wall} vs ${pfRate} samples/s), ` +
    `${(arbiter.cpu / pfCpu).toFixed(1)}x by CPU time (${arbiter.cpu} vs ${pfCpu} samples/cpu-s); target >= 10x`);
}

function pfEnv(prefix: string): Record<string, string> {
  return {
    PROMPTFOO_CONFIG_DIR: join(prefix, "home"),
    PROMPTFOO_DISABLE_TELEMETRY: "1",
    PROMPTFOO_DISABLE_UPDATE: "1",
    PROMPTFOO_DISABLE_SHARING: "1",
  };
}

const arbiter = await benchArbiter();
console.log(`\nRESULT runEval ${arbiter.wall} samples/s wall, ${arbiter.cpu} samples/cpu-s (target >= 100000 on 2 cores)`);
if (!args["no-promptfoo"]) await benchPromptfoo(arbiter);
