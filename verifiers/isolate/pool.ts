// A warm pool of grader worker processes with a queue. Calls are batched per IPC message and
// pipelined (several batches in flight per worker); an outer watchdog kills a worker that stops
// answering (isolated-vm's own timeout does not cover every hang), and a dead worker's calls are
// re-run alone so that only the call that killed it gets the timeout/crash result.
import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { CallIn, CallOut, FromWorker, IsolateLimits, ToWorker } from "./protocol.ts";

export interface IsolatePoolOptions {
  /** The grader's JavaScript source; must define grade(sample, item). */
  code: string;
  /** Worker processes; default: the number of cores. */
  size?: number;
  limits?: Partial<IsolateLimits>;
  /** Largest number of calls sent to a worker in one IPC message. */
  maxBatch?: number;
  /** Batches in flight per worker (pipelining). */
  maxInFlight?: number;
  /** Outer watchdog: kill a busy worker silent for this long. Default 2 × timeout + 1000 ms. */
  watchdogMs?: number;
  /** V8 old-space cap of each worker process (MB). */
  workerHeapMb?: number;
  /** Largest accepted source (characters); compile has no timeout, so size is capped first. */
  maxCodeChars?: number;
}

export class IsolatePoolError extends Error {
  readonly code: "code_too_large" | "compile_error" | "closed" | "spawn_failed";
  constructor(code: IsolatePoolError["code"], message: string) {
    super(message);
    this.name = "IsolatePoolError";
    this.code = code;
  }
}

interface Pending {
  call: CallIn;
  resolve: (r: CallOut) => void;
  /** Re-queued after its batch killed a worker: must run alone next time. */
  solo: boolean;
}

interface Batch {
  seq: number;
  open: Map<number, Pending>;
}

interface Worker {
  proc: ChildProcess;
  ready: boolean;
  inFlight: Batch[];
  watchdog: NodeJS.Timeout | null;
  killedBy: "watchdog" | null;
  stderr: string;
}

export interface PoolStats {
  spawned: number;
  crashes: number;
  watchdogKills: number;
  batches: number;
}

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));

export class IsolatePool {
  readonly limits: IsolateLimits;
  readonly stats: PoolStats = { spawned: 0, crashes: 0, watchdogKills: 0, batches: 0 };
  readonly #code: string;
  readonly #size: number;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #watchdogMs: number;
  readonly #heapMb: number;
  #workers: Worker[] = [];
  #queue: Pending[] = [];
  #nextId = 1;
  #nextSeq = 1;
  #scheduled = false;
  #closed = false;
  #started: Promise<void> | null = null;

  constructor(opts: IsolatePoolOptions) {
    const maxCode = opts.maxCodeChars ?? 256 * 1024;
    if (opts.code.length > maxCode) {
      throw new IsolatePoolError("code_too_large", `grader source is ${opts.code.length} characters; the limit is ${maxCode}`);
    }
    this.#code = opts.code;
    this.limits = {
      memoryLimitMb: Math.max(8, opts.limits?.memoryLimitMb ?? 64),
      timeoutMs: opts.limits?.timeoutMs ?? 1000,
      maxResultChars: opts.limits?.maxResultChars ?? 64 * 1024,
    };
    this.#size = Math.max(1, opts.size ?? availableParallelism());
    this.#maxBatch = Math.max(1, opts.maxBatch ?? 512);
    this.#maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
    this.#watchdogMs = opts.watchdogMs ?? this.limits.timeoutMs * 2 + 1000;
    this.#heapMb = opts.workerHeapMb ?? 256;
  }

  /** Starts the workers and waits until the grader compiled in each; rejects on a compile error. */
  start(): Promise<void> {
    this.#started ??= Promise.all(Array.from({ length: this.#size }, () => this.#spawn())).then(() => undefined);
    return this.#started;
  }

  /** Grades one call; `sample` and `item` are JSON text. Never rejects. */
  call(sample: string, item: string): Promise<CallOut> {
    const id = this.#nextId++;
    if (this.#closed) {
      return Promise.resolve({ id, ok: false, kind: "crash", message: "the isolate pool is closed" });
    }
    if (this.#started === null) this.start().catch((err: Error) => this.#failQueue(err.message));
    return new Promise((resolve) => {
      this.#queue.push({ call: { id, sample, item }, resolve, solo: false });
      this.#schedule();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#queue.splice(0)) p.resolve({ id: p.call.id, ok: false, kind: "crash", message: "the isolate pool closed" });
    const exits = this.#workers.map((w) => new Promise<void>((res) => {
      if (w.proc.exitCode !== null || w.proc.signalCode !== null) return res();
      w.proc.once("exit", () => res());
      w.proc.kill("SIGKILL");
    }));
    await Promise.all(exits);
  }

  /** Process ids of the live workers (tests use them to check replacement). */
  pids(): number[] {
    return this.#workers.flatMap((w) => (w.proc.pid === undefined ? [] : [w.proc.pid]));
  }

