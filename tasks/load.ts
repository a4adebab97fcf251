// loadSuite: a folder with suite.yaml/suite.json/suite.ts, a manifest file, or a .ts/.js module.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { type LocatedSample, readJsonl, toSample } from "./dataset.ts";
import { invalid, type SourcePosition, SuiteError } from "./errors.ts";
import { suiteContentHash } from "./hash.ts";
import { readManifest } from "./manifest.ts";
import { chatMessageSchema, firstProblem, formatPath, moduleSuiteSchema, type PathKey, type samplingSchema } from "./schema.ts";
import { parsePath, placeholders, resolves } from "./template.ts";
import type { ChatMessage, PromptTemplate, SamplingParams, Suite, Task } from "./types.ts";
import type { VerifierSpec } from "../verifiers/types.ts";

const MANIFEST_NAMES = ["suite.yaml", "suite.yml", "suite.json", "suite.ts", "suite.js", "suite.mjs"];
const MODULE_EXT = new Set([".ts", ".mts", ".js", ".mjs"]);

/** Paths in messages: relative to the working directory when inside it. */
function display(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : abs;
}

async function kindOf(p: string): Promise<"file" | "dir" | undefined> {
  try {
    return (await stat(p)).isDirectory() ? "dir" : "file";
  } catch {
    return undefined;
  }
}

/** Loads, validates and hashes a suite. Every problem is a SuiteError naming file, line and field. */
export async function loadSuite(suitePath: string): Promise<Suite> {
  let file = path.resolve(suitePath);
  const kind = await kindOf(file);
  if (!kind) throw new SuiteError("suite_not_found", `${suitePath}: no such file or folder`, { file: suitePath });
  if (kind === "dir") {
    const dir = file;
    let found: string | undefined;
    for (const name of MANIFEST_NAMES) {
      if ((await kindOf(path.join(dir, name))) === "file") {
        found = path.join(dir, name);
        break;
      }
    }
    if (!found) {
      throw new SuiteError("suite_not_found", `${display(dir)}: none of ${MANIFEST_NAMES.join(", ")} in this folder`, { file: display(dir) });
    }
    file = found;
  }
  const suite = MODULE_EXT.has(path.extname(file)) ? await loadModule(file) : await loadManifest(file);
  return { ...suite, contentHash: suiteContentHash(suite), source: file };
}

type Unhashed = Omit<Suite, "contentHash" | "source">;

/** A task definition after schema validation, whichever format it came from. */
interface TaskDef {
  name: string;
  version?: string | undefined;
  description?: string | undefined;
  dataset: string | unknown[];
  prompt?: string | ChatMessage[] | { file: string } | undefined;
  verifier: VerifierSpec;
  sampling?: z.output<typeof samplingSchema> | undefined;
}

/** How to point at a field of task i: a YAML position, or just the module file. */
type Locate = (path: readonly PathKey[]) => SourcePosition;

async function loadManifest(file: string): Promise<Unhashed> {
  const { manifest, source } = await readManifest(file, display(file));
  const tasks = await buildTasks(manifest.tasks, manifest.version, path.dirname(file), (p) => source.position(p));
  return { name: manifest.name, version: manifest.version, tasks };
}

async function loadModule(file: string): Promise<Unhashed> {
  const shown = display(file);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new SuiteError("suite_invalid", `${shown}: cannot import module: ${(err as Error).message}`, { file: shown }, { cause: err });
  }
  let def = mod.default ?? mod.suite;
  if (typeof def === "function") def = await (def as () => unknown)();
  if (def === undefined) throw invalid({ file: shown }, undefined, "expected a default export or an export named `suite`");
  const parsed = moduleSuiteSchema.safeParse(def);
  if (!parsed.success) {
    const p = firstProblem(parsed.error, def);
    throw invalid({ file: shown }, formatPath(p.path), p.what);
  }
  const tasks = await buildTasks(parsed.data.tasks, parsed.data.version, path.dirname(file), () => ({ file: shown }));
  return { name: parsed.data.name, version: parsed.data.version, tasks };
}

