// Runs the hostile table against one sandbox tier. Every case must: not pass, leak no canary,
// leave no process of the tier's uid range, change nothing outside its work dir, reach no
// harness port, and leave the harness able to grade the next ordinary completion correctly.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unitTestFactory } from "../../verifiers/unit-test.ts";
import { scan } from "../../verifiers/sandbox/sweep.ts";
import type { ProgramTier } from "../../verifiers/sandbox/types.ts";
import { reserveUidBlock } from "../../verifiers/sandbox/uid-pool.ts";
import type { Verifier, VerifierServices } from "../../verifiers/types.ts";
import { CASES } from "./cases.ts";

const PY_TESTS = "from solution import add\n\ndef test_a():\n    assert add(1, 2) == 3\n\ndef test_b():\n    assert add(2, 2) == 4\n";
const JS_TESTS = "test('a', () => assert.equal(add(1, 2), 3));\ntest('b', () => assert.equal(add(2, 2), 4));\n";
const GOOD = { python: "def add(a, b):\n    return a + b\n", javascript: "function add(a, b) { return a + b }\n" };
const ENV_KEYS = ["ARBITER_SANDBOX_UID_BASE", "ARBITER_SANDBOX_UID_COUNT", "ARBITER_CANARY", "HOME"] as const;

export function hostileSuite(tier: ProgramTier): void {
  // A uid block no other live process holds: the leftover check below then sees only this
  // file's sandbox processes, even with other test files, or another copy of this one, running.
  const block = reserveUidBlock();
  const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  process.env.ARBITER_SANDBOX_UID_BASE = String(block.base);
  process.env.ARBITER_SANDBOX_UID_COUNT = String(block.count);
  const canary = `canary-${randomBytes(12).toString("hex")}`;
  let home = "";
  let sentinel = "";
  let otherRun = "";
  let server: net.Server;
  let port = 0;
  let connections = 0;
  const verifiers: Record<"python" | "javascript", Verifier> = {} as never;

  describe(`hostile inputs, ${tier} tier`, () => {
    beforeAll(async () => {
      process.env.ARBITER_CANARY = canary;
      home = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-hostile-home-"));
      fs.mkdirSync(path.join(home, ".aws"));
      fs.writeFileSync(path.join(home, ".aws", "credentials"), `[default]\naws_secret_access_key = ${canary}\n`);
      fs.writeFileSync(path.join(home, ".arbiter-canary"), canary);
      fs.chmodSync(home, 0o700);
      process.env.HOME = home;
      sentinel = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-hostile-sentinel-"));
      fs.chmodSync(sentinel, 0o755);
      fs.writeFileSync(path.join(sentinel, "file.txt"), "sentinel", { mode: 0o644 });
      const sbRoot = path.join(os.tmpdir(), "arbiter-sandbox");
      fs.mkdirSync(sbRoot, { recursive: true, mode: 0o711 });
      otherRun = path.join(fs.mkdtempSync(path.join(sbRoot, "run-other-")), "work");
      fs.mkdirSync(otherRun, { mode: 0o700 });
      fs.writeFileSync(path.join(otherRun, "secret.txt"), canary);
      fs.chownSync(otherRun, 65533, 65533); // a uid no run of this suite gets
      server = net.createServer((s) => {
        connections++;
        s.destroy();
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      port = (server.address() as net.AddressInfo).port;
      const services = { build: () => Promise.reject(new Error("unused")) } as VerifierServices;
      for (const language of ["python", "javascript"] as const) {
        const cfg = unitTestFactory.schema.parse({
          language, tests: language === "python" ? PY_TESTS : JS_TESTS, tier, timeoutMs: 2000,
          limits: { memoryMb: 192, processes: 24, outputBytes: 64 * 1024, fileSizeMb: 4, openFiles: 64 },
        });
        verifiers[language] = await unitTestFactory.create(cfg, services);
      }
    });

    afterAll(() => {
      server?.close();
      for (const d of [home, sentinel, path.dirname(otherRun)]) if (d) fs.rmSync(d, { recursive: true, force: true });
      for (const k of ENV_KEYS) {
        if (savedEnv[k] === undefined) delete process.env[k];
        else process.env[k] = savedEnv[k];
      }
      block.release();
    });

    for (const c of CASES) {
      if (c.tiers && !c.tiers.includes(tier)) continue;
      it(`[${c.category}] ${c.name}`, async () => {
        const code = c.code.replaceAll("{{home}}", home).replaceAll("{{sentinel}}", sentinel)
          .replaceAll("{{otherRun}}", otherRun).replaceAll("{{port}}", String(port));
        const rssBefore = process.memoryUsage().rss;
        const v = await verifiers[c.language].verify({ sample: { id: c.name }, output: code });
        expect(v.pass).not.toBe(true);
        expect(v.reward).toBeLessThan(1);
        expect(v.tier).toBe(tier);
        const text = JSON.stringify(v);
        expect(text).not.toContain(canary);
        expect(text).not.toMatch(/\u001b|\u0000/); // escapes never reach a terminal raw
        if (c.attempted) expect(String((v.details as { stdout?: string })?.stdout)).toMatch(/ATTEMPTED|ok/);
        expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
        // No grace period: a verdict is returned only after its uid runs nothing.
        expect(survivors(block.base, block.count)).toEqual([]);
        expect(fs.readdirSync(sentinel)).toEqual(["file.txt"]);
        expect(fs.readFileSync(path.join(sentinel, "file.txt"), "utf8")).toBe("sentinel");
        expect(fs.readFileSync(path.join(home, ".arbiter-canary"), "utf8")).toBe(canary);
        expect(connections).toBe(0);
        const next = await verifiers[c.language].verify({ sample: { id: "ordinary" }, output: GOOD[c.language] });
        expect(next.reward).toBe(1);
        expect(next.pass).toBe(true);
      });
    }
  });
}

/** Live processes of this suite's sandbox uids (zombies excluded: they wait for init to reap them). */
function survivors(base: number, count: number): string[] {
  return scan(base, count).map(({ pid, uid }) => {
    let cmd = "?";
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " ").trim().slice(0, 80);
    } catch {
      /* exited */
    }
    return `${pid} uid=${uid} ${cmd}`;
  });
}
