// One contract every Sandbox tier must meet; tests/sandbox/contract.test.ts runs it per tier.
import { describe, expect, it } from "vitest";
import type { Sandbox } from "../../verifiers/sandbox/types.ts";

export function sandboxContract(name: string, make: () => Promise<Sandbox>): void {
  describe(`Sandbox contract: ${name}`, () => {
    const small = { wallMs: 3000, cpuSeconds: 3, memoryMb: 256, outputBytes: 64 * 1024 };

    it("runs a program and captures stdout, stderr and the exit code", async () => {
      const sb = await make();
      const r = await sb.run({ argv: ["/bin/sh", "-c", "echo out; echo err >&2; exit 7"], limits: small });
      expect(r.stdout).toBe("out\n");
      expect(r.stderr).toBe("err\n");
      expect(r.exitCode).toBe(7);
      expect(r.timedOut).toBe(false);
      expect(r.tier).toBe(sb.tier);
    });

    it("writes files into the work dir and gives a read-only copy", async () => {
      const sb = await make();
      const r = await sb.run({
        files: { "in.txt": "hello" },
        readonlyFiles: { "t.txt": "pristine" },
        argv: (p) => ["/bin/sh", "-c", `cat in.txt; cat ${p.readonly}/t.txt; echo x > ${p.readonly}/t.txt || echo denied`],
        limits: small,
      });
      expect(r.stdout).toContain("hellopristine");
      expect(r.stdout).toContain("denied");
    });

    it("enforces the wall clock by killing the program", async () => {
      const sb = await make();
      const t0 = performance.now();
      const r = await sb.run({ argv: ["/bin/sleep", "30"], limits: { ...small, wallMs: 500 } });
      expect(r.timedOut).toBe(true);
      expect(performance.now() - t0).toBeLessThan(5000);
    });

    it("caps output and flags the truncated stream", async () => {
      const sb = await make();
      const r = await sb.run({ argv: ["/usr/bin/yes"], limits: { ...small, outputBytes: 4096 } });
      expect(r.stdoutTruncated).toBe(true);
      expect(r.stdout.length).toBeLessThanOrEqual(4096);
      expect(r.stderrTruncated).toBe(false);
    });

    it("passes only the explicit environment", async () => {
      process.env.ARBITER_CONTRACT_SECRET = "contract-canary-1234";
      const sb = await make();
      const r = await sb.run({ argv: ["/usr/bin/env"], env: { ONLY: "this" }, limits: small });
      expect(r.stdout).toContain("ONLY=this");
      expect(r.stdout).not.toContain("contract-canary-1234");
      const names = r.stdout.trim().split("\n").map((l) => l.split("=")[0]);
      // PWD is set by the shell that enters the cgroup, or by bwrap's --chdir.
      expect(names.filter((n) => n !== "PWD").sort()).toEqual(["HOME", "LANG", "ONLY", "PATH", "TMPDIR"]);
    });

    it("feeds stdin and returns the result channel with the secret", async () => {
      const sb = await make();
      const r = await sb.run({
        argv: ["/bin/sh", "-c", "read line; read s <&3; echo \"$line:$s\" >&4"],
        stdin: "from-stdin\n",
        resultChannel: { secret: "sekret\n" },
        limits: small,
      });
      expect(r.result).toBe("from-stdin:sekret\n");
    });

    it("runs Python and Node interpreters as a non-root user", async () => {
      const sb = await make();
      const py = await sb.run({ argv: (p) => [p.python, "-c", "import os; print(os.getuid())"], limits: small });
      const js = await sb.run({ argv: (p) => [p.node, "-e", "console.log(process.getuid())"], limits: small, addressSpaceLimit: false });
      expect(Number(py.stdout.trim())).toBeGreaterThan(0);
      expect(Number(js.stdout.trim())).toBeGreaterThan(0);
    });

    it("rejects a path that leaves the work dir", async () => {
      const sb = await make();
      await expect(sb.run({ files: { "../escape.txt": "x" }, argv: ["/bin/true"], limits: small })).rejects.toThrow(/must be relative/);
    });
  });
}
