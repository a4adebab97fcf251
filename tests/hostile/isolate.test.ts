// Hostile JS graders (reference/sandbox-anchors.md §5, items 1, 8, 10-12, 30-34): each must end as
// a clean error verdict (or a legitimately computed one), the next ordinary call on the same
// pool must be graded correctly, and the host must be untouched.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JsGrader, jsGraderSchema } from "../../verifiers/js-grader.ts";
import type { Verdict } from "../../verifiers/types.ts";

const CANARY = `arbiter-canary-${process.pid}-${Date.now()}`;
process.env.ARBITER_TEST_CANARY = CANARY;

// One grader holds every attack, chosen by item.attack; "ok" is the ordinary case.
const SOURCE = String.raw`
function grade(sample, item) {
  switch (item.attack) {
    case "ok": return sample.output_text === "right" ? 1 : 0;
    case "probe": {
      const names = Object.getOwnPropertyNames(globalThis);
      const seen = [];
      for (const k in globalThis) seen.push(k);
      return { score: 0, reason: JSON.stringify({ require: typeof require, process: typeof process, global: typeof global,
        module: typeof module, setTimeout: typeof setTimeout, fetch: typeof fetch, console: typeof console, names, seen }) };
    }
    case "ctor": return { score: 0, reason: String(this.constructor.constructor("return typeof process")()) };
    case "ctor-escape": return this.constructor.constructor("return process")().env.ARBITER_TEST_CANARY;
    case "canary": {
      const found = [];
      const walk = (o, depth) => { if (depth > 3 || o === null || (typeof o !== "object" && typeof o !== "function")) return;
        for (const k of Object.getOwnPropertyNames(o)) { let v; try { v = o[k]; } catch { continue; }
          if (typeof v === "string" && v.includes("arbiter-canary")) found.push(k); else walk(v, depth + 1); } };
      walk(globalThis, 0);
      return { score: found.length, reason: found.join(",") };
    }
    case "proto-json": return JSON.parse('{"__proto__": {"polluted": true}, "score": 1}');
    case "proto-ctor": return { score: 1, constructor: { prototype: { polluted: true } } };
    case "proto-chain": return Object.setPrototypeOf({ score: 1 }, { polluted: true });
    case "getter": return { get score() { return 1; } };
    case "inner-pollution": Object.prototype.polluted = true; return 0.25;
    case "loop": for (;;) {}
    case "async-loop": return Promise.resolve().then(() => { for (;;) {} });
    // a pure microtask storm: each job queues the next and nothing is retained, so only time stops it
    case "microtasks": { const f = () => { Promise.resolve().then(f); }; f(); return new Promise(() => {}); }
    // a promise chain: each promise resolves to the next, so the chain is retained and memory or time stops it
    case "promise-chain": { const f = () => Promise.resolve().then(f); f(); return new Promise(() => {}); }
    case "never": return new Promise(() => {});
    case "redos": return /^(a+)+$/.test("a".repeat(40) + "b") ? 1 : 0;
    case "recursion": { const f = () => f() + 1; return f(); }
    case "memory": { const a = []; for (;;) a.push(new Array(1e5).fill(1.5)); }
    case "spread-bomb": return [...".".repeat(1e9)].length;
    case "json-bomb": { const s = JSON.stringify(new Array(2e5).fill("abcdefghij")); const k = []; for (;;) k.push(JSON.parse(s)); }
    case "throw-null": throw null;
    case "throw-proxy": throw new Proxy({}, { get() { throw new Error("trap"); }, getOwnPropertyDescriptor() { throw new Error("trap"); }, getPrototypeOf() { throw new Error("trap"); } });
    case "throw-tostring": throw { toString() { for (;;) {} }, get message() { for (;;) {} } };
    case "huge-return": return { score: 1, reason: "x".repeat(1 << 20) };
    case "huge-array": return new Array(5e6).fill(1);
    case "function": return function () { return 1; };
    case "symbol": return Symbol("s");
    case "bigint": return 10n;
    case "undefined": return undefined;
  }
  return 0;
}`;

let g: JsGrader;
beforeAll(async () => {
  g = new JsGrader(jsGraderSchema.parse({ source: SOURCE, timeout_ms: 300, memory_limit_mb: 32, workers: 2 }));
  await g.pool.start();
});
afterAll(async () => {
  await g.close();
  delete process.env.ARBITER_TEST_CANARY;
});

const attack = (name: string, output = ""): Promise<Verdict> => g.verify({ sample: { id: name, attack: name }, output });

