import path from "node:path";
import { describe, expect, it } from "vitest";
import { SuiteError } from "../../tasks/errors.ts";
import { loadSuite } from "../../tasks/load.ts";
import { parseSuiteRef, SuiteRegistry } from "../../tasks/registry.ts";

const root = path.resolve(import.meta.dirname, "../..");

describe("SuiteRegistry", () => {
  it("registers by name@version, gets by ref or by name, lists", async () => {
    const reg = new SuiteRegistry();
    const arith = await loadSuite(path.join(root, "examples/arithmetic"));
    const caps = await loadSuite(path.join(root, "examples/capitals-qa"));
    reg.register(arith);
    reg.register(caps);
    expect(reg.get("arithmetic@1.0")).toBe(arith);
    expect(reg.get("capitals-qa")).toBe(caps);
    expect(reg.has("arithmetic")).toBe(true);
    expect(reg.has("arithmetic@2.0")).toBe(false);
    expect(reg.refs()).toEqual(["arithmetic@1.0", "capitals-qa@1.0"]);
    const v2 = { ...arith, version: "2.0", contentHash: "f".repeat(64) };
    reg.register(v2);
    expect(reg.get("arithmetic")).toBe(v2);
    expect(reg.remove("arithmetic", "2.0")).toBe(true);
    expect(reg.get("arithmetic")).toBe(arith);
  });

  it("same content twice is fine; different content under the same version is a conflict", async () => {
    const reg = new SuiteRegistry();
    const s = await loadSuite(path.join(root, "examples/arithmetic"));
    reg.register(s);
    reg.register({ ...s });
    const changed = { ...s, contentHash: "0".repeat(64) };
    expect(() => reg.register(changed)).toThrow(SuiteError);
    try {
      reg.register(changed);
    } catch (err) {
      expect((err as SuiteError).code).toBe("suite_conflict");
    }
    reg.register(changed, { replace: true });
    expect(reg.get("arithmetic@1.0").contentHash).toBe("0".repeat(64));
  });

  it("unknown suites are suite_not_found listing what exists", () => {
    const reg = new SuiteRegistry();
    expect(() => reg.get("nope@1")).toThrow(/no suite nope@1; registered: \(none\)/);
    expect(parseSuiteRef("a@b@1")).toEqual({ name: "a@b", version: "1" });
    expect(parseSuiteRef("plain")).toEqual({ name: "plain" });
  });
});
