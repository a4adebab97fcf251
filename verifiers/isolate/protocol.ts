// Messages between the isolate pool (parent) and a grader worker process (child).
// Every payload is plain JSON: strings in, strings out. No handle ever crosses.

export interface IsolateLimits {
  /** isolated-vm memoryLimit in MB (minimum 8). */
  memoryLimitMb: number;
  /** Per-call timeout in ms, enforced inside the isolate on every call. */
  timeoutMs: number;
  /** Largest result string (UTF-16 code units) one call may return. */
  maxResultChars: number;
}

/** One grading call: both arguments are JSON text, parsed inside the isolate (copies only). */
export interface CallIn {
  id: number;
  sample: string;
  item: string;
}

export type CallOut =
  | { id: number; ok: true; json: string }
  | { id: number; ok: false; kind: "timeout" | "crash" | "invalid_output"; message: string };

export type ToWorker =
  | { t: "init"; code: string; limits: IsolateLimits }
  | { t: "batch"; seq: number; calls: CallIn[] };

export type FromWorker =
  | { t: "ready" }
  | { t: "init_error"; message: string }
  /** Results of part or all of batch `seq`; `done` marks the last part. */
  | { t: "results"; seq: number; results: CallOut[]; done: boolean };
