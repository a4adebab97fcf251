// Content hash of a suite: sha256 over a canonical serialisation (sorted keys, no whitespace).
import { createHash } from "node:crypto";
import type { Suite } from "./types.ts";

/** JSON with object keys sorted recursively and undefined members dropped (RFC 8785 in spirit). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new TypeError(`canonicalJson: non-finite number ${value}`);
    }
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** What the hash covers: everything that changes what a run does, nothing about where it lives. */
export type HashableSuite = Pick<Suite, "name" | "version" | "tasks">;

/** sha256 (hex) over name, version and every task's dataset, template, verifier, sampling,
 *  description. Sample order is significant; key order and the folder's path are not. */
export function suiteContentHash(suite: HashableSuite): string {
  const body = {
    name: suite.name,
    version: suite.version,
    tasks: suite.tasks.map((t) => ({
      name: t.name,
      version: t.version,
      description: t.description,
      prompt: t.prompt,
      verifier: t.verifier,
      sampling: t.sampling,
      dataset: t.dataset,
    })),
  };
  return createHash("sha256").update("arbiter-suite-v1\n").update(canonicalJson(body)).digest("hex");
}
