import { describe, expect, it } from "vitest";
import { pythonGraderFactory } from "../../verifiers/python-grader.ts";
import { extractCode, unitTestFactory } from "../../verifiers/unit-test.ts";
import type { VerifierServices } from "../../verifiers/types.ts";

const services = { build: () => Promise.reject(new Error("unused")) } as VerifierServices;
const PY = "from solution import add\n\ndef test_a():\n    assert add(1, 2) == 3\n\ndef test_b():\n    assert add(2, 2) == 4\n";

describe("unit_test", () => {
  it("scores the fraction of tests passed and names each test", async () => {
    const v = await unitTestFactory.create(unitTestFactory.schema.parse({ language: "python", tests: PY, timeoutMs: 3000 }), services);
    const half = await v.verify({ sample: { id: "1" }, output: "```python\ndef add(a, b):\n    return 3\n```" });
    expect(half.reward).toBe(0.5);
    expect(half.pass).toBe(false);
    expect((half.details as { tests: Array<{ name: string; passed: boolean }> }).tests.map((t) => [t.name, t.passed])).toEqual([["test_a", true], ["test_b", false]]);
  });

  it("all_or_nothing and expectedTests mismatch", async () => {
    const aon = await unitTestFactory.create(unitTestFactory.schema.parse({ language: "python", tests: PY, scoring: "all_or_nothing", timeoutMs: 3000 }), services);
    expect((await aon.verify({ sample: { id: "1" }, output: "def add(a, b):\n    return 3\n" })).reward).toBe(0);
    const three = await unitTestFactory.create(unitTestFactory.schema.parse({ language: "python", tests: PY, expectedTests: 3, timeoutMs: 3000 }), services);
    const v = await three.verify({ sample: { id: "1" }, output: "def add(a, b):\n    return a + b\n" });
    expect(v.error?.kind).toBe("invalid_output");
    expect(v.error?.message).toMatch(/expected 3 tests/);
  });

  it("runs unittest.TestCase classes", async () => {
    const tests = "import unittest\nfrom solution import add\nclass T(unittest.TestCase):\n    def test_x(self):\n        self.assertEqual(add(1, 1), 2)\n";
    const v = await unitTestFactory.create(unitTestFactory.schema.parse({ language: "python", tests, timeoutMs: 3000 }), services);
    expect((await v.verify({ sample: { id: "1" }, output: "def add(a, b):\n    return a + b\n" })).reward).toBe(1);
    expect((await v.verify({ sample: { id: "1" }, output: "def add(a, b):\n    return 0\n" })).reward).toBe(0);
  });

  it("rejects bad config with the field named", () => {
    expect(() => unitTestFactory.create(unitTestFactory.schema.parse({ language: "python" }), services)).toThrow(/verifier\.tests/);
    expect(() => unitTestFactory.create(unitTestFactory.schema.parse({ language: "python", testsFile: "nope.py" }), services)).toThrow(/verifier\.testsFile: cannot read/);
  });

  it("extracts the fenced block of the right language", () => {
    expect(extractCode("x\n```js\nA\n```\n```python\nB\n```", "python")).toBe("B\n");
    expect(extractCode("plain text", "python")).toBe("plain text");
  });
});

describe("python grader", () => {
  const make = async (source: string, extra: Record<string, unknown> = {}) =>
    pythonGraderFactory.create(pythonGraderFactory.schema.parse({ source, timeoutMs: 3000, ...extra }), services);

  it("returns grade(sample, item) as the reward with pass_threshold", async () => {
    const g = await make("def grade(sample, item):\n    return 1.0 if sample['output_text'].strip() == item['reference'] else 0.25\n", { pass_threshold: 0.5 });
    const yes = await g.verify({ sample: { id: "1", reference: "42" }, output: " 42 " });
    const no = await g.verify({ sample: { id: "1", reference: "42" }, output: "41" });
    expect([yes.reward, yes.pass, no.reward, no.pass]).toEqual([1, true, 0.25, false]);
  });

  it("turns bad scores, exceptions and hangs into error verdicts", async () => {
    const out = async (src: string) => (await (await make(src)).verify({ sample: { id: "1" }, output: "x" })).error?.kind;
    expect(await out("def grade(s, i):\n    return float('nan')\n")).toBe("invalid_output");
    expect(await out("def grade(s, i):\n    return 3\n")).toBe("invalid_output");
    expect(await out("def grade(s, i):\n    return 'high'\n")).toBe("invalid_output");
    expect(await out("def grade(s, i):\n    raise ValueError('boom')\n")).toBe("crash");
    expect(await out("def grade(s, i):\n    while True: pass\n")).toBe("timeout");
  });
});

describe("sandbox refusal", () => {
  it("a tier below minTier is a sandbox verdict for unit_test and python, with no run", async () => {
    const opts = { tier: "plain", minTier: "bwrap", timeoutMs: 3000 };
    const ut = await unitTestFactory.create(unitTestFactory.schema.parse({ language: "python", tests: PY, ...opts }), services);
    const py = await pythonGraderFactory.create(pythonGraderFactory.schema.parse({ source: "def grade(s, i):\n    return 1.0\n", ...opts }), services);
    for (const v of [await ut.verify({ sample: { id: "1" }, output: "def add(a, b):\n    return a + b\n" }), await py.verify({ sample: { id: "1" }, output: "x" })]) {
      expect(v).toMatchObject({ reward: 0, pass: false, error: { kind: "sandbox", message: expect.stringMatching(/^SANDBOX_TIER_BELOW_MIN: refusing to run untrusted code in the plain tier: minTier is bwrap/) } });
      expect(v.tier).toBeUndefined();
      expect(v.details).toBeUndefined();
    }
  });
});
