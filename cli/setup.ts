// Turns CLI inputs into run collaborators; every failure here is a usage error (exit 2).
// Suites, policies and verifiers are imported on first use: a flag error or `arbiter compare`
// should not pay for loading model runtimes and sandboxes.
import { dirname } from "node:path";
import type { Suite } from "../tasks/types.ts";
import type { Policy } from "../harness/policy/types.ts";
import type { Verifier } from "../verifiers/types.ts";
import { UsageError } from "./errors.ts";

export async function loadSuite(path: string): Promise<Suite> {
  return (await import("../tasks/load.ts")).loadSuite(path);
}

export async function openPolicy(spec: string): Promise<Policy> {
  const { createPolicy } = await import("../harness/policy/spec.ts");
  try {
    return await createPolicy(spec);
  } catch (e) {
    throw new UsageError("bad_policy", `--policy ${spec}: ${(e as Error).message}`, { cause: e });
  }
}

/** Builds one verifier per task; a bad verifier config names the task and the field. */
export async function buildVerifiers(suite: Suite, taskNames: readonly string[]): Promise<Map<string, Verifier>> {
  const registry = (await import("../verifiers/builtin.ts")).defaultRegistry();
  const baseDir = suite.source === undefined ? process.cwd() : dirname(suite.source);
  const out = new Map<string, Verifier>();
  for (const task of suite.tasks) {
    if (!taskNames.includes(task.name)) continue;
    try {
      out.set(task.name, await registry.build(task.verifier, { baseDir }));
    } catch (e) {
      await closeVerifiers(out);
      throw new UsageError("bad_verifier", `suite ${suite.name}, task "${task.name}": ${(e as Error).message}`, { cause: e });
    }
  }
  return out;
}

export async function closeVerifiers(verifiers: Map<string, Verifier>): Promise<void> {
  await Promise.allSettled([...verifiers.values()].map((v) => v.close?.()));
}
