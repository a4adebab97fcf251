// The vocabulary of runs: what a run is asked to do, what it records, where it records it.
import type { SamplingParams } from "../tasks/types.ts";
import type { Completion } from "./policy/types.ts";
import type { Verdict } from "../verifiers/types.ts";

/** Everything that decides a run's results; serialised into the store so a run can be rebuilt. */
export interface RunSpec {
  /** The suite as the user named it (a path or a registered name). */
  suite: string;
  /** The policy spec string, e.g. "replay:completions.jsonl" or "openai:gpt-4o-mini". */
  policy: string;
  /** K: completions per item (one group). */
  samples: number;
  seed: number;
  /** Restrict the run to these task names (all tasks when absent). */
  tasks?: string[];
  /** Overrides of each task's sampling defaults. */
  params?: SamplingParams;
}

/** How a run executes; does not change its results, so it is not part of the run id. */
export interface RunOptions {
  /** Batches of items in flight at once against the policy. */
  concurrency: number;
  /** Items per `policy.generate` call. */
  batchSize: number;
  /** Samples buffered before one store transaction. */
  flushEvery: number;
  /** Upper bound on how long a finished sample waits in the buffer (ms). */
  flushMs: number;
}

export type RunStatus = "running" | "finished" | "failed" | "cancelled";

export interface RunRecord {
  id: string;
  spec: RunSpec;
  suiteName: string;
  suiteVersion: string;
  contentHash: string;
  policyId: string;
  status: RunStatus;
  /** Unix milliseconds. */
  createdAt: number;
  finishedAt?: number;
  aggregates?: RunAggregates;
  error?: string;
}

/** One finished completion with its verdict: one row of the samples table. */
export interface SampleRecord {
  task: string;
  itemId: string;
  sampleIndex: number;
  completion: Completion;
  verdict: Verdict;
}

/** The per-sample numbers statistics need, read back without the JSON columns. */
export interface RewardRow {
  task: string;
  itemId: string;
  sampleIndex: number;
  reward: number;
  pass: boolean | undefined;
  errorKind: string | undefined;
}

export interface TaskAggregate {
  items: number;
  samples: number;
  meanReward: number;
  /** Fraction of samples with pass = true among those that have a pass flag; null if none do. */
  passRate: number | null;
  errors: number;
}

export interface RunAggregates {
  tasks: Record<string, TaskAggregate>;
  totals: { samples: number; errors: number };
}

/** Durable home of runs and samples. Synchronous: node:sqlite is synchronous and batching makes
 *  each call cheap, which keeps per-sample async overhead out of the hot loop. */
export interface RunStore {
  getRun(id: string): RunRecord | undefined;
  createRun(run: RunRecord): void;
  setStatus(id: string, status: RunStatus, extra?: { aggregates?: RunAggregates; error?: string }): void;
  /** Writes samples in one transaction; a sample already stored (same key) is kept, not duplicated. */
  writeSamples(runId: string, samples: readonly SampleRecord[]): void;
  /** The sample indexes already stored for each item of a task. */
  finishedIndexes(runId: string, task: string): Map<string, Set<number>>;
  rewards(runId: string): RewardRow[];
  samples(runId: string, task?: string): SampleRecord[];
  countSamples(runId: string): number;
  listRuns(): RunRecord[];
  close(): void;
}

/** Completions keyed by sha256(policy id, rendered prompt, params, sample index). */
export interface CompletionCache {
  getMany(keys: readonly string[]): (Completion | undefined)[];
  putMany(entries: readonly (readonly [string, Completion])[]): void;
}

export interface RunProgress {
  task: string;
  /** Samples finished in this run so far, across tasks, including those resumed from the store. */
  done: number;
  total: number;
}

export interface RunTimings {
  /** Wall-clock ms for the whole run. */
  totalMs: number;
  /** Summed ms inside policy.generate (overlaps when concurrency > 1). */
  generateMs: number;
  verifyMs: number;
  storeMs: number;
}

export interface RunResult {
  runId: string;
  status: RunStatus;
  /** True when the run id existed and finished samples were skipped. */
  resumed: boolean;
  /** Samples produced by this invocation (not counting those already stored). */
  generated: number;
  /** Samples skipped because the store already had them. */
  skipped: number;
  cache: { hits: number; misses: number };
  aggregates: RunAggregates;
  timings: RunTimings;
  /** Every stored sample's reward, ordered by task, item, sample index (input to statistics). */
  rewards: RewardRow[];
}

/** Errors a run raises; `code` is stable and the CLI maps it to an exit code. */
export class RunError extends Error {
  readonly code: RunErrorCode;
  constructor(code: RunErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RunError";
    this.code = code;
  }
}

export type RunErrorCode =
  | "suite_changed"
  | "unknown_task"
  | "bad_spec"
  | "no_such_run"
  | "policy_failed"
  | "cancelled"
  | "store_failed";
