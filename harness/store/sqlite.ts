// The run store on SQLite (node:sqlite): WAL, prepared statements, one transaction per batch.
import { DatabaseSync, type StatementSync, type SQLInputValue } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type {
  RewardRow,
  RunAggregates,
  RunRecord,
  RunStatus,
  RunStore,
  SampleRecord,
} from "../types.ts";
import { RunError } from "../types.ts";
import { SCHEMA_SQL, SCHEMA_VERSION } from "./schema.ts";
import { WalCheckpointer } from "./checkpointer.ts";

const COLUMNS = 9;
/** Rows per multi-row INSERT: fewer calls across the native boundary (measured ~20% faster than 1). */
const CHUNK = 50;

export function openDatabase(path: string): DatabaseSync {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
  } catch (e) {
    throw new RunError("store_failed", `cannot open SQLite database ${path}: ${(e as Error).message}`, { cause: e });
  }
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
  db.exec(SCHEMA_SQL);
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  if (row === undefined) {
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
  } else if (Number(row.value) !== SCHEMA_VERSION) {
    throw new RunError(
      "store_failed",
      `database ${path} has schema version ${row.value}, this Arbiter reads version ${SCHEMA_VERSION}`,
    );
  }
  return db;
}

interface RunRow {
  seq: number;
  id: string;
  spec: string;
  suite_name: string;
  suite_version: string;
  content_hash: string;
  policy_id: string;
  status: string;
  created_at: number;
  finished_at: number | null;
  aggregates: string | null;
  error: string | null;
}

function toRecord(r: RunRow): RunRecord {
  const rec: RunRecord = {
    id: r.id,
    spec: JSON.parse(r.spec),
    suiteName: r.suite_name,
    suiteVersion: r.suite_version,
    contentHash: r.content_hash,
    policyId: r.policy_id,
    status: r.status as RunStatus,
    createdAt: r.created_at,
  };
  if (r.finished_at !== null) rec.finishedAt = r.finished_at;
  if (r.aggregates !== null) rec.aggregates = JSON.parse(r.aggregates) as RunAggregates;
  if (r.error !== null) rec.error = r.error;
  return rec;
}

export interface SqliteRunStoreOptions {
  /** Checkpoint the WAL from a worker thread instead of on the writer's commits (default true;
   *  only for a file the store opens itself). */
  checkpointThread?: boolean;
}

export class SqliteRunStore implements RunStore {
  readonly db: DatabaseSync;
  readonly #ownsDb: boolean;
  readonly #seqs = new Map<string, number>();
  readonly #insertOne: StatementSync;
  readonly #insertChunk: StatementSync;
  readonly #args: SQLInputValue[] = new Array(COLUMNS * CHUNK);
  #checkpointer: WalCheckpointer | undefined;

  /** Opens (and creates) the database file, or uses an open database shared with the cache. */
  constructor(pathOrDb: string | DatabaseSync, options: SqliteRunStoreOptions = {}) {
    this.#ownsDb = typeof pathOrDb === "string";
    this.db = typeof pathOrDb === "string" ? openDatabase(pathOrDb) : pathOrDb;
    if (typeof pathOrDb === "string" && pathOrDb !== ":memory:" && options.checkpointThread !== false) {
      this.db.exec("PRAGMA wal_autocheckpoint = 0");
      this.#checkpointer = new WalCheckpointer(pathOrDb);
    }
    const values = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";
    const insert = "INSERT OR IGNORE INTO samples (run, task, item_id, sample_index, completion, verdict, reward, pass, error_kind) VALUES ";
    this.#insertOne = this.db.prepare(insert + values);
    this.#insertChunk = this.db.prepare(insert + Array(CHUNK).fill(values).join(", "));
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as RunRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  listRuns(): RunRecord[] {
    return (this.db.prepare("SELECT * FROM runs ORDER BY seq").all() as unknown as RunRow[]).map(toRecord);
  }

  createRun(run: RunRecord): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, spec, suite_name, suite_version, content_hash, policy_id, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(run.id, JSON.stringify(run.spec), run.suiteName, run.suiteVersion, run.contentHash, run.policyId, run.status, run.createdAt);
  }

  setStatus(id: string, status: RunStatus, extra: { aggregates?: RunAggregates; error?: string } = {}): void {
    const ended = status === "running" ? null : Date.now();
    this.db
      .prepare("UPDATE runs SET status = ?, finished_at = ?, aggregates = coalesce(?, aggregates), error = ? WHERE id = ?")
      .run(status, ended, extra.aggregates === undefined ? null : JSON.stringify(extra.aggregates), extra.error ?? null, id);
  }

