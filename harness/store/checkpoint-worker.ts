// Body of the WAL checkpoint thread (see checkpointer.ts): a second connection to the run store's
// file that runs PRAGMA wal_checkpoint(PASSIVE) after the writer's commits, so the checkpoint's
// copying and fsyncs happen here and not on the writer's commit path (SQLite wal.html, "Application-
// Initiated Checkpoints"). Synchronous like the writer's, so durability is what it was.
import { DatabaseSync } from "node:sqlite";
import { workerData } from "node:worker_threads";
import { CKPT, type CheckpointWorkerData } from "./checkpointer.ts";

const { path, shared, minIntervalMs } = workerData as CheckpointWorkerData;
const state = new Int32Array(shared);

function finish(): void {
  Atomics.store(state, CKPT.STATE, CKPT.DONE);
  Atomics.notify(state, CKPT.STATE);
}

// The store may close before this thread starts: then it never opens the file.
if (Atomics.compareExchange(state, CKPT.STATE, CKPT.IDLE, CKPT.OPEN) !== CKPT.IDLE) {
  finish();
} else {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path);
    db.exec("PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
    let seen = 0;
    let last = 0;
    while (Atomics.load(state, CKPT.STATE) === CKPT.OPEN) {
      const commits = Atomics.load(state, CKPT.COMMITS);
      if (commits === seen) {
        Atomics.wait(state, CKPT.COMMITS, seen, 1000);
        continue;
      }
      const wait = last + minIntervalMs - performance.now();
      if (wait > 0) {
        // Not a busy loop: a stop request wakes it (the writer bumps COMMITS when it stops).
        Atomics.wait(state, CKPT.COMMITS, commits, wait);
        if (Atomics.load(state, CKPT.STATE) !== CKPT.OPEN) break;
      }
      seen = Atomics.load(state, CKPT.COMMITS);
      checkpoint.get();
      last = performance.now();
    }
  } catch (e) {
    Atomics.store(state, CKPT.FAILED, 1);
    process.emitWarning(`arbiter: WAL checkpoint thread for ${path} stopped: ${(e as Error).message}`);
  } finally {
    try {
      db?.close();
    } finally {
      finish();
    }
  }
}
