// Every way a suite can be wrong gives a SuiteError naming file, line (and column) and field.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SuiteError } from "../../tasks/errors.ts";
import { loadSuite } from "../../tasks/load.ts";
import { DATA, jsonl, MANIFEST, suiteDir } from "./helpers.ts";

async function failure(files: Record<string, string>, entry = ""): Promise<SuiteError> {
  const dir = suiteDir(files);
  try {
    await loadSuite(path.join(dir, entry));
  } catch (err) {
    expect(err).toBeInstanceOf(SuiteError);
    return err as SuiteError;
  }
  throw new Error("expected loadSuite to fail");
}

describe("dataset errors", () => {
  it("wrong type of id names file, line and field", async () => {
    const rows = [{ id: "a", question: "q" }, { id: "b", question: "q" }, { id: 7, question: "q" }];
    const err = await failure({ "suite.yaml": MANIFEST, "data.jsonl": jsonl(rows) });
    expect(err.code).toBe("suite_invalid");
    expect(err.message).toMatch(/data\.jsonl:3: field "id": expected string, got number$/);
    expect(err.line).toBe(3);
  });

  it("duplicate ids name both lines", async () => {
    const rows = [{ id: "a", question: "q" }, { id: "b", question: "q" }, { id: "a", question: "r" }];
    const err = await failure({ "suite.yaml": MANIFEST, "data.jsonl": jsonl(rows) });
    expect(err.message).toMatch(/data\.jsonl:3: duplicate id "a" \(first used at line 1\)/);
  });

  it("invalid JSON names line and column", async () => {
    const text = jsonl([{ id: "a", question: "q" }]) + '{"id": "b", "question": q}\n';
    const err = await failure({ "suite.yaml": MANIFEST, "data.jsonl": text });
    expect(err.message).toMatch(/data\.jsonl:2:25: invalid JSON/);
    expect(err.column).toBe(25);
  });

  it("a line that is not an object", async () => {
    const err = await failure({ "suite.yaml": MANIFEST, "data.jsonl": jsonl([{ id: "a", question: "q" }, ["x"]]) });
    expect(err.message).toMatch(/data\.jsonl:2: expected a JSON object .*got array/);
  });

  it("empty dataset", async () => {
    const err = await failure({ "suite.yaml": MANIFEST, "data.jsonl": "\n\n" });
    expect(err.message).toMatch(/data\.jsonl: dataset is empty/);
  });

  it("missing dataset file points at the manifest field", async () => {
    const err = await failure({ "suite.yaml": MANIFEST });
    expect(err.message).toMatch(/suite\.yaml:5:14 tasks\[0\]\.dataset: dataset file not found: .*data\.jsonl/);
  });

  it("malformed chat input names the nested field", async () => {
    const rows = [{ id: "a", input: [{ role: "robot", content: "hi" }] }];
    const err = await failure({ "suite.yaml": MANIFEST.replace(/^ *prompt:.*\n/m, ""), "data.jsonl": jsonl(rows) });
    expect(err.message).toMatch(/data\.jsonl:1: field "input"/);
  });

  it("no template and a sample without input", async () => {
    const rows = [{ id: "a", input: "x" }, { id: "b", question: "y" }];
    const err = await failure({ "suite.yaml": MANIFEST.replace(/^ *prompt:.*\n/m, ""), "data.jsonl": jsonl(rows) });
    expect(err.message).toMatch(/data\.jsonl:2: field "input": required when the task has no prompt template/);
  });
});