async function expectHealthyAfter(): Promise<void> {
  expect(await attack("ok", "right")).toEqual({ reward: 1, pass: true, tier: "isolate" });
  expect(await attack("ok", "wrong")).toEqual({ reward: 0, pass: false, tier: "isolate" });
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty("polluted");
}

describe("hostile graders in isolated-vm", () => {
  it("finds no host objects on the isolate's global", async () => {
    const v = await attack("probe");
    const seen = JSON.parse(v.reason ?? "{}") as Record<string, unknown>;
    expect(seen).toMatchObject({ require: "undefined", process: "undefined", global: "undefined", module: "undefined", setTimeout: "undefined", fetch: "undefined" });
    // Only V8 built-ins plus the grader's own functions; no injected handle or Reference.
    const extra = (seen.names as string[]).filter((n) => !(n in globalThis) && !n.startsWith("__arbiter_") && n !== "grade");
    expect(extra).toEqual([]);
    expect((seen.seen as string[]).filter((k) => !k.startsWith("__arbiter_") && k !== "grade")).toEqual([]);
    await expectHealthyAfter();
  });

  it("constructor climbing reaches only the isolate's own Function", async () => {
    expect((await attack("ctor")).reason).toBe("undefined");
    const v = await attack("ctor-escape");
    expect(v.error).toEqual({ kind: "crash", message: "grader threw: ReferenceError: process is not defined" });
    await expectHealthyAfter();
  });

  it("never sees the canary secret, and the worker's environment is empty", async () => {
    expect(await attack("canary")).toEqual({ reward: 0, pass: false, reason: "", tier: "isolate" });
    for (const pid of g.pool.pids()) {
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
      expect(environ).not.toContain(CANARY);
      // Only what fork itself adds for the IPC channel.
      expect(environ.split("\0").filter(Boolean).map((kv) => kv.split("=")[0]).sort()).toEqual(["NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE"]);
    }
  });

  it.each(["proto-json", "proto-ctor", "proto-chain", "getter"])("rejects polluting or accessor results (%s)", async (name) => {
    const v = await attack(name);
    expect(v.reward).toBe(0);
    expect(v.error?.kind).toBe("invalid_output");
    await expectHealthyAfter();
  });

  it("pollution inside the isolate stays inside it", async () => {
    expect((await attack("inner-pollution")).reward).toBe(0.25);
    await expectHealthyAfter();
  });

  it.each(["loop", "async-loop", "microtasks", "never", "redos"])("times out %s", async (name) => {
    const t0 = Date.now();
    const v = await attack(name);
    expect(v).toMatchObject({ reward: 0, pass: false, error: { kind: "timeout" } });
    expect(Date.now() - t0).toBeLessThan(5000);
    await expectHealthyAfter();
  });

  it.each(["memory", "spread-bomb", "json-bomb", "recursion", "huge-array", "promise-chain"])("contains %s as a failure", async (name) => {
    const v = await attack(name);
    expect(v.reward).toBe(0);
    expect(v.pass).toBe(false);
    // Depending on which limit it meets first: memory (crash), V8 (invalid length), or time.
    expect(["crash", "invalid_output", "timeout"]).toContain(v.error?.kind);
    await expectHealthyAfter();
  });

  it.each([
    ["throw-null", "grader threw: threw null"],
    ["throw-proxy", "grader threw: threw a value that could not be described"],
    ["throw-tostring", "grader threw: threw a non-Error object"],
    ["huge-return", "grader result is 1048599 characters, over the cap of 65536"],
    ["function", "grader returned function; expected a number, a boolean or {score, reason?}"],
    ["symbol", "grader returned symbol; expected a number, a boolean or {score, reason?}"],
    ["bigint", "grader returned bigint; expected a number, a boolean or {score, reason?}"],
    ["undefined", "grader returned undefined; expected a number, a boolean or {score, reason?}"],
  ])("gives a clean error for %s", async (name, message) => {
    const v = await attack(name);
    expect(v.reward).toBe(0);
    expect(v.error?.message).toBe(message);
    await expectHealthyAfter();
  });

  it("a barrage of attacks mixed with ordinary calls fails only the attacks", async () => {
    const names = ["loop", "ok", "memory", "ok", "never", "ok", "throw-null", "ok", "proto-json", "ok"];
    const verdicts = await Promise.all(names.map((n, i) => attack(n, i % 4 === 1 ? "right" : "wrong")));
    verdicts.forEach((v, i) => {
      if (names[i] === "ok") expect(v).toEqual({ reward: i % 4 === 1 ? 1 : 0, pass: i % 4 === 1, tier: "isolate" });
      else expect(v.error).toBeDefined();
    });
    await expectHealthyAfter();
  });
});
