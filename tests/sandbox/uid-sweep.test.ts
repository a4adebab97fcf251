// The kill-by-uid sweep and the uid leases: a run returns only when its uid runs nothing, a
// lease left by a dead harness is swept before reuse, and uid blocks never overlap.
import { execa } from "execa";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reapStaleCgroups } from "../../verifiers/sandbox/cgroup.ts";
import { probeHost } from "../../verifiers/sandbox/probe.ts";
import { createSandbox } from "../../verifiers/sandbox/sandbox.ts";
import { liveProcesses, scan, sweepUid } from "../../verifiers/sandbox/sweep.ts";
import { leaseUid, reapStaleLeases, reserveUidBlock } from "../../verifiers/sandbox/uid-pool.ts";
import type { ProgramTier } from "../../verifiers/sandbox/types.ts";

const caps = await probeHost();
const block = reserveUidBlock();
process.env.ARBITER_SANDBOX_UID_BASE = String(block.base);
process.env.ARBITER_SANDBOX_UID_COUNT = String(block.count - 2); // the last two are used by hand below
const spareA = block.base + block.count - 2;
const spareB = block.base + block.count - 1;
afterAll(() => {
  delete process.env.ARBITER_SANDBOX_UID_BASE;
  delete process.env.ARBITER_SANDBOX_UID_COUNT;
  block.release();
});

const DAEMONS = [
  "import os, subprocess, sys, time",
  "print(os.getuid(), flush=True)",
  "if os.fork() == 0:",
  "    os.setsid()",
  "    if os.fork() == 0:",
  "        os.closerange(0, 64)",
  "        time.sleep(60)",
  "    os._exit(0)",
  "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)",
].join("\n");

describe.runIf(caps.isRoot)("uid sweep", () => {
  const tiers: ProgramTier[] = caps.tier === "bwrap" ? ["plain", "bwrap"] : ["plain"];
  for (const tier of tiers) {
    it(`${tier}: a run returns only when nothing of its uid is alive (setsid daemons included)`, async () => {
      const sb = await createSandbox({ tier });
      const r = await sb.run({ argv: (p) => [p.python, "-c", DAEMONS], limits: { wallMs: 5000, memoryMb: 256 } });
      const hostUid = tier === "bwrap" ? undefined : Number(r.stdout.trim());
      if (hostUid !== undefined) expect(hostUid).toBeGreaterThanOrEqual(block.base);
      expect(r.timedOut).toBe(false);
      expect(scan(block.base, block.count)).toEqual([]);
    });
  }

  it("sweepUid stops a fork bomb (kill -1 as the uid is atomic against fork)", async () => {
    const bomb = execa("/usr/bin/prlimit", ["--nproc=64", "--", "/usr/bin/setpriv", `--reuid=${spareA}`, `--regid=${spareA}`, "--clear-groups", "--",
      "/usr/bin/python3", "-c", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"], { reject: false, stdio: "ignore", detached: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(liveProcesses(spareA).length).toBeGreaterThan(5);
    expect(await sweepUid(spareA)).toBe(true);
    expect(liveProcesses(spareA)).toEqual([]);
    await bomb;
  });

  it("a lease left by a dead process is swept before the uid is reused", async () => {
    const deadPid = spawnSync("/bin/true").pid; // exited and reaped: a dead owner
    const lock = `/tmp/arbiter-sandbox-uids/${spareB}`;
    fs.writeFileSync(lock, String(deadPid));
    const leftover = execa("/usr/bin/setpriv", [`--reuid=${spareB}`, `--regid=${spareB}`, "--clear-groups", "--", "/bin/sleep", "60"], { reject: false, detached: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(liveProcesses(spareB)).toHaveLength(1);
    const saved = [process.env.ARBITER_SANDBOX_UID_BASE, process.env.ARBITER_SANDBOX_UID_COUNT];
    process.env.ARBITER_SANDBOX_UID_BASE = String(spareB);
    process.env.ARBITER_SANDBOX_UID_COUNT = "1";
    try {
      const lease = await leaseUid();
      expect(lease.uid).toBe(spareB);
      expect(liveProcesses(spareB)).toEqual([]);
      expect(fs.readFileSync(lock, "utf8")).toBe(String(process.pid));
      await expect(leaseUid()).rejects.toThrow(/no free sandbox uid/); // held by a live process now
      lease.release();
    } finally {
      [process.env.ARBITER_SANDBOX_UID_BASE, process.env.ARBITER_SANDBOX_UID_COUNT] = saved;
      fs.rmSync(lock, { force: true });
      await sweepUid(spareB);
    }
    expect((await leftover).signal).toBe("SIGKILL");
  });

  it("leftovers of a harness killed mid-run are swept by the next one", async () => {
    const sandboxTs = path.join(import.meta.dirname, "../../verifiers/sandbox/sandbox.ts");
    const script = `const { createSandbox } = await import(${JSON.stringify(sandboxTs)});
      const sb = await createSandbox({ tier: "plain" });
      await sb.run({ argv: ["/bin/sh", "-c", "setsid sleep 60 & sleep 60"], limits: { wallMs: 60000 } });`;
    const harness = execa(process.execPath, ["--input-type=module", "-e", script], { reject: false });
    for (let i = 0; i < 200 && scan(block.base, block.count).length < 3; i++) await new Promise((r) => setTimeout(r, 25));
    const left = scan(block.base, block.count);
    expect(left.length).toBeGreaterThanOrEqual(3);
    harness.kill("SIGKILL");
    await harness;
    await new Promise((r) => setTimeout(r, 50));
    expect(scan(block.base, block.count).length).toBeGreaterThanOrEqual(3); // nothing else would end them
    expect(await reapStaleLeases()).toContain(left[0]!.uid);
    expect(scan(block.base, block.count)).toEqual([]);
    expect(fs.existsSync(`/tmp/arbiter-sandbox-uids/${left[0]!.uid}`)).toBe(false);
    reapStaleCgroups(caps);
    for (const parent of [caps.memoryCgroup, caps.pidsCgroup]) {
      if (parent) expect(fs.readdirSync(parent).filter((n) => n.startsWith(`${harness.pid}-run-`))).toEqual([]);
    }
  });

  it("uid blocks held by live processes never overlap", () => {
    const other = reserveUidBlock();
    try {
      expect(other.base).not.toBe(block.base);
      expect(Math.abs(other.base - block.base)).toBeGreaterThanOrEqual(block.count);
    } finally {
      other.release();
    }
  });
});
