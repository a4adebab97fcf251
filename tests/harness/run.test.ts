import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { loadSuite } from "../../tasks/load.ts";
import { ReplayPolicy } from "../../harness/policy/replay.ts";
import { createRegistry } from "../../verifiers/registry.ts";
import { exactMatchFactory } from "../../verifiers/exact-match.ts";
import { runEval, deriveRunId } from "../../harness/run.ts";
import { SqliteRunStore } from "../../harness/store/sqlite.ts";
import { SqliteCompletionCache } from "../../harness/cache.ts";
import { RunError, type RunSpec, type RunStore } from "../../harness/types.ts";
import type { Suite } from "../../tasks/types.ts";
import type { Verifier } from "../../verifiers/types.ts";
import type { Policy } from "../../harness/policy/types.ts";
import { expectedMean, type FixtureTask, tempDir, writeReplay, writeSuite } from "./fixtures.ts";

const TASKS: FixtureTask[] = [
  { name: "alpha", items: 30, correct: (i, j) => (i + j) % 3 !== 0 },
  { name: "beta", items: 20, correct: (i) => i % 2 === 0 },
];
const K = 4;

async function verifiersFor(suite: Suite): Promise<Map<string, Verifier>> {
  const registry = createRegistry([exactMatchFactory]);
  return new Map(await Promise.all(suite.tasks.map(async (t) => [t.name, await registry.build(t.verifier)] as const)));
}

const open: SqliteRunStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

async function setup() {
  const dir = tempDir();
  const suiteDir = writeSuite(join(dir, "suite"), TASKS);
  const replay = writeReplay(join(dir, "replay.jsonl"), TASKS, K);
  const suite = await loadSuite(suiteDir);
  const store = new SqliteRunStore(join(dir, "runs.db"));
  open.push(store);
  const spec: RunSpec = { suite: suiteDir, policy: `replay:${replay}`, samples: K, seed: 7 };
  return { dir, suiteDir, replay, suite, store, spec, verifiers: await verifiersFor(suite) };
}

