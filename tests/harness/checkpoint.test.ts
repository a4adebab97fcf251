// The run store checkpoints its WAL from a worker thread: the writer never auto-checkpoints, the
// thread backfills the main file while the store is open, close() leaves a checkpointed file, and
// the thread never keeps a process alive.
import { afterEach, describe, expect, it } from "vitest";
import { DatabaseSync } from "node:sqlite";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { SqliteRunStore } from "../../harness/store/sqlite.ts";
import type { SampleRecord } from "../../harness/types.ts";
import { tempDir } from "./fixtures.ts";

const open: SqliteRunStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

function samples(from: number, n: number): SampleRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    task: "t", itemId: `item-${from + i}`, sampleIndex: 0,
    completion: { text: "x".repeat(200) + (from + i), finishReason: "stop" as const },
    verdict: { reward: (from + i) % 2, pass: (from + i) % 2 === 1 },
  }));
}

function fill(store: SqliteRunStore, batches: number): void {
  store.createRun({ id: "r", spec: { suite: "s", policy: "p", samples: 1, seed: 0 }, suiteName: "s", suiteVersion: "1", contentHash: "h", policyId: "p", status: "running", createdAt: 0 });
  for (let b = 0; b < batches; b++) store.writeSamples("r", samples(b * 500, 500));
}

const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);

describe("WAL checkpoint thread", () => {
  it("turns the writer's auto-checkpoint off and backfills the main file while the store is open", async () => {
    const db = join(tempDir(), "runs.db");
    const store = new SqliteRunStore(db);
    open.push(store);
    expect((store.db.prepare("PRAGMA wal_autocheckpoint").get() as { wal_autocheckpoint: number }).wal_autocheckpoint).toBe(0);
    const before = size(db);
    fill(store, 20);
    expect(size(`${db}-wal`)).toBeGreaterThan(1 << 20);
    // Only the thread can have copied pages into the main file: the writer does not checkpoint.
    const deadline = Date.now() + 10_000;
    while (size(db) < before + (1 << 20) && Date.now() < deadline) await sleep(20);
    expect(size(db)).toBeGreaterThan(before + (1 << 20));
  });

  it("without the thread the writer checkpoints as SQLite does by default", () => {
    const store = new SqliteRunStore(join(tempDir(), "runs.db"), { checkpointThread: false });
    open.push(store);
    expect((store.db.prepare("PRAGMA wal_autocheckpoint").get() as { wal_autocheckpoint: number }).wal_autocheckpoint).toBe(1000);
  });

  it("close() leaves a checkpointed database holding every row", () => {
    const db = join(tempDir(), "runs.db");
    const store = new SqliteRunStore(db);
    fill(store, 10);
    store.close();
    expect(size(`${db}-wal`)).toBe(0);
    const conn = new DatabaseSync(db, { readOnly: true });
    try {
      expect(Number((conn.prepare("SELECT count(*) AS n, sum(reward) AS s FROM samples").get() as { n: number }).n)).toBe(5000);
      expect(Number((conn.prepare("SELECT sum(reward) AS s FROM samples").get() as { s: number }).s)).toBe(2500);
    } finally {
      conn.close();
    }
  });

  it("closing right after opening (before the thread starts) is clean", () => {
    const db = join(tempDir(), "runs.db");
    for (let i = 0; i < 3; i++) new SqliteRunStore(db).close();
    expect(size(`${db}-wal`)).toBe(0);
  });

  it("never keeps a process alive: a script that leaves its store open still exits", async () => {
    const dir = tempDir();
    const script = join(dir, "leave-open.ts");
    const storeUrl = new URL(`file://${resolve("harness/store/sqlite.ts")}`).href;
    writeFileSync(script, [
      `import { SqliteRunStore } from ${JSON.stringify(storeUrl)};`,
      `const s = new SqliteRunStore(${JSON.stringify(join(dir, "runs.db"))});`,
      `s.createRun({ id: "r", spec: { suite: "s", policy: "p", samples: 1, seed: 0 }, suiteName: "s", suiteVersion: "1", contentHash: "h", policyId: "p", status: "running", createdAt: 0 });`,
      `s.writeSamples("r", [{ task: "t", itemId: "a", sampleIndex: 0, completion: { text: "x", finishReason: "stop" }, verdict: { reward: 1 } }]);`,
      `await new Promise((r) => setTimeout(r, 100));`,
    ].join("\n"));
    const r = await execa(process.execPath, [script], { reject: false, timeout: 15_000 });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode, r.stderr).toBe(0);
    const conn = new DatabaseSync(join(dir, "runs.db"), { readOnly: true });
    try {
      expect(Number((conn.prepare("SELECT count(*) AS n FROM samples").get() as { n: number }).n)).toBe(1);
    } finally {
      conn.close();
    }
  });
});
