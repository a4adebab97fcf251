import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSuite } from "../../tasks/load.ts";
import { renderPrompt } from "../../tasks/template.ts";
import { suiteDir, MANIFEST, DATA, jsonl } from "./helpers.ts";
import { readFileSync } from "node:fs";

const root = path.resolve(import.meta.dirname, "../..");

describe("example suites", () => {
  it("arithmetic: prompt file, numeric verifier, numbers as references", async () => {
    const s = await loadSuite(path.join(root, "examples/arithmetic"));
    expect(s.name).toBe("arithmetic");
    const t = s.tasks[0]!;
    expect(t.version).toBe("1.0");
    expect(t.verifier.type).toBe("numeric");
    expect(t.dataset.length).toBeGreaterThanOrEqual(20);
    expect(t.dataset.length).toBeLessThanOrEqual(60);
    expect(t.sampling).toEqual({ temperature: 0.7, topP: 0.95, maxTokens: 128, seed: 1 });
    for (const sample of t.dataset) {
      const prompt = renderPrompt(t.prompt, sample);
      expect(prompt).toContain(`Problem: ${sample.question as string}`);
      expect(typeof sample.reference).toBe("number");
    }
    expect(s.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("json-extract: chat template rendered per sample, schema in the verifier", async () => {
    const s = await loadSuite(path.join(root, "examples/json-extract"));
    const t = s.tasks[0]!;
    expect(t.verifier).toMatchObject({ type: "json", schema: { required: ["name", "age", "city"] } });
    const sample = t.dataset[3]!;
    const prompt = renderPrompt(t.prompt, sample);
    expect(Array.isArray(prompt)).toBe(true);
    const user = (prompt as { role: string; content: string }[])[1]!;
    expect(user.role).toBe("user");
    expect(user.content.endsWith(`Text: ${sample.text as string}`)).toBe(true);
  });

  it("capitals-qa: no template, the prompt is item.input", async () => {
    const s = await loadSuite(path.join(root, "examples/capitals-qa/suite.yaml"));
    const t = s.tasks[0]!;
    expect(t.prompt).toBeUndefined();
    expect(t.sampling?.stop).toEqual(["\n"]);
    expect(renderPrompt(t.prompt, t.dataset[0]!)).toBe(t.dataset[0]!.input);
    expect(t.verifier).toEqual({ type: "exact_match", normalize: ["trim", "case", "nfkc", "whitespace"] });
  });

  it("ts-suite: a TypeScript module with a computed dataset", async () => {
    const s = await loadSuite(path.join(root, "examples/ts-suite"));
    const t = s.tasks[0]!;
    expect(t.dataset).toHaveLength(20);
    for (const sample of t.dataset) expect(sample.reference).toBe([...(sample.word as string)].reverse().join(""));
  });

  it("replay files: 2-4 samples per dataset item, same items, a mix of right and wrong", async () => {
    const lastNumber = (t: string) => Number(/(-?\d+)(?!.*\d)/s.exec(t)?.[1]);
    const parseJson = (t: string) => {
      try {
        return JSON.parse(t.replace(/^```json\n|\n```$/g, "")) as unknown;
      } catch {
        return undefined;
      }
    };
    const right: Record<string, (out: string, ref: unknown) => boolean> = {
      arithmetic: (out, ref) => lastNumber(out) === ref,
      "json-extract": (out, ref) => JSON.stringify(parseJson(out)) === JSON.stringify(ref),
      "capitals-qa": (out, ref) => out.trim().normalize("NFKC").toLowerCase() === String(ref).toLowerCase(),
      "ts-suite": (out, ref) => out === ref,
    };
    for (const [name, isRight] of Object.entries(right)) {
      const suite = await loadSuite(path.join(root, "examples", name));
      const ids = new Set(suite.tasks[0]!.dataset.map((s) => s.id));
      const rows = readFileSync(path.join(root, "examples", name, "replay.jsonl"), "utf8").trim().split("\n")
        .map((l) => JSON.parse(l) as { item: { id: string; reference: unknown }; sample: { output_text: string } });
      const counts = new Map<string, number>();
      for (const r of rows) counts.set(r.item.id, (counts.get(r.item.id) ?? 0) + 1);
      expect(new Set(counts.keys())).toEqual(ids);
      for (const c of counts.values()) expect(c >= 2 && c <= 4).toBe(true);
      const rate = rows.filter((r) => isRight(r.sample.output_text, r.item.reference)).length / rows.length;
      expect(rate, name).toBeGreaterThan(0.2);
      expect(rate, name).toBeLessThan(0.9);
    }
  });
});

describe("manifest formats", () => {
  it("suite.json works like suite.yaml and stop may be a single string", async () => {
    const dir = suiteDir({
      "suite.json": JSON.stringify({ name: "j", version: 2, tasks: [{ name: "t", dataset: "d.jsonl", verifier: { type: "exact_match" }, sampling: { stop: "END" } }] }),
      "d.jsonl": jsonl([{ id: "x", input: "hi", reference: "hi" }]),
    });
    const s = await loadSuite(dir);
    expect(s.version).toBe("2");
    expect(s.tasks[0]!.version).toBe("2");
    expect(s.tasks[0]!.sampling).toEqual({ stop: ["END"] });
  });

  it("samples without an id get a content-derived id, stable across line moves", async () => {
    const rows = [{ input: "a" }, { input: "b" }];
    const one = await loadSuite(suiteDir({ "suite.yaml": MANIFEST.replace(/^ *prompt:.*\n/m, ""), "data.jsonl": jsonl(rows) }));
    const two = await loadSuite(suiteDir({ "suite.yaml": MANIFEST.replace(/^ *prompt:.*\n/m, ""), "data.jsonl": "\n" + jsonl([...rows].reverse()) }));
    const ids1 = one.tasks[0]!.dataset.map((s) => s.id);
    const ids2 = two.tasks[0]!.dataset.map((s) => s.id);
    expect(ids1[0]).toMatch(/^h[0-9a-f]{16}$/);
    expect(ids1[0]).not.toBe(ids1[1]);
    expect(ids2).toEqual([...ids1].reverse());
  });

  it("a prompt file with chat messages in JSON", async () => {
    const dir = suiteDir({
      "suite.yaml": MANIFEST.replace('prompt: "Q: {{item.question}}"', "prompt: {file: prompts/chat.json}"),
      "data.jsonl": DATA,
      "prompts/chat.json": JSON.stringify([{ role: "system", content: "Be brief." }, { role: "user", content: "{{ item.question }}" }]),
    });
    const s = await loadSuite(dir);
    expect(renderPrompt(s.tasks[0]!.prompt, s.tasks[0]!.dataset[1]!)).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "two?" },
    ]);
  });

  it("CRLF line endings and a BOM are accepted", async () => {
    const dir = suiteDir({ "suite.yaml": MANIFEST, "data.jsonl": "\uFEFF" + DATA.replace(/\n/g, "\r\n") });
    const s = await loadSuite(dir);
    expect(s.tasks[0]!.dataset.map((x) => x.id)).toEqual(["a", "b", "c"]);
  });
});