describe("runEval", () => {
  it("grades every sample into the store with correct aggregates", async () => {
    const { suite, store, spec, verifiers, replay } = await setup();
    const policy = await ReplayPolicy.fromFile(replay);
    const res = await runEval(spec, { suite, policy, verifiers, store, options: { batchSize: 7, concurrency: 3 } });
    expect(res.status).toBe("finished");
    expect(res.generated).toBe((30 + 20) * K);
    expect(res.skipped).toBe(0);
    for (const t of TASKS) {
      const agg = res.aggregates.tasks[t.name]!;
      expect(agg.items).toBe(t.items);
      expect(agg.samples).toBe(t.items * K);
      expect(agg.meanReward).toBeCloseTo(expectedMean(t, K), 12);
      expect(agg.passRate).toBeCloseTo(expectedMean(t, K), 12);
    }
    expect(store.countSamples(res.runId)).toBe((30 + 20) * K);
    const run = store.getRun(res.runId)!;
    expect(run.status).toBe("finished");
    expect(run.contentHash).toBe(suite.contentHash);
    expect(run.aggregates).toEqual(res.aggregates);
    const beta = store.samples(res.runId, "beta");
    const s = beta.find((x) => x.itemId === "beta-3" && x.sampleIndex === 2)!;
    expect(s.completion.text).toBe("wrong 2");
    expect(s.verdict.pass).toBe(false);
  });

  it("resumes a cancelled run without losing or repeating samples", async () => {
    const { suite, store, spec, verifiers, replay } = await setup();
    const policy = await ReplayPolicy.fromFile(replay);
    const ac = new AbortController();
    const first = runEval(spec, {
      suite, policy, verifiers, store, signal: ac.signal,
      options: { batchSize: 5, concurrency: 1, flushEvery: 1 },
      onProgress: (p) => { if (p.done >= 60) ac.abort(); },
    });
    await expect(first).rejects.toMatchObject({ code: "cancelled" });
    const runId = deriveRunId(spec, suite);
    const partial = store.countSamples(runId);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(200);
    expect(store.getRun(runId)!.status).toBe("cancelled");

    const second = await runEval(spec, { suite, policy, verifiers, store });
    expect(second.resumed).toBe(true);
    expect(second.skipped).toBe(partial);
    expect(second.generated).toBe(200 - partial);
    expect(store.countSamples(runId)).toBe(200);

    const cleanStore = new SqliteRunStore(join(tempDir(), "clean.db"));
    open.push(cleanStore);
    const clean = await runEval(spec, { suite, policy, verifiers, store: cleanStore });
    const strip = (rows: ReturnType<SqliteRunStore["samples"]>) => rows.map((r) => JSON.stringify(r));
    expect(strip(store.samples(runId))).toEqual(strip(cleanStore.samples(clean.runId)));
  });

  it("serves the second run from the completion cache", async () => {
    const { dir, suite, store, spec, verifiers, replay } = await setup();
    const cache = new SqliteCompletionCache(store.db);
    const first = await runEval(spec, { suite, policy: await ReplayPolicy.fromFile(replay), verifiers, store, cache });
    expect(first.cache).toEqual({ hits: 0, misses: 200 });
    // Same policy id, different replay content: cached completions must win.
    writeReplay(replay, TASKS.map((t) => ({ ...t, correct: () => false })), K, "-changed");
    const second = await runEval(spec, {
      suite, policy: await ReplayPolicy.fromFile(replay), verifiers, store, cache, runId: "second",
    });
    expect(second.cache).toEqual({ hits: 200, misses: 0 });
    expect(second.aggregates).toEqual(first.aggregates);
    expect(store.samples("second").some((s) => s.completion.text.includes("-changed"))).toBe(false);
    void dir;
  });

  it("refuses to resume when the suite content changed", async () => {
    const { suiteDir, suite, store, spec, verifiers, replay } = await setup();
    const policy = await ReplayPolicy.fromFile(replay);
    await runEval(spec, { suite, policy, verifiers, store, options: { batchSize: 1 } });
    writeSuite(suiteDir, [{ ...TASKS[0]!, items: 29 }, TASKS[1]!]);
    const changed = await loadSuite(suiteDir);
    expect(changed.contentHash).not.toBe(suite.contentHash);
    const err = await runEval(spec, { suite: changed, policy, verifiers, store }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunError);
    expect((err as RunError).code).toBe("suite_changed");
    expect((err as Error).message).toContain(suite.contentHash);
  });

  it("refuses an explicit run id recorded with a different spec, and unknown tasks", async () => {
    const { suite, store, spec, verifiers, replay } = await setup();
    const policy = await ReplayPolicy.fromFile(replay);
    await runEval(spec, { suite, policy, verifiers, store, runId: "fixed" });
    await expect(runEval({ ...spec, samples: 2 }, { suite, policy, verifiers, store, runId: "fixed" })).rejects.toMatchObject({ code: "bad_spec" });
    await expect(runEval({ ...spec, tasks: ["nope"] }, { suite, policy, verifiers, store })).rejects.toMatchObject({ code: "unknown_task" });
  });

  it("turns a throwing verifier into error verdicts and a failing policy into a failed run", async () => {
    const { suite, store, spec, replay } = await setup();
    const policy = await ReplayPolicy.fromFile(replay);
    const boom: Verifier = { kind: "boom", verify: async () => { throw new Error("kaput"); } };
    const verifiers = new Map([["alpha", boom], ["beta", boom]]);
    const res = await runEval(spec, { suite, policy, verifiers, store });
    expect(res.aggregates.totals.errors).toBe(200);
    expect(store.samples(res.runId, "alpha")[0]!.verdict.error).toEqual({ kind: "crash", message: "verifier boom threw: kaput" });

    const short = new ReplayPolicy([{ id: "alpha-0", item: {}, outputs: ["x"] }], "replay:short");
    const err = await runEval({ ...spec, policy: "replay:short" }, { suite, policy: short, verifiers, store }).catch((e: unknown) => e);
    expect((err as RunError).code).toBe("policy_failed");
    expect(store.getRun(deriveRunId({ ...spec, policy: "replay:short" }, suite))!.status).toBe("failed");
  });

  it("marks the run failed when the store fails from a timed flush (status not left running)", async () => {
    const { suite, store, spec, verifiers, replay } = await setup();
    const replayPolicy = await ReplayPolicy.fromFile(replay);
    // Each batch waits past the flush timer, so the write error surfaces on the next push.
    const slow: Policy = {
      id: replayPolicy.id,
      generate: async (reqs, signal) => {
        await new Promise((r) => setTimeout(r, 5));
        return replayPolicy.generate(reqs, signal);
      },
    };
    const failing = new Proxy(store, {
      get(target, key) {
        if (key === "writeSamples") return () => { throw new RunError("store_failed", "disk full"); };
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as RunStore;
    const err = await runEval(spec, { suite, policy: slow, verifiers, store: failing, options: { batchSize: 5, concurrency: 1, flushMs: 1 } })
      .catch((e: unknown) => e);
    expect((err as RunError).code).toBe("store_failed");
    const run = store.getRun(deriveRunId(spec, suite))!;
    expect(run.status).toBe("failed");
    expect(run.error).toBe("disk full");
  });
});

describe("runEval verifier fast path", () => {
  /** The verifier with only its async verify, so runEval takes the promise path. */
  const asyncOnly = (v: Verifier): Verifier => ({ kind: v.kind, verify: (c) => v.verify(c) });

  it("stores the same verdicts through verifySync as through verify", async () => {
    const a = await setup();
    const policy = await ReplayPolicy.fromFile(a.replay);
    expect([...a.verifiers.values()].every((v) => v.verifySync !== undefined)).toBe(true);
    const fast = await runEval(a.spec, { suite: a.suite, policy, verifiers: a.verifiers, store: a.store, options: { batchSize: 7 } });
    const slow = await runEval(a.spec, {
      suite: a.suite, policy, store: a.store, runId: "slow", options: { batchSize: 7 },
      verifiers: new Map([...a.verifiers].map(([k, v]) => [k, asyncOnly(v)])),
    });
    const fastRows = a.store.samples(fast.runId);
    expect(fastRows.length).toBe((30 + 20) * K);
    expect(a.store.samples(slow.runId)).toEqual(fastRows);
    expect(fastRows.some((r) => r.verdict.pass === true) && fastRows.some((r) => r.verdict.pass === false)).toBe(true);
  });

  it("turns a throwing or non-finite verifySync into error verdicts for the group", async () => {
    const a = await setup();
    const policy = await ReplayPolicy.fromFile(a.replay);
    const raw = (sync: Verifier["verifySync"]): Verifier => ({ kind: "raw", verify: async () => ({ reward: 1 }), verifySync: sync! });
    const verifiers = new Map<string, Verifier>([
      ["alpha", raw((c) => { if (c.sampleIndex === 2) throw new Error("boom"); return { reward: 1 }; })],
      ["beta", raw(() => ({ reward: Number.POSITIVE_INFINITY }))],
    ]);
    const res = await runEval(a.spec, { suite: a.suite, policy, verifiers, store: a.store });
    const rows = a.store.samples(res.runId);
    const alpha = rows.filter((r) => r.task === "alpha");
    expect(alpha.length).toBe(30 * K);
    expect(alpha.every((r) => r.verdict.error?.kind === "crash" && r.verdict.error.message === "verifier raw threw: boom")).toBe(true);
    const beta = rows.filter((r) => r.task === "beta");
    expect(beta.every((r) => r.verdict.error?.kind === "invalid_output" && /non-finite reward: null/.test(r.verdict.error.message))).toBe(true);
    expect(res.aggregates.totals.errors).toBe((30 + 20) * K);
  });
});
