import { describe, expect, it } from "vitest";
import { backoffMs, createLimiter, retryAfterMs, sleep } from "../../harness/policy/limits.ts";

describe("retryAfterMs", () => {
  const h = (init: Record<string, string>) => new Headers(init);
  it("prefers retry-after-ms, then retry-after seconds, then an HTTP date", () => {
    expect(retryAfterMs(h({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    expect(retryAfterMs(h({ "retry-after": "1.5" }))).toBe(1500);
    const now = Date.parse("2026-11-22T10:00:00Z");
    expect(retryAfterMs(h({ "retry-after": "Sun, 22 Nov 2026 10:00:03 GMT" }), now)).toBe(3000);
    expect(retryAfterMs(h({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterMs(h({}))).toBeUndefined();
  });
});

describe("backoffMs", () => {
  it("doubles per attempt, is capped, and jitters within [0.75, 1] of the nominal delay", () => {
    expect(backoffMs(0, 100, 10_000, () => 0)).toBe(100);
    expect(backoffMs(3, 100, 10_000, () => 0)).toBe(800);
    expect(backoffMs(3, 100, 10_000, () => 1)).toBe(600);
    expect(backoffMs(20, 100, 10_000, () => 0)).toBe(10_000);
  });
});

describe("createLimiter", () => {
  it("runs at most max tasks at once, in FIFO order, and frees slots on failure", async () => {
    const limit = createLimiter(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (i: number) =>
      limit(async () => {
        active++;
        peak = Math.max(peak, active);
        order.push(i);
        await sleep(5);
        active--;
        if (i === 1) throw new Error("boom");
        return i;
      });
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map(task));
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
  });
  it("sleep rejects with the abort reason", async () => {
    const ctrl = new AbortController();
    const p = sleep(10_000, ctrl.signal);
    ctrl.abort(new Error("go"));
    await expect(p).rejects.toThrow("go");
  });
});