async function buildTasks(defs: TaskDef[], suiteVersion: string, dir: string, locate: Locate): Promise<Task[]> {
  const tasks: Task[] = [];
  const names = new Set<string>();
  for (const [i, t] of defs.entries()) {
    const at = (...p: PathKey[]) => locate(["tasks", i, ...p]);
    const field = (...p: PathKey[]) => formatPath(["tasks", i, ...p]);
    if (names.has(t.name)) throw invalid(at("name"), field("name"), `duplicate task name "${t.name}"`);
    names.add(t.name);

    let located: LocatedSample[];
    let dataLabel: string;
    if (typeof t.dataset === "string") {
      const dataAbs = path.resolve(dir, t.dataset);
      if ((await kindOf(dataAbs)) !== "file") {
        throw invalid(at("dataset"), field("dataset"), `dataset file not found: ${display(dataAbs)}`);
      }
      dataLabel = display(dataAbs);
      located = await readJsonl(dataAbs, dataLabel);
    } else {
      const pos = at("dataset");
      dataLabel = `${pos.file} ${field("dataset")}`;
      located = inlineSamples(t.dataset, pos.file, field("dataset"));
    }

    let prompt: PromptTemplate | undefined;
    let origin: TemplateOrigin | undefined;
    if (typeof t.prompt === "object" && !Array.isArray(t.prompt)) {
      const promptAbs = path.resolve(dir, t.prompt.file);
      if ((await kindOf(promptAbs)) !== "file") {
        throw invalid(at("prompt", "file"), field("prompt", "file"), `prompt file not found: ${display(promptAbs)}`);
      }
      prompt = await readPromptFile(promptAbs);
      origin = fileOrigin(display(promptAbs), prompt);
    } else if (t.prompt !== undefined) {
      prompt = t.prompt;
      origin = { locate: () => at("prompt"), label: `${at("prompt").file} ${field("prompt")}` };
    }
    checkSamples(located, dataLabel, prompt, origin);

    const task: Task = {
      name: t.name,
      version: t.version ?? suiteVersion,
      dataset: located.map((l) => l.sample),
      verifier: t.verifier,
    };
    if (prompt !== undefined) task.prompt = prompt;
    if (t.sampling !== undefined) task.sampling = stripUndefined(t.sampling) as SamplingParams;
    if (t.description !== undefined) task.description = t.description;
    tasks.push(task);
  }
  return tasks;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A prompt file: `.json`/`.yaml`/`.yml` hold chat messages, anything else is template text. */
async function readPromptFile(abs: string): Promise<PromptTemplate> {
  const text = await readFile(abs, "utf8");
  const ext = path.extname(abs);
  if (ext !== ".json" && ext !== ".yaml" && ext !== ".yml") return text;
  let value: unknown;
  try {
    value = ext === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw invalid({ file: display(abs) }, undefined, `invalid ${ext.slice(1).toUpperCase()}: ${(err as Error).message}`);
  }
  const parsed = z.array(chatMessageSchema).min(1).safeParse(value);
  if (!parsed.success) {
    const p = firstProblem(parsed.error, value);
    throw invalid({ file: display(abs) }, formatPath(p.path) || "(root)", `${p.what} (expected chat messages [{role, content}])`);
  }
  return parsed.data;
}

/** Where a template came from, so placeholder errors can name it. */
interface TemplateOrigin {
  locate(placeholder: string): SourcePosition;
  label: string;
}

function fileOrigin(file: string, template: PromptTemplate): TemplateOrigin {
  return {
    label: file,
    locate(placeholder) {
      if (typeof template !== "string") return { file };
      const escaped = placeholder.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const idx = template.search(new RegExp(`\\{\\{\\s*${escaped}\\s*\\}\\}`));
      if (idx < 0) return { file };
      const before = template.slice(0, idx).split("\n");
      return { file, line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
    },
  };
}

/** Every placeholder must resolve for every sample; with no template, every sample needs input. */
function checkSamples(located: LocatedSample[], dataLabel: string, prompt: PromptTemplate | undefined, origin: TemplateOrigin | undefined): void {
  if (prompt === undefined || origin === undefined) {
    const bad = located.find((l) => l.sample.input === undefined);
    if (bad) throw invalid({ file: dataLabel, line: bad.line }, undefined, `field "input": required when the task has no prompt template`);
    return;
  }
  for (const expr of placeholders(prompt)) {
    let segs: string[];
    try {
      segs = parsePath(expr);
    } catch (err) {
      throw invalid(origin.locate(expr), undefined, (err as Error).message);
    }
    if (segs[0] !== "item") {
      throw invalid(origin.locate(expr), undefined, `placeholder {{${expr}}}: prompt templates can only use item.* (the dataset line)`);
    }
    const fieldName = segs.slice(1).join(".");
    const missing = located.filter((l) => !resolves({ item: l.sample }, segs));
    if (missing.length === located.length) {
      throw invalid(origin.locate(expr), undefined, `unknown placeholder {{${expr}}}: no sample in ${dataLabel} has field "${fieldName}"`);
    }
    const first = missing[0];
    if (first) {
      throw invalid({ file: dataLabel, line: first.line }, undefined, `sample "${first.sample.id}" has no field "${fieldName}" used by {{${expr}}} in ${origin.label}`);
    }
  }
}

/** Inline samples of a module suite, validated like JSONL lines; errors name `dataset[i]`. */
function inlineSamples(items: unknown[], file: string, field: string): LocatedSample[] {
  const seen = new Map<string, number>();
  const out: LocatedSample[] = [];
  items.forEach((raw, i) => {
    let sample;
    try {
      sample = toSample(raw, { file });
    } catch (err) {
      throw invalid({ file }, `${field}[${i}]`, (err as Error).message.slice(file.length + 2));
    }
    const first = seen.get(sample.id);
    if (first !== undefined) {
      throw invalid({ file }, `${field}[${i}].id`, `duplicate id "${sample.id}" (first used at ${field}[${first}])`);
    }
    seen.set(sample.id, i);
    out.push({ sample, line: i + 1 });
  });
  if (out.length === 0) throw invalid({ file }, field, "dataset is empty: expected at least one sample");
  return out;
}
