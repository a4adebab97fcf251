import { afterAll, describe, expect, it } from "vitest";
import { JsGrader, jsGraderFactory, jsGraderSchema, type JsGraderConfig } from "../../verifiers/js-grader.ts";
import { IsolatePool } from "../../verifiers/isolate/pool.ts";
import type { VerifierServices } from "../../verifiers/types.ts";

const services: VerifierServices = { build: () => Promise.reject(new Error("no sub-verifiers here")) };
const open: JsGrader[] = [];
async function grader(source: string, extra: Partial<JsGraderConfig> = {}): Promise<JsGrader> {
  const g = (await jsGraderFactory.create(jsGraderSchema.parse({ source, workers: 1, ...extra }), services)) as JsGrader;
  open.push(g);
  return g;
}
afterAll(async () => {
  await Promise.all(open.map((g) => g.close()));
});

const EXACT = `function grade(sample, item) { return sample.output_text.trim() === String(item.reference) ? 1 : 0; }`;

describe("js grader", () => {
  it("grades numbers, booleans, {score, reason} and async graders", async () => {
    const exact = await grader(EXACT);
    expect(await exact.verify({ sample: { id: "a", reference: 42 }, output: " 42\n" })).toEqual({ reward: 1, pass: true, tier: "isolate" });
    expect((await exact.verify({ sample: { id: "a", reference: 42 }, output: "41" })).reward).toBe(0);

    const mixed = await grader(`
      async function grade(sample, item) {
        await null;
        if (item.mode === "bool") return sample.output_text.includes("yes");
        return { score: sample.output_text.length / 10, reason: "len " + sample.output_text.length };
      }`, { pass_threshold: 0.5 });
    expect(await mixed.verify({ sample: { id: "b", mode: "bool" }, output: "oh yes" })).toEqual({ reward: 1, pass: true, tier: "isolate" });
    expect(await mixed.verify({ sample: { id: "c" }, output: "abc" })).toEqual({ reward: 0.3, pass: false, reason: "len 3", tier: "isolate" });
  });

  it("passes output_json and the whole item as copies", async () => {
    const g = await grader(`function grade(sample, item) {
      sample.output_json.mutated = true; item.metadata.mutated = true;
      return sample.output_json.answer === item.metadata.expected ? 1 : 0; }`);
    const sample = { id: "j", metadata: { expected: 7 } };
    expect((await g.verify({ sample, output: '{"answer": 7}' })).reward).toBe(1);
    expect((await g.verify({ sample, output: '{"answer": 8}' })).reward).toBe(0);
    expect(sample.metadata).toEqual({ expected: 7 });
  });

  it("keeps every verdict with its own call under heavy batching", async () => {
    const g = await grader(`function grade(s, item) { return Number(s.output_text) === item.n * 2 ? 1 : 0; }`, { workers: 2 });
    const n = 3000;
    const verdicts = await Promise.all(
      Array.from({ length: n }, (_, i) => g.verify({ sample: { id: String(i), n: i }, output: String(i % 3 === 0 ? i * 2 : i * 2 + 1) })),
    );
    verdicts.forEach((v, i) => expect(v.reward).toBe(i % 3 === 0 ? 1 : 0));
    expect(g.pool.stats.batches).toBeLessThan(n / 4);
  });

  it("turns grader exceptions and bad values into error verdicts", async () => {
    const g = await grader(`function grade(s, item) {
      if (item.k === "throw") throw new TypeError("bad item");
      if (item.k === "nan") return NaN;
      if (item.k === "string") return "1";
      if (item.k === "extra") return { score: 1, note: "x" };
      return 1; }`);
    const v = async (k: string) => g.verify({ sample: { id: k, k }, output: "" });
    expect((await v("throw")).error).toEqual({ kind: "crash", message: "grader threw: TypeError: bad item" });
    expect((await v("nan")).error?.message).toMatch(/non-finite number \(NaN\)/);
    expect((await v("string")).error?.kind).toBe("invalid_output");
    expect((await v("extra")).error?.message).toMatch(/unexpected field\(s\) "note"/);
    expect(await v("ok")).toEqual({ reward: 1, pass: true, tier: "isolate" });
  });

  it("fails only the looping call in a batch; its neighbours are graded", async () => {
    const g = await grader(`function grade(s, item) { if (item.loop) for (;;) {} return item.n; }`, { timeout_ms: 150, workers: 1 });
    const ctxs = Array.from({ length: 40 }, (_, i) => ({ sample: { id: String(i), n: i / 100, loop: i === 17 }, output: "" }));
    const verdicts = await Promise.all(ctxs.map((c) => g.verify(c)));
    verdicts.forEach((v, i) => {
      if (i === 17) expect(v.error?.kind).toBe("timeout");
      else expect(v).toEqual({ reward: i / 100, pass: false, tier: "isolate" });
    });
  });

  it("rejects bad specs with a precise message", async () => {
    expect(() => jsGraderSchema.parse({ source: "" })).toThrow(/grade\(sample, item\)/);
    expect(() => jsGraderSchema.parse({ source: "x", timeout_ms: -1 })).toThrow(/timeout_ms/);
    await expect(grader("function notGrade() {}")).rejects.toMatchObject({ code: "compile_error", message: /must define a function grade/ });
    await expect(grader("function grade( {")).rejects.toMatchObject({ code: "compile_error", message: /SyntaxError/ });
    // Top-level code runs under the same timeout as a call.
    await expect(grader("for (;;) {} function grade() { return 1; }", { timeout_ms: 200 })).rejects.toMatchObject({ code: "compile_error", message: /timed out/ });
    expect(() => new IsolatePool({ code: "x".repeat(300_000) })).toThrow(/300000 characters; the limit is 262144/);
  });

  it("replaces a worker killed mid-call and reports a crash verdict for that call", async () => {
    const g = await grader(`function grade(s, item) { const t = Date.now(); while (Date.now() - t < item.ms) {} return 1; }`, { timeout_ms: 5000 });
    const [pid] = g.pool.pids();
    const slow = g.verify({ sample: { id: "slow", ms: 3000 }, output: "" });
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid!, "SIGKILL");
    expect((await slow).error?.kind).toBe("crash");
    expect(await g.verify({ sample: { id: "next", ms: 0 }, output: "" })).toEqual({ reward: 1, pass: true, tier: "isolate" });
    expect(g.pool.pids()).not.toContain(pid);
    expect(g.pool.stats).toMatchObject({ spawned: 2, crashes: 1 });
  });

  it("answers calls still in flight when the pool closes", async () => {
    const pool = new IsolatePool({ code: `function grade(s, item) { const t = Date.now(); while (Date.now() - t < 2000) {} return 1; }`, size: 1, limits: { timeoutMs: 5000 } });
    await pool.start();
    const pending = pool.call("{}", "{}");
    await new Promise((r) => setTimeout(r, 100));
    await pool.close();
    expect(await pending).toMatchObject({ ok: false, kind: "crash", message: "the isolate pool closed" });
    expect(await pool.call("{}", "{}")).toMatchObject({ ok: false, message: "the isolate pool is closed" });
  });

  it("the outer watchdog kills a worker that stops answering", async () => {
    // A legitimately slow call with the watchdog set below it: only the watchdog can end it.
    const pool = new IsolatePool({ code: `function grade(s, item) { const t = Date.now(); while (Date.now() - t < item.ms) {} return 1; }`, size: 1, limits: { timeoutMs: 10_000 }, watchdogMs: 200 });
    try {
      const t0 = Date.now();
      const r = await pool.call("{}", '{"ms": 4000}');
      expect(r).toMatchObject({ ok: false, kind: "timeout" });
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(await pool.call("{}", '{"ms": 0}')).toMatchObject({ ok: true, json: "1" });
      expect(pool.stats.watchdogKills).toBe(1);
    } finally {
      await pool.close();
    }
  });
});