describe("manifest errors", () => {
  it("missing verifier.type: file, line, column of the verifier, and the path", async () => {
    const manifest = `name: demo
version: "1"
tasks:
  - name: ok
    dataset: data.jsonl
    prompt: "{{item.question}}"
    verifier: {type: exact_match}
  - name: bad
    dataset: data.jsonl
    prompt: "{{item.question}}"
    verifier:
        normalize: [trim]
`;
    const err = await failure({ "suite.yaml": manifest, "data.jsonl": DATA });
    expect(err.message).toMatch(/suite\.yaml:12:9 tasks\[1\]\.verifier\.type: required$/);
    expect(err.field).toBe("tasks[1].verifier.type");
  });

  it("verifier that is not an object", async () => {
    const err = await failure({ "suite.yaml": MANIFEST.replace("verifier:\n      type: exact_match", "verifier: exact_match"), "data.jsonl": DATA });
    expect(err.message).toMatch(/suite\.yaml:7:15 tasks\[0\]\.verifier: expected an object \{type/);
  });

  it("unknown field with a suggestion, positioned at the key", async () => {
    const err = await failure({ "suite.yaml": MANIFEST + "    sampling:\n      top_p: 0.9\n", "data.jsonl": DATA });
    expect(err.message).toMatch(/suite\.yaml:10:7 tasks\[0\]\.sampling\.top_p: unknown field \(did you mean "topP"\?\)/);
  });

  it("out-of-range sampling value", async () => {
    const err = await failure({ "suite.yaml": MANIFEST + "    sampling:\n      maxTokens: -3\n", "data.jsonl": DATA });
    expect(err.message).toMatch(/suite\.yaml:10:18 tasks\[0\]\.sampling\.maxTokens: expected a number > 0, got -3$/);
  });

  it("wrong type in the manifest", async () => {
    const err = await failure({ "suite.yaml": MANIFEST.replace("name: t1", "name: [t1]"), "data.jsonl": DATA });
    expect(err.message).toMatch(/suite\.yaml:4:11 tasks\[0\]\.name: expected string, got array/);
  });

  it("YAML syntax error names line and column", async () => {
    const err = await failure({ "suite.yaml": "name: demo\nversion: \"1\ntasks: []\n", "data.jsonl": DATA });
    expect(err.message).toMatch(/suite\.yaml:4:1: invalid YAML: Missing closing "quote$/);
    expect(err.line).toBeGreaterThan(1);
  });

  it("suite.json syntax error names line and column", async () => {
    const err = await failure({ "suite.json": '{\n  "name": "x",\n  "version": 1,,\n}' });
    expect(err.message).toMatch(/suite\.json:3:16: invalid JSON/);
  });

  it("no tasks", async () => {
    const err = await failure({ "suite.yaml": 'name: demo\nversion: "1"\ntasks: []\n' });
    expect(err.message).toMatch(/suite\.yaml:3:8 tasks: expected at least one task/);
  });

  it("duplicate task names", async () => {
    const twice = MANIFEST + MANIFEST.slice(MANIFEST.indexOf("  - name"));
    const err = await failure({ "suite.yaml": twice, "data.jsonl": DATA });
    expect(err.message).toMatch(/suite\.yaml:9:11 tasks\[1\]\.name: duplicate task name "t1"/);
  });

  it("folder without a manifest", async () => {
    const err = await failure({ "data.jsonl": DATA });
    expect(err.code).toBe("suite_not_found");
    expect(err.message).toMatch(/none of suite\.yaml/);
  });
});

describe("template errors", () => {
  it("unknown placeholder in a prompt file: names placeholder, file, line and column", async () => {
    const err = await failure({
      "suite.yaml": MANIFEST.replace('prompt: "Q: {{item.question}}"', "prompt: {file: prompt.txt}"),
      "data.jsonl": DATA,
      "prompt.txt": "Answer briefly.\nQuestion: {{ item.qestion }}\n",
    });
    expect(err.message).toMatch(/prompt\.txt:2:11: unknown placeholder \{\{item\.qestion\}\}: no sample in .*data\.jsonl has field "qestion"/);
  });

  it("unknown placeholder in an inline template points at the prompt field", async () => {
    const err = await failure({ "suite.yaml": MANIFEST.replace("item.question", "item.qestion"), "data.jsonl": DATA });
    expect(err.message).toMatch(/suite\.yaml:6:13: unknown placeholder \{\{item\.qestion\}\}/);
  });

  it("a placeholder some samples lack names the first such line", async () => {
    const rows = [{ id: "a", question: "q" }, { id: "b", q: "r" }];
    const err = await failure({ "suite.yaml": MANIFEST, "data.jsonl": jsonl(rows) });
    expect(err.message).toMatch(/data\.jsonl:2: sample "b" has no field "question" used by \{\{item\.question\}\} in .*suite\.yaml tasks\[0\]\.prompt/);
  });

  it("placeholders outside item.* are rejected", async () => {
    const err = await failure({ "suite.yaml": MANIFEST.replace("item.question", "sample.output_text"), "data.jsonl": DATA });
    expect(err.message).toMatch(/placeholder \{\{sample\.output_text\}\}: prompt templates can only use item\.\*/);
  });
});

describe("module suite errors", () => {
  it("field errors name the module and the path", async () => {
    const err = await failure({
      "suite.mjs": `export default { name: "m", version: "1", tasks: [{ name: "t", dataset: [{ id: "a", input: "x" }, { id: 3, input: "y" }], verifier: { type: "exact_match" } }] };`,
    });
    expect(err.message).toMatch(/suite\.mjs tasks\[0\]\.dataset\[1\]: field "id": expected string, got number/);
  });

  it("a module without a suite export", async () => {
    const err = await failure({ "suite.mjs": "export const other = 1;" });
    expect(err.message).toMatch(/suite\.mjs: expected a default export or an export named `suite`/);
  });

  it("the `suite` named export and an async factory both work", async () => {
    const dir = suiteDir({
      "s.mjs": `export const suite = async () => ({ name: "m", version: "1", tasks: [{ name: "t", dataset: "d.jsonl", prompt: "{{item.q}}", verifier: { type: "exact_match" } }] });`,
      "d.jsonl": jsonl([{ id: "a", q: "x" }]),
    });
    const s = await loadSuite(path.join(dir, "s.mjs"));
    expect(s.tasks[0]!.dataset).toEqual([{ id: "a", q: "x" }]);
  });
});
