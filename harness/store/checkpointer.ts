// Checkpoints a WAL database from a worker thread. The writer turns auto-checkpoint off and
// calls `committed()` after each commit; the thread runs PASSIVE checkpoints (at most one per
// `minIntervalMs`), so the fsyncs of checkpointing leave the writer's path. `stop()` is
// synchronous: it returns once the thread's connection is closed, so the writer's own close is
// the last one and leaves a checkpointed database (SQLite checkpoints on the last close). The
// thread is unref'd: it never keeps the process alive.
import { Worker } from "node:worker_threads";

/** Slots of the shared Int32Array. */
export const CKPT = {
  STATE: 0,
  COMMITS: 1,
  FAILED: 2,
  // STATE values
  IDLE: 0,
  OPEN: 1,
  STOP: 2,
  DONE: 3,
} as const;

export interface CheckpointWorkerData {
  path: string;
  shared: SharedArrayBuffer;
  minIntervalMs: number;
}

/** How long `stop()` waits for the thread to close its connection (a checkpoint in flight). */
const STOP_TIMEOUT_MS = 10_000;

export class WalCheckpointer {
  readonly #state = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  readonly #worker: Worker;

  constructor(path: string, minIntervalMs = 100) {
    const workerData: CheckpointWorkerData = { path, shared: this.#state.buffer as SharedArrayBuffer, minIntervalMs };
    this.#worker = new Worker(new URL("./checkpoint-worker.ts", import.meta.url), { workerData });
    this.#worker.unref();
    // A thread that failed to start reports here; `healthy` then tells the writer.
    this.#worker.on("error", () => Atomics.store(this.#state, CKPT.FAILED, 1));
  }

  /** False once the thread has failed: the writer should checkpoint by itself again. */
  get healthy(): boolean {
    return Atomics.load(this.#state, CKPT.FAILED) === 0;
  }

  committed(): void {
    Atomics.add(this.#state, CKPT.COMMITS, 1);
    Atomics.notify(this.#state, CKPT.COMMITS);
  }

  /** Stops the thread and waits (blocking) until its connection is closed. */
  stop(): void {
    const prev = Atomics.exchange(this.#state, CKPT.STATE, CKPT.STOP);
    if (prev === CKPT.OPEN) {
      this.committed(); // wakes the thread
      const deadline = performance.now() + STOP_TIMEOUT_MS;
      while (Atomics.load(this.#state, CKPT.STATE) !== CKPT.DONE && performance.now() < deadline) {
        Atomics.wait(this.#state, CKPT.STATE, CKPT.STOP, 50);
      }
    }
    if (prev === CKPT.DONE) Atomics.store(this.#state, CKPT.STATE, CKPT.DONE);
    void this.#worker.terminate();
  }
}
