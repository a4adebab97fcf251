// Content hash of a suite: sha256 over a canonical serialisation (sorted keys, no whitespace).
import { createHash } from "node:crypto";
import type { Suite } from "./types.ts";

/** JSON with object keys sorted recursively and undefined members dropped (RFC 8785 in spirit).
 *  Built in one string, without per-level entry arrays: a 100k-line dataset is hashed on load. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new TypeError(`canonicalJson: non-finite number ${value}`);
    }
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      // A hole stays empty, as Array.prototype.map + join render it.
      if (i in value) out += canonicalJson(value[i] ?? null);
    }
    return out + "]";
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = "{";
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ",";
    out += JSON.stringify(k) + ":" + canonicalJson(v);
  }
  return out + "}";
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
