// A real `arbiter eval` child process is SIGKILLed mid-run, then resumed by the same command:
// the final samples must equal a clean run's exactly, none lost, none duplicated.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseSync } from "node:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startOpenAIServer, type TestServer } from "./openai-server.ts";
import { arbiter } from "./run-cli.ts";
import { type FixtureTask, tempDir, writeSuite } from "../harness/fixtures.ts";

const TASKS: FixtureTask[] = [
  { name: "alpha", items: 100, correct: () => true },
  { name: "beta", items: 100, correct: () => true },
];
const K = 2;
const TOTAL = 200 * K;

function count(db: string): number {
  if (!existsSync(db)) return 0;
  try {
    const conn = new DatabaseSync(db, { readOnly: true });
    try {
      return Number((conn.prepare("SELECT count(*) AS n FROM samples").get() as { n: number }).n);
    } finally {
      conn.close();
    }
  } catch {
    return 0; // not created yet
  }
}

function rows(db: string): unknown[] {
  const conn = new DatabaseSync(db, { readOnly: true });
  try {
    return conn
      .prepare("SELECT task, item_id, sample_index, completion, verdict, reward, pass, error_kind FROM samples ORDER BY task, item_id, sample_index")
      .all();
  } finally {
    conn.close();
  }
}

let server: TestServer;
beforeAll(async () => {
  server = await startOpenAIServer(15);
});
afterAll(async () => {
  await server.close();
});

describe("arbiter eval killed with SIGKILL", () => {
  it("resumes to exactly the samples of a clean run", async () => {
    const dir = tempDir();
    const suite = writeSuite(join(dir, "suite"), TASKS);
    const args = (db: string) => [
      "eval", "--suite", suite, "--policy", `openai:test-model@${server.url}`, "--samples", String(K), "--seed", "3",
      "--concurrency", "2", "--batch-size", "1", "--db", db,
    ];
    const db = join(dir, "killed.db");
    const child = arbiter(args(db));
    const deadline = Date.now() + 60_000;
    while (count(db) < 40 && Date.now() < deadline) await sleep(10);
    child.kill("SIGKILL");
    const killed = await child;
    expect(killed.signal).toBe("SIGKILL");
    const atKill = count(db);
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(TOTAL);

    const resumed = await arbiter(args(db));
    expect(resumed.exitCode, resumed.all).toBe(0);
    const clean = await arbiter(args(join(dir, "clean.db")));
    expect(clean.exitCode, clean.all).toBe(0);

    const got = rows(db);
    expect(got).toHaveLength(TOTAL);
    expect(new Set(got.map((r) => JSON.stringify(r))).size).toBe(TOTAL);
    expect(got).toEqual(rows(join(dir, "clean.db")));
    // The resumed store's run is finished and its aggregates count every sample once.
    const conn = new DatabaseSync(db, { readOnly: true });
    const run = conn.prepare("SELECT status, aggregates FROM runs").get() as { status: string; aggregates: string };
    conn.close();
    expect(run.status).toBe("finished");
    expect(JSON.parse(run.aggregates).totals.samples).toBe(TOTAL);
  });
});