  writeSamples(runId: string, samples: readonly SampleRecord[]): void {
    if (samples.length === 0) return;
    const seq = this.#seq(runId);
    const args = this.#args;
    let i = 0;
    this.db.exec("BEGIN");
    try {
      for (; i + CHUNK <= samples.length; i += CHUNK) {
        for (let j = 0; j < CHUNK; j++) fill(args, j * COLUMNS, seq, samples[i + j]!);
        this.#insertChunk.run(...args);
      }
      const one: SQLInputValue[] = new Array(COLUMNS);
      for (; i < samples.length; i++) {
        fill(one, 0, seq, samples[i]!);
        this.#insertOne.run(...one);
      }
      this.db.exec("COMMIT");
      this.#committed();
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw new RunError("store_failed", `writing samples of run ${runId} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  finishedIndexes(runId: string, task: string): Map<string, Set<number>> {
    const out = new Map<string, Set<number>>();
    const seq = this.#seqOrUndefined(runId);
    if (seq === undefined) return out;
    const rows = this.db
      .prepare("SELECT item_id, sample_index FROM samples WHERE run = ? AND task = ?")
      .all(seq, task) as unknown as { item_id: string; sample_index: number }[];
    for (const r of rows) {
      let set = out.get(r.item_id);
      if (set === undefined) out.set(r.item_id, (set = new Set()));
      set.add(r.sample_index);
    }
    return out;
  }

  rewards(runId: string): RewardRow[] {
    const seq = this.#seqOrUndefined(runId);
    if (seq === undefined) return [];
    const stmt = this.db.prepare(
      "SELECT task, item_id, sample_index, reward, pass, error_kind FROM samples WHERE run = ? ORDER BY task, item_id, sample_index",
    );
    // Arrays, not row objects: reading 100k rows measured ~3x cheaper.
    stmt.setReturnArrays(true);
    const rows = stmt.all(seq) as unknown as [string, string, number, number, number | null, string | null][];
    const out: RewardRow[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      out[i] = { task: r[0], itemId: r[1], sampleIndex: r[2], reward: r[3], pass: r[4] === null ? undefined : r[4] === 1, errorKind: r[5] ?? undefined };
    }
    return out;
  }

  samples(runId: string, task?: string): SampleRecord[] {
    const seq = this.#seqOrUndefined(runId);
    if (seq === undefined) return [];
    const sql = "SELECT task, item_id, sample_index, completion, verdict FROM samples WHERE run = ?";
    const stmt = this.db.prepare(task === undefined ? `${sql} ORDER BY task, item_id, sample_index` : `${sql} AND task = ? ORDER BY item_id, sample_index`);
    const rows = (task === undefined ? stmt.all(seq) : stmt.all(seq, task)) as unknown as {
      task: string; item_id: string; sample_index: number; completion: string; verdict: string;
    }[];
    return rows.map((r) => ({
      task: r.task,
      itemId: r.item_id,
      sampleIndex: r.sample_index,
      completion: JSON.parse(r.completion),
      verdict: JSON.parse(r.verdict),
    }));
  }

  countSamples(runId: string): number {
    const seq = this.#seqOrUndefined(runId);
    if (seq === undefined) return 0;
    return Number((this.db.prepare("SELECT count(*) AS n FROM samples WHERE run = ?").get(seq) as { n: number }).n);
  }

  /** Closes the database; with the checkpoint thread, stops it first so this close is the last
   *  connection's and leaves the database checkpointed. */
  close(): void {
    this.#checkpointer?.stop();
    this.#checkpointer = undefined;
    if (this.#ownsDb && this.db.isOpen) this.db.close();
  }

  #committed(): void {
    const c = this.#checkpointer;
    if (c === undefined) return;
    if (c.healthy) {
      c.committed();
      return;
    }
    // The thread failed: back to SQLite's own checkpoints so the WAL cannot grow without bound.
    c.stop();
    this.#checkpointer = undefined;
    this.db.exec("PRAGMA wal_autocheckpoint = 1000");
  }

  #seqOrUndefined(runId: string): number | undefined {
    const cached = this.#seqs.get(runId);
    if (cached !== undefined) return cached;
    const row = this.db.prepare("SELECT seq FROM runs WHERE id = ?").get(runId) as { seq: number } | undefined;
    if (row !== undefined) this.#seqs.set(runId, row.seq);
    return row?.seq;
  }

  #seq(runId: string): number {
    const seq = this.#seqOrUndefined(runId);
    if (seq === undefined) throw new RunError("no_such_run", `run ${runId} is not in the store; create it first`);
    return seq;
  }
}

function fill(args: SQLInputValue[], at: number, seq: number, s: SampleRecord): void {
  const v = s.verdict;
  args[at] = seq;
  args[at + 1] = s.task;
  args[at + 2] = s.itemId;
  args[at + 3] = s.sampleIndex;
  args[at + 4] = JSON.stringify(s.completion);
  args[at + 5] = JSON.stringify(v);
  args[at + 6] = Number.isFinite(v.reward) ? v.reward : 0;
  args[at + 7] = v.pass === undefined ? null : v.pass ? 1 : 0;
  args[at + 8] = v.error?.kind ?? null;
}
