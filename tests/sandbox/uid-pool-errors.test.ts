// uid-pool failures are SandboxErrors with stable codes, so a verifier reports them as
// `error.kind = "sandbox"` instead of a crash.
import { afterEach, describe, expect, it } from "vitest";
import { SandboxError } from "../../verifiers/sandbox/types.ts";
import { leaseUid, reserveUidBlock, uidRange } from "../../verifiers/sandbox/uid-pool.ts";

const saved = { base: process.env.ARBITER_SANDBOX_UID_BASE, count: process.env.ARBITER_SANDBOX_UID_COUNT };
afterEach(() => {
  for (const [k, v] of [["ARBITER_SANDBOX_UID_BASE", saved.base], ["ARBITER_SANDBOX_UID_COUNT", saved.count]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe("uid pool errors", () => {
  it("a malformed uid range is SANDBOX_SETUP_FAILED naming the variables", () => {
    process.env.ARBITER_SANDBOX_UID_BASE = "12";
    expect(() => uidRange()).toThrow(SandboxError);
    expect(() => uidRange()).toThrow("ARBITER_SANDBOX_UID_BASE/COUNT must be integers (base >= 1000), got 12/");
    try {
      uidRange();
    } catch (err) {
      expect((err as SandboxError).code).toBe("SANDBOX_SETUP_FAILED");
    }
  });

  it("a range with every uid leased is SANDBOX_UIDS_EXHAUSTED", async () => {
    const block = reserveUidBlock(); // our own uids, clear of every other harness on the host
    try {
      process.env.ARBITER_SANDBOX_UID_BASE = String(block.base);
      process.env.ARBITER_SANDBOX_UID_COUNT = "1";
      const lease = await leaseUid();
      expect(lease.uid).toBe(block.base);
      await expect(leaseUid()).rejects.toMatchObject({ name: "SandboxError", code: "SANDBOX_UIDS_EXHAUSTED", message: `no free sandbox uid in ${block.base}..${block.base}` });
      lease.release();
      const again = await leaseUid();
      expect(again.uid).toBe(block.base);
      again.release();
    } finally {
      block.release();
    }
  });
});