  #spawn(): Promise<void> {
    const proc = fork(WORKER, [], {
      execArgv: ["--no-node-snapshot", `--max-old-space-size=${this.#heapMb}`, "--disable-warning=ExperimentalWarning"],
      // A clean environment: nothing of the harness's env (secrets) exists in the worker.
      env: {},
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "json",
    });
    this.stats.spawned++;
    const w: Worker = { proc, ready: false, inFlight: [], watchdog: null, killedBy: null, stderr: "" };
    this.#workers.push(w);
    proc.stderr?.on("data", (d: Buffer) => {
      w.stderr = (w.stderr + d.toString()).slice(-4000);
    });
    return new Promise((resolve, reject) => {
      proc.on("message", (m: FromWorker) => {
        if (m.t === "ready") {
          w.ready = true;
          resolve();
          this.#schedule();
        } else if (m.t === "init_error") {
          reject(new IsolatePoolError("compile_error", `grader failed to load: ${m.message}`));
          this.#remove(w);
          proc.kill("SIGKILL");
        } else {
          this.#onResults(w, m.seq, m.results, m.done);
        }
      });
      proc.on("error", (err) => reject(new IsolatePoolError("spawn_failed", `grader worker failed to start: ${err.message}`)));
      proc.on("exit", (code, signal) => {
        if (!w.ready) reject(new IsolatePoolError("spawn_failed", `grader worker exited during start (code ${code}, signal ${signal}): ${w.stderr.trim().slice(-500)}`));
        this.#onExit(w, code, signal);
      });
      proc.send({ t: "init", code: this.#code, limits: this.limits } satisfies ToWorker);
    });
  }

  #remove(w: Worker): void {
    const i = this.#workers.indexOf(w);
    if (i >= 0) this.#workers.splice(i, 1);
    if (w.watchdog) clearTimeout(w.watchdog);
    w.watchdog = null;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    const ready = this.#workers.filter((w) => w.ready);
    while (this.#queue.length > 0) {
      const w = ready
        .filter((x) => x.inFlight.length < this.#maxInFlight)
        .sort((a, b) => a.inFlight.length - b.inFlight.length)[0];
      if (!w) return;
      const first = this.#queue[0]!;
      let take: Pending[];
      if (first.solo) {
        take = this.#queue.splice(0, 1);
      } else {
        const share = Math.ceil(this.#queue.length / Math.max(1, ready.length));
        let n = 0;
        const limit = Math.min(this.#maxBatch, share);
        while (n < limit && n < this.#queue.length && !this.#queue[n]!.solo) n++;
        take = this.#queue.splice(0, n);
      }
      const batch: Batch = { seq: this.#nextSeq++, open: new Map(take.map((p) => [p.call.id, p])) };
      w.inFlight.push(batch);
      this.stats.batches++;
      this.#arm(w);
      w.proc.send({ t: "batch", seq: batch.seq, calls: take.map((p) => p.call) } satisfies ToWorker);
    }
  }

  #arm(w: Worker): void {
    if (w.watchdog) clearTimeout(w.watchdog);
    w.watchdog = null;
    if (w.inFlight.length === 0) return;
    w.watchdog = setTimeout(() => {
      w.killedBy = "watchdog";
      this.stats.watchdogKills++;
      w.proc.kill("SIGKILL");
    }, this.#watchdogMs);
  }

  #onResults(w: Worker, seq: number, results: CallOut[], done: boolean): void {
    const batch = w.inFlight.find((b) => b.seq === seq);
    if (!batch) return;
    for (const r of results) {
      const p = batch.open.get(r.id);
      if (!p) continue;
      batch.open.delete(r.id);
      p.resolve(r);
    }
    if (done || batch.open.size === 0) w.inFlight.splice(w.inFlight.indexOf(batch), 1);
    this.#arm(w);
    this.#schedule();
  }

  #onExit(w: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const wasReady = w.ready;
    this.#remove(w);
    if (this.#closed) {
      for (const b of w.inFlight) for (const p of b.open.values()) p.resolve({ id: p.call.id, ok: false, kind: "crash", message: "the isolate pool closed" });
      return;
    }
    if (!wasReady) return;
    if (w.killedBy === null) this.stats.crashes++;
    // The worker grades its batches in order, so only the oldest open batch can hold the culprit;
    // later batches go back to the queue untouched.
    const [head, ...rest] = w.inFlight;
    const requeue: Pending[] = [];
    if (head) {
      const open = [...head.open.values()];
      if (open.length === 1) {
        const p = open[0]!;
        p.resolve(
          w.killedBy === "watchdog"
            ? { id: p.call.id, ok: false, kind: "timeout", message: `grader worker stopped answering for ${this.#watchdogMs} ms and was killed` }
            : { id: p.call.id, ok: false, kind: "crash", message: `grader worker died (code ${code}, signal ${signal})${w.stderr ? `: ${lastLine(w.stderr)}` : ""}` },
        );
      } else {
        for (const p of open) requeue.push({ ...p, solo: true });
      }
    }
    for (const b of rest) requeue.push(...b.open.values());
    this.#queue.unshift(...requeue);
    this.#spawn().catch(() => {
      // A replacement that cannot start (it compiled before) leaves the queue to the others.
      if (this.#workers.length === 0) this.#failQueue("no grader worker could be started");
    });
  }

  #failQueue(message: string): void {
    for (const p of this.#queue.splice(0)) p.resolve({ id: p.call.id, ok: false, kind: "crash", message });
  }
}

function lastLine(s: string): string {
  const lines = s.trim().split("\n");
  return (lines[lines.length - 1] ?? "").slice(0, 300);
}
