// Sandboxed unit-test throughput vs the same runner unsandboxed, side by side, concurrency = cores.
// Usage: node scripts/bench-sandbox.ts [verdicts per mode, default 40]
import { execa } from "execa";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { unitTestFactory } from "../verifiers/unit-test.ts";
import { probeHost } from "../verifiers/sandbox/probe.ts";
import type { VerifierServices } from "../verifiers/types.ts";

const N = Number(process.argv[2] ?? 40);
const CONC = os.availableParallelism();
const TESTS = "from solution import add\n\n" + Array.from({ length: 5 }, (_, i) => `def test_${i}():\n    assert add(${i}, 1) == ${i + 1}\n`).join("\n");
const SOLUTION = "def add(a, b):\n    return a + b\n";
const RUNNER = path.join(import.meta.dirname, "..", "verifiers", "sandbox", "runners", "py_runner.py");

async function pool(n: number, fn: () => Promise<number>): Promise<{ perSec: number; rewards: number[] }> {
  const rewards: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (next++ < n) rewards.push(await fn());
  }));
  return { perSec: n / ((performance.now() - t0) / 1000), rewards };
}

/** The same runner, same files, same result channel, as root with no sandbox at all. */
async function unsandboxed(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-bench-"));
  try {
    fs.writeFileSync(path.join(dir, "solution.py"), SOLUTION);
    fs.writeFileSync(path.join(dir, "test_solution.py"), TESTS);
    const secret = randomBytes(8).toString("hex");
    const r = await execa("/usr/bin/python3", ["-I", "-B", RUNNER, path.join(dir, "test_solution.py"), dir, "5000", "5000"], {
      stdio: ["ignore", "pipe", "pipe", new TextEncoder().encode(secret), "pipe"], reject: false, timeout: 10_000, cwd: dir,
    });
    const report = JSON.parse(String((r.stdio as unknown[])[4]));
    if (report.secret !== secret) throw new Error("bad report");
    const tests = report.tests as Array<{ passed: boolean }>;
    return tests.filter((t) => t.passed).length / tests.length;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const caps = await probeHost();
const services = { build: () => Promise.reject(new Error("unused")) } as VerifierServices;
const verifier = await unitTestFactory.create(unitTestFactory.schema.parse({ language: "python", tests: TESTS, timeoutMs: 10_000 }), services);
await verifier.verify({ sample: { id: "warm" }, output: SOLUTION });
await unsandboxed();

const plain = await pool(N, unsandboxed);
const boxed = await pool(N, async () => (await verifier.verify({ sample: { id: "b" }, output: SOLUTION })).reward);
const ok = (r: number[]) => r.every((x) => x === 1);
console.log(`host tier: ${caps.tier}  memory cgroup: ${caps.memoryCgroup ? "yes" : "no"}  concurrency: ${CONC}  verdicts per mode: ${N}  (5 tests each)`);
console.log(`unsandboxed : ${plain.perSec.toFixed(2)} verdicts/s  all rewards 1: ${ok(plain.rewards)}`);
console.log(`sandboxed   : ${boxed.perSec.toFixed(2)} verdicts/s  all rewards 1: ${ok(boxed.rewards)}`);
console.log(`ratio sandboxed/unsandboxed: ${(boxed.perSec / plain.perSec).toFixed(2)}x  (target >= 0.8x)`);
