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
import type { ProgramTier } from "../../verifiers/sandbox/types.ts";
import type { Verifier, VerifierServices } from "../../verifiers/types.ts";
import { CASES } from "./cases.ts";

const PY_TESTS = "from solution import add\n\ndef test_a():\n    assert add(1, 2) == 3\n\ndef test_b():\n    assert add(2, 2) == 4\n";
const JS_TESTS = "test('a', () => assert.equal(add(1, 2), 3));\ntest('b', () => assert.equal(add(2, 2), 4));\n";
const GOOD = { python: "def add(a, b):\n    return a + b\n", javascript: "function add(a, b) { return a + b }\n" };
const UID_COUNT = 50;

export function hostileSuite(tier: ProgramTier, uidBase: number): void {
  process.env.ARBITER_SANDBOX_UID_BASE = String(uidBase);
  process.env.ARBITER_SANDBOX_UID_COUNT = String(UID_COUNT);
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
      fs.chownSync(otherRun, uidBase + UID_COUNT + 1, uidBase + UID_COUNT + 1);
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
        expect(await survivors(uidBase)).toEqual([]);
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

/** Live processes whose real uid lies in this suite's sandbox uid range. */
async function survivors(uidBase: number): Promise<string[]> {
  for (let i = 0; ; i++) {
    const found: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
        const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
        // Zombies run nothing; bwrap's orphaned init is one until the host's init reaps it.
        if (/^State:\s+Z/m.test(status)) continue;
        if (uid >= uidBase && uid < uidBase + UID_COUNT) found.push(`${pid} ${/^Name:\s+(.*)$/m.exec(status)?.[1]}`);
      } catch {
        /* exited */
      }
    }
    if (found.length === 0 || i >= 10) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
}
