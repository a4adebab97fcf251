import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson, suiteContentHash } from "../../tasks/hash.ts";
import { loadSuite } from "../../tasks/load.ts";
import { DATA, MANIFEST, suiteDir } from "./helpers.ts";

const root = path.resolve(import.meta.dirname, "../..");

function copyOf(example: string): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), "arbiter-hash-")), "renamed-folder");
  cpSync(path.join(root, "examples", example), dir, { recursive: true });
  return dir;
}

describe("canonicalJson", () => {
  it("is independent of key order and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ x: "é", y: null })).toBe('{"x":"é","y":null}');
  });
});

describe("suiteContentHash", () => {
  it("is the same for a copy in a differently named folder", async () => {
    const a = await loadSuite(path.join(root, "examples/json-extract"));
    const b = await loadSuite(copyOf("json-extract"));
    expect(b.contentHash).toBe(a.contentHash);
    expect(b.source).not.toBe(a.source);
  });

  it("changes when one byte of the dataset changes", async () => {
    const dir = copyOf("arithmetic");
    const before = (await loadSuite(dir)).contentHash;
    const file = path.join(dir, "data.jsonl");
    const text = readFileSync(file, "utf8");
    const at = text.indexOf('"reference":') + '"reference":'.length;
    const digit = text[at]!;
    writeFileSync(file, text.slice(0, at) + (digit === "9" ? "8" : String(Number(digit) + 1)) + text.slice(at + 1));
    expect((await loadSuite(dir)).contentHash).not.toBe(before);
  });

  it("changes with the prompt file, the verifier spec and the sampling defaults", async () => {
    const base = (await loadSuite(suiteDir({ "suite.yaml": MANIFEST, "data.jsonl": DATA }))).contentHash;
    const variants = [
      MANIFEST.replace("Q: ", "Q:  "),
      MANIFEST.replace("type: exact_match", "type: exact_match\n      normalize: [trim]"),
      MANIFEST + "    sampling: {temperature: 0.5}\n",
      MANIFEST.replace('version: "1"', 'version: "2"'),
    ];
    const hashes = await Promise.all(variants.map(async (m) => (await loadSuite(suiteDir({ "suite.yaml": m, "data.jsonl": DATA }))).contentHash));
    for (const h of hashes) expect(h).not.toBe(base);
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it("does not change with key order, YAML vs JSON, or whitespace in the data", async () => {
    const yaml = (await loadSuite(suiteDir({ "suite.yaml": MANIFEST, "data.jsonl": DATA }))).contentHash;
    const json = JSON.stringify({ tasks: [{ verifier: { type: "exact_match" }, prompt: "Q: {{item.question}}", dataset: "data.jsonl", name: "t1" }], version: "1", name: "demo" }, null, 2);
    const spaced = DATA.split("\n").filter(Boolean).map((l) => JSON.stringify(JSON.parse(l), null, 0).replace(/,/g, ", ")).join("\n\n");
    const reordered = DATA.split("\n").filter(Boolean).map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(Object.fromEntries(Object.entries(o).reverse()));
    }).join("\n");
    expect((await loadSuite(suiteDir({ "suite.json": json, "data.jsonl": spaced }))).contentHash).toBe(yaml);
    expect((await loadSuite(suiteDir({ "suite.yaml": MANIFEST, "data.jsonl": reordered }))).contentHash).toBe(yaml);
  });

  it("is a pure function of the suite content", () => {
    const suite = { name: "s", version: "1", tasks: [{ name: "t", version: "1", dataset: [{ id: "a", input: "x" }], verifier: { type: "exact_match" } }] };
    expect(suiteContentHash(suite)).toBe(suiteContentHash(structuredClone(suite)));
    expect(suiteContentHash(suite)).toMatch(/^[0-9a-f]{64}$/);
  });
});
