// Grader worker: a forked process (started with --no-node-snapshot) that owns one isolate with the
// user's grader compiled once, and grades batches sent over IPC. It may die (OOM, V8 abort); the
// pool treats that as a crash and starts another.
import ivm from "isolated-vm";
import { bootstrapSource, BIND, COLLECT, RUN } from "./bootstrap.ts";
import type { CallIn, CallOut, FromWorker, IsolateLimits, ToWorker } from "./protocol.ts";

interface Loaded {
  isolate: ivm.Isolate;
  run: ivm.Reference<(batchJson: string) => string | number>;
  collect: ivm.Reference<() => string>;
}

let code = "";
let limits: IsolateLimits = { memoryLimitMb: 64, timeoutMs: 1000, maxResultChars: 65536 };
let loaded: Loaded | null = null;

function send(msg: FromWorker): void {
  process.send?.(msg);
}

function load(): Loaded {
  const isolate = new ivm.Isolate({
    memoryLimit: limits.memoryLimitMb,
    // isolated-vm README: once V8 has lost control of the isolate, end the process.
    onCatastrophicError: () => process.abort(),
  });
  try {
    const context = isolate.createContextSync();
    context.evalSync(bootstrapSource(limits.maxResultChars), { timeout: limits.timeoutMs });
    const run = context.global.getSync(RUN, { reference: true }) as Loaded["run"];
    const collect = context.global.getSync(COLLECT, { reference: true }) as Loaded["collect"];
    isolate.compileScriptSync(code, { filename: "file:///grader.js" }).runSync(context, { timeout: limits.timeoutMs });
    const problem = context.evalSync(`${BIND}(typeof grade === "function" ? grade : undefined)`, {
      timeout: limits.timeoutMs,
    });
    if (problem !== "") throw new Error(String(problem));
    return { isolate, run, collect };
  } catch (err) {
    if (!isolate.isDisposed) isolate.dispose();
    throw err;
  }
}

function ensureLoaded(): Loaded {
  if (loaded === null || loaded.isolate.isDisposed) loaded = load();
  return loaded;
}

/** [1, json] a value, [0, why] an unusable value, [2, what] the grader threw. */
type Entry = [0 | 1 | 2, string] | null;

/** Runs calls in one isolate call; throws if the isolate call itself fails (timeout, OOM). */
function runTogether(calls: CallIn[]): CallOut[] {
  const l = ensureLoaded();
  const opts = { timeout: limits.timeoutMs };
  let out = l.run.applySync(undefined, [JSON.stringify(calls.map((c) => [c.sample, c.item]))], opts);
  if (typeof out !== "string") out = l.collect.applySync(undefined, [], opts);
  const entries = JSON.parse(String(out)) as Entry[];
  if (!Array.isArray(entries) || entries.length !== calls.length) throw new Error("bootstrap returned a malformed batch");
  return calls.map((c, i): CallOut => {
    const e = entries[i];
    if (e === null || e === undefined) {
      return { id: c.id, ok: false, kind: "timeout", message: "grader returned a promise that never settled" };
    }
    if (e[0] === 1) return { id: c.id, ok: true, json: e[1] };
    if (e[0] === 2) return { id: c.id, ok: false, kind: "crash", message: `grader threw: ${e[1]}` };
    return { id: c.id, ok: false, kind: "invalid_output", message: e[1] };
  });
}

function failure(id: number, err: unknown): CallOut {
  const message = err instanceof Error ? err.message : String(err);
  if (/timed out/i.test(message)) {
    return { id, ok: false, kind: "timeout", message: `grader exceeded the ${limits.timeoutMs} ms timeout` };
  }
  if (/memory limit/i.test(message)) {
    return { id, ok: false, kind: "crash", message: `grader exceeded the ${limits.memoryLimitMb} MB memory limit` };
  }
  return { id, ok: false, kind: "crash", message: `isolate failure: ${message.slice(0, 500)}` };
}

function gradeBatch(seq: number, calls: CallIn[]): void {
  try {
    send({ t: "results", seq, results: runTogether(calls), done: true });
    return;
  } catch (err) {
    if (calls.length === 1) {
      send({ t: "results", seq, results: [failure(calls[0]!.id, err)], done: true });
      return;
    }
  }
  // One call spoiled the shared isolate call: grade each alone so only the culprit fails. The
  // empty message tells the parent's watchdog this worker is still alive.
  send({ t: "results", seq, results: [], done: false });
  calls.forEach((c, i) => {
    let r: CallOut;
    try {
      r = runTogether([c])[0]!;
    } catch (err) {
      r = failure(c.id, err);
    }
    send({ t: "results", seq, results: [r], done: i === calls.length - 1 });
  });
}

process.on("message", (raw: ToWorker) => {
  if (raw.t === "init") {
    code = raw.code;
    limits = raw.limits;
    try {
      ensureLoaded();
      send({ t: "ready" });
    } catch (err) {
      send({ t: "init_error", message: err instanceof Error ? err.message : String(err) });
    }
  } else if (raw.t === "batch") {
    gradeBatch(raw.seq, raw.calls);
  }
});
process.on("disconnect", () => process.exit(0));
