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

/** The plain form canonicalJson replaced, kept as the reference it must equal byte for byte. */
function referenceCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new TypeError(`non-finite ${value}`);
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) return `[${value.map((v) => referenceCanonicalJson(v ?? null)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonicalJson(v)}`).join(",")}}`;
}

describe("canonicalJson equals its reference form", () => {
  // Deterministic pseudo-random values (mulberry32) over every JSON shape and the odd members
  // a loaded suite can hold: undefined, functions, holes, unicode and escaped keys.
  let s = 12345;
  const rand = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const keys = ["a", "B", "é", "10", "2", "", "k\"q", "\u{1F600}", "z z", "__proto__x"];
  const gen = (depth: number): unknown => {
    const r = rand();
    if (depth > 3 || r < 0.3) {
      const leaves = [null, undefined, true, false, 0, -0, 1.5e300, -7, "", "x\ny", "ü\u0000", () => 1];
      return leaves[Math.floor(rand() * leaves.length)];
    }
    if (r < 0.55) {
      const a: unknown[] = Array.from({ length: Math.floor(rand() * 4) }, () => gen(depth + 1));
      if (rand() < 0.2) a.length += 2; // holes
      return a;
    }
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(rand() * 5); i > 0; i--) o[keys[Math.floor(rand() * keys.length)]!] = gen(depth + 1);
    return o;
  };

  it("on 2000 generated values", () => {
    const outs = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const v = gen(0);
      const got = canonicalJson(v);
      expect(got).toBe(referenceCanonicalJson(v));
      outs.add(got);
    }
    expect(outs.size).toBeGreaterThan(500);
  });

  it("rejects non-finite numbers at any depth, as the reference does", () => {
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow(/non-finite number NaN/);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(TypeError);
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
