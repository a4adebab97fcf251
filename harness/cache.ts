// Completion cache in SQLite, shared across runs: a completion is reused when the same policy saw
// the same rendered prompt with the same params at the same sample index.
import { createHash } from "node:crypto";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Prompt, SamplingParams } from "../tasks/types.ts";
import type { Completion } from "./policy/types.ts";
import type { CompletionCache } from "./types.ts";
import { openDatabase } from "./store/sqlite.ts";

export function cacheKey(policyId: string, prompt: Prompt, params: SamplingParams, sampleIndex: number): string {
  return createHash("sha256")
    .update(policyId)
    .update("\0")
    .update(typeof prompt === "string" ? prompt : JSON.stringify(prompt))
    .update("\0")
    .update(canonicalJson(params))
    .update("\0")
    .update(String(sampleIndex))
    .digest("hex");
}

/** JSON with object keys sorted, so equal params give equal keys whatever their order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export class SqliteCompletionCache implements CompletionCache {
  readonly db: DatabaseSync;
  readonly #ownsDb: boolean;
  readonly #get: StatementSync;
  readonly #put: StatementSync;

  constructor(pathOrDb: string | DatabaseSync) {
    this.#ownsDb = typeof pathOrDb === "string";
    this.db = typeof pathOrDb === "string" ? openDatabase(pathOrDb) : pathOrDb;
    this.#get = this.db.prepare("SELECT completion FROM completion_cache WHERE key = ?");
    this.#put = this.db.prepare("INSERT OR REPLACE INTO completion_cache (key, completion, created_at) VALUES (?, ?, ?)");
  }

  getMany(keys: readonly string[]): (Completion | undefined)[] {
    return keys.map((k) => {
      const row = this.#get.get(k) as { completion: string } | undefined;
      return row === undefined ? undefined : (JSON.parse(row.completion) as Completion);
    });
  }

  putMany(entries: readonly (readonly [string, Completion])[]): void {
    if (entries.length === 0) return;
    const now = Date.now();
    this.db.exec("BEGIN");
    try {
      for (const [k, c] of entries) this.#put.run(k, JSON.stringify(c), now);
      this.db.exec("COMMIT");
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
  }

  close(): void {
    if (this.#ownsDb && this.db.isOpen) this.db.close();
  }
}
