// unit_test: the completion's program runs against harness-owned tests inside the program sandbox.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { configError } from "./errors.ts";
import { sanitize } from "./sandbox/text.ts";
import { errorVerdict, lazySandbox, outputTail, runForReport, runLimits, sandboxOptionsShape } from "./sandbox/verdict.ts";
import type { SandboxPaths } from "./sandbox/types.ts";
import type { Verdict, VerifierFactory } from "./types.ts";

const RUNNERS = path.join(import.meta.dirname, "sandbox", "runners");

const schema = z
  .object({
    name: z.string().optional(),
    language: z.enum(["python", "javascript"]),
    /** Inline test source. */
    tests: z.string().min(1).optional(),
    /** A test file, relative to the suite's directory. */
    testsFile: z.string().min(1).optional(),
    /** Fail (invalid_output) unless exactly this many tests ran. */
    expectedTests: z.number().int().min(1).optional(),
    scoring: z.enum(["fraction", "all_or_nothing"]).default("fraction"),
    /** Per-test limit inside the run (default: the whole timeoutMs). */
    perTestTimeoutMs: z.number().int().min(50).optional(),
    ...sandboxOptionsShape,
  })
  .strict();

export type UnitTestConfig = z.infer<typeof schema>;

const FENCE = /```([\w+-]*)[^\n]*\n([\s\S]*?)```/g;
const TAGS = { python: ["python", "py", "python3"], javascript: ["javascript", "js", "node", "mjs"] };

/** The first fenced block tagged with the language, else the first fenced block, else the text. */
export function extractCode(text: string, language: "python" | "javascript"): string {
  const blocks = [...text.matchAll(FENCE)].map((m) => ({ tag: (m[1] ?? "").toLowerCase(), body: m[2] ?? "" }));
  const tagged = blocks.find((b) => TAGS[language].includes(b.tag));
  return (tagged ?? blocks[0])?.body ?? text;
}

/** Review flags (sandbox-anchors §6.7): never the security boundary, only a signal in details. */
const FLAGS: Array<[string, RegExp]> = [
  ["exit", /\bsys\.exit\b|\bos\._exit\b|\bprocess\.exit\b|\bexit\(/],
  ["eq_override", /__eq__|__ne__|Symbol\.toPrimitive|valueOf\s*\(/],
  ["introspection", /sys\._getframe|\bgc\.|inspect\.|settrace|setprofile|__code__|__globals__/],
  ["native", /\bctypes\b|_posixsubprocess|process\.binding|\bptrace\b/],
  ["proc_fs", /\/proc\//],
  ["builtins_patch", /\bbuiltins\b|globalThis\s*\.|Object\.defineProperty\s*\(\s*globalThis/],
  ["test_tamper", /conftest|sitecustomize|\btest_\w+\.py\b|TestReport|unittest\.TestCase\.\w+\s*=/],
];

export function staticFlags(code: string): string[] {
  return FLAGS.filter(([, re]) => re.test(code)).map(([name]) => name);
}

interface TestRow {
  name: string;
  passed: boolean;
  error?: string | null;
}

export const unitTestFactory: VerifierFactory<UnitTestConfig> = {
  kind: "unit_test",
  schema,
  create(config, services) {
    if ((config.tests === undefined) === (config.testsFile === undefined)) {
      throw configError(["tests"], "give exactly one of `tests` (inline source) or `testsFile` (a path)");
    }
    let tests = config.tests;
    if (config.testsFile !== undefined) {
      const file = path.resolve(services.baseDir ?? process.cwd(), config.testsFile);
      try {
        tests = fs.readFileSync(file, "utf8");
      } catch (err) {
        throw configError(["testsFile"], `cannot read test file ${file}: ${(err as Error).message}`);
      }
    }
    const py = config.language === "python";
    const runnerFiles = py
      ? { "arbiter_runner.py": fs.readFileSync(path.join(RUNNERS, "py_runner.py")), "test_solution.py": tests! }
      : {
          "arbiter_runner.mjs": fs.readFileSync(path.join(RUNNERS, "js_runner.mjs")),
          "arbiter_worker.mjs": fs.readFileSync(path.join(RUNNERS, "js_worker.mjs")),
          "tests.js": tests!,
        };
    const sandbox = lazySandbox(config);
    const limits = runLimits(config);
    const budgetMs = Math.max(100, config.timeoutMs - 700); // leave the runner time to report
    const perTest = Math.min(config.perTestTimeoutMs ?? budgetMs, budgetMs);
    const heapMb = Math.max(32, Math.floor((config.limits?.memoryMb ?? 512) * 0.6));

    const argv = (p: SandboxPaths): string[] =>
      py
        ? [p.python, "-I", "-B", `${p.readonly}/arbiter_runner.py`, `${p.readonly}/test_solution.py`, p.work, String(perTest), String(budgetMs)]
        : [p.node, `--max-old-space-size=${heapMb}`, `${p.readonly}/arbiter_runner.mjs`, `${p.readonly}/tests.js`, `${p.work}/solution.js`,
           `${p.readonly}/arbiter_worker.mjs`, String(perTest), String(budgetMs), String(heapMb)];

    return {
      kind: "unit_test",
      async verify(ctx): Promise<Verdict> {
        const code = extractCode(ctx.output, config.language);
        const req = { files: { [py ? "solution.py" : "solution.js"]: code }, readonlyFiles: runnerFiles, argv, limits, addressSpaceLimit: py };
        const got = await runForReport(sandbox, req, { signal: ctx.signal });
        const flags = staticFlags(code);
        if ("verdict" in got) return got.res ? { ...got.verdict, details: { ...got.verdict.details, flags } } : got.verdict;
        const { res, report } = got;
        const rows = Array.isArray(report.tests) ? (report.tests as TestRow[]) : [];
        const tier = res.tier;
        if (typeof report.error === "string") return errorVerdict("invalid_output", report.error, { tier });
        const expected = config.expectedTests ?? Number(report.discovered);
        if (!(expected > 0)) return errorVerdict("invalid_output", "the test file defines no tests", { tier });
        if (rows.length !== expected) {
          return errorVerdict("invalid_output", `expected ${expected} tests to run, the runner reported ${rows.length}`, { tier });
        }
        const passed = rows.filter((r) => r.passed === true).length;
        const all = passed === expected;
        const reward = config.scoring === "all_or_nothing" ? (all ? 1 : 0) : passed / expected;
        return {
          reward,
          pass: all,
          reason: `${passed}/${expected} tests passed`,
          tier,
          details: {
            passed,
            total: expected,
            tests: rows.map((r) => ({ name: sanitize(String(r.name), 200), passed: r.passed === true, ...(r.error ? { error: sanitize(String(r.error), 500) } : {}) })),
            flags,
            ...outputTail(res),
          },
        };
      },
    };
  },
};
