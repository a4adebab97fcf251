// runEval: orchestration only. Items become groups of K completions, groups are generated in
// batches under a concurrency bound, verified, and written to the store as they finish.
import { createHash } from "node:crypto";
import type { Prompt, Sample, SamplingParams, Suite, Task } from "../tasks/types.ts";
import type { Verdict, Verifier, VerifyContext } from "../verifiers/types.ts";
import type { Completion, GenerateRequest, Policy } from "./policy/types.ts";
import { PolicyError } from "./policy/types.ts";
import type {
  CompletionCache, RewardRow, RunAggregates, RunOptions, RunProgress, RunResult, RunSpec, RunStore, SampleRecord,
} from "./types.ts";
import { RunError } from "./types.ts";
import { createScheduler } from "./scheduler.ts";
import { cacheKey, canonicalJson } from "./cache.ts";
import { SampleSink } from "./store/sink.ts";
import { renderPrompt } from "../tasks/template.ts";

export interface RunCollaborators {
  suite: Suite;
  policy: Policy;
  /** One built verifier per task name. */
  verifiers: Map<string, Verifier>;
  store: RunStore;
  cache?: CompletionCache;
  /** Use this run id instead of the one derived from the spec. */
  runId?: string;
  options?: Partial<RunOptions>;
  onProgress?: (p: RunProgress) => void;
  signal?: AbortSignal;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = { concurrency: 4, batchSize: 256, flushEvery: 2048, flushMs: 50 };

/** A run id derived from what decides the results (not the suite's content: a changed suite under
 *  the same id is refused, not silently mixed). */
export function deriveRunId(spec: RunSpec, suite: Pick<Suite, "name" | "version">): string {
  const key = canonicalJson({ ...spec, suite: `${suite.name}@${suite.version}` });
  return "run-" + createHash("sha256").update(key).digest("hex").slice(0, 16);
}

interface Unit {
  task: Task;
  sample: Sample;
  prompt: Prompt;
  params: SamplingParams;
  /** First sample index still missing; the group is generated from here to K - 1. */
  from: number;
}

export async function runEval(spec: RunSpec, c: RunCollaborators): Promise<RunResult> {
  const started = performance.now();
  const opts: RunOptions = { ...DEFAULT_RUN_OPTIONS, ...c.options };
  const { suite, policy, store } = c;
  const runId = c.runId ?? deriveRunId(spec, suite);
  const tasks = selectTasks(suite, spec.tasks);
  for (const t of tasks) {
    if (!c.verifiers.has(t.name)) throw new RunError("bad_spec", `no verifier was built for task "${t.name}"`);
  }
  const resumed = openRun(store, runId, spec, suite, policy.id);

  const K = spec.samples;
  const units: Unit[][] = [];
  let total = 0;
  let skipped = 0;
  for (const task of tasks) {
    const finished = store.finishedIndexes(runId, task.name);
    const params: SamplingParams = { ...task.sampling, ...spec.params, seed: spec.seed };
    const pending: Unit[] = [];
    for (const sample of task.dataset) {
      const have = finished.get(sample.id);
      let from = 0;
      while (from < K && have?.has(from) === true) from++;
      // Indexes after a gap are regenerated; INSERT OR IGNORE keeps the stored ones.
      skipped += have === undefined ? 0 : Math.min(have.size, K);
      total += K;
      if (from < K) pending.push({ task, sample, prompt: renderPrompt(task.prompt, sample), params, from });
    }
    for (let i = 0; i < pending.length; i += opts.batchSize) units.push(pending.slice(i, i + opts.batchSize));
  }

  const timings = { totalMs: 0, generateMs: 0, verifyMs: 0, storeMs: 0 };
  const cacheStats = { hits: 0, misses: 0 };
  const sink = new SampleSink(store, runId, opts, timings);
  let done = skipped;
  let generated = 0;

  const runBatch = async (batch: Unit[]): Promise<void> => {
    const groups = await complete(batch, K, policy, c.cache, cacheStats, timings, c.signal);
    const t0 = performance.now();
    const task = batch[0]!.task;
    const verifier = c.verifiers.get(task.name)!;
    // A verifier that does no I/O is run synchronously: no promise per sample.
    const verdicts = verifier.verifyGroup === undefined && verifier.verifySync !== undefined
      ? batch.map((u, i) => verifyGroupSync(verifier, u, groups[i]!, c.signal))
      : await Promise.all(batch.map((u, i) => verifyGroup(verifier, u, groups[i]!, c.signal)));
    timings.verifyMs += performance.now() - t0;
    const records: SampleRecord[] = [];
    for (let i = 0; i < batch.length; i++) {
      const u = batch[i]!;
      const group = groups[i]!;
      const vs = verdicts[i]!;
      for (let j = 0; j < group.length; j++) {
        records.push({ task: task.name, itemId: u.sample.id, sampleIndex: u.from + j, completion: group[j]!, verdict: vs[j]! });
      }
    }
    sink.push(records);
    generated += records.length;
    done += records.length;
    c.onProgress?.({ task: task.name, done, total });
  };

  try {
    await createScheduler(opts.concurrency).runAll(units.map((b) => () => runBatch(b)), c.signal);
    sink.close();
  } catch (e) {
    try {
      sink.close();
    } catch {
      // The store is failing too; the first error is the one to report, and resume redoes lost samples.
    }
    const cancelled = c.signal?.aborted === true;
    const message = (e as Error).message ?? String(e);
    store.setStatus(runId, cancelled ? "cancelled" : "failed", { error: message });
    if (e instanceof RunError) throw e;
    if (cancelled) throw new RunError("cancelled", `run ${runId} was cancelled; start it again to resume`, { cause: e });
    const code = e instanceof PolicyError ? `policy error ${e.code}` : "error";
    throw new RunError("policy_failed", `run ${runId} failed (${code}): ${message}`, { cause: e });
  }

  const rewards = store.rewards(runId);
  const aggregates = aggregate(rewards, tasks.map((t) => t.name));
  store.setStatus(runId, "finished", { aggregates });
  timings.totalMs = performance.now() - started;
  return { runId, status: "finished", resumed, generated, skipped, cache: cacheStats, aggregates, timings, rewards };
}

function selectTasks(suite: Suite, names: string[] | undefined): Task[] {
  if (names === undefined || names.length === 0) return suite.tasks;
  return names.map((n) => {
    const t = suite.tasks.find((x) => x.name === n);
    if (t === undefined) {
      const known = suite.tasks.map((x) => x.name).join(", ");
      throw new RunError("unknown_task", `task "${n}" is not in suite ${suite.name} (tasks: ${known})`);
    }
    return t;
  });
}

/** Creates the run, or checks that an existing one can be continued; returns whether it existed. */
function openRun(store: RunStore, runId: string, spec: RunSpec, suite: Suite, policyId: string): boolean {
  const existing = store.getRun(runId);
  if (existing === undefined) {
    store.createRun({
      id: runId, spec, suiteName: suite.name, suiteVersion: suite.version, contentHash: suite.contentHash,
      policyId, status: "running", createdAt: Date.now(),
    });
    return false;
  }
  if (existing.contentHash !== suite.contentHash) {
    throw new RunError(
      "suite_changed",
      `run ${runId} was recorded against suite ${existing.suiteName}@${existing.suiteVersion} with contentHash ` +
        `${existing.contentHash}, but the suite now has contentHash ${suite.contentHash}; ` +
        `refusing to mix samples (start a new run with a different --run-id)`,
    );
  }
  const a = canonicalJson({ ...existing.spec, suite: undefined });
  const b = canonicalJson({ ...spec, suite: undefined });
  if (a !== b) {
    throw new RunError("bad_spec", `run ${runId} exists with a different spec ${a}; this invocation asks for ${b}`);
  }
  store.setStatus(runId, "running");
  return true;
}

/** Returns K - from completions per unit, from the cache when all are there, else from the policy. */
async function complete(
  batch: Unit[], K: number, policy: Policy, cache: CompletionCache | undefined,
  stats: { hits: number; misses: number }, timings: { generateMs: number }, signal?: AbortSignal,
): Promise<Completion[][]> {
  const out: (Completion[] | undefined)[] = new Array(batch.length);
  let keys: string[][] | undefined;
  if (cache !== undefined) {
    keys = batch.map((u) => Array.from({ length: K - u.from }, (_, j) => cacheKey(policy.id, u.prompt, u.params, u.from + j)));
    batch.forEach((_, i) => {
      const got = cache.getMany(keys![i]!);
      if (got.every((x) => x !== undefined)) {
        out[i] = got as Completion[];
        stats.hits += got.length;
      }
    });
  }
  const missing = batch.flatMap((u, i) => (out[i] === undefined ? [i] : []));
  if (missing.length > 0) {
    const requests: GenerateRequest[] = missing.map((i) => {
      const u = batch[i]!;
      return { itemId: u.sample.id, prompt: u.prompt, n: K - u.from, params: u.params, sampleIndex: u.from };
    });
    const t0 = performance.now();
    const results = await policy.generate(requests, signal);
    timings.generateMs += performance.now() - t0;
    if (results.length !== requests.length) {
      throw new PolicyError("bad_response", `policy ${policy.id} returned ${results.length} groups for ${requests.length} requests`);
    }
    const fresh: [string, Completion][] = [];
    missing.forEach((i, r) => {
      const group = results[r]!;
      const want = requests[r]!.n;
      if (group.length !== want) {
        throw new PolicyError("bad_response", `policy ${policy.id} returned ${group.length} completions for item "${requests[r]!.itemId}", expected ${want}`);
      }
      out[i] = group;
      if (keys !== undefined) group.forEach((c, j) => fresh.push([keys![i]![j]!, c]));
    });
    if (cache !== undefined) {
      stats.misses += fresh.length;
      cache.putMany(fresh);
    }
  }
  return out as Completion[][];
}

function contexts(u: Unit, group: Completion[], signal: AbortSignal | undefined): VerifyContext[] {
  return group.map((c, j) => {
    const ctx: VerifyContext = { sample: u.sample, output: c.text, prompt: u.prompt, sampleIndex: u.from + j };
    if (signal !== undefined) ctx.signal = signal;
    return ctx;
  });
}

/** Verifies one group; a verifier that throws or returns nonsense becomes error verdicts. */
async function verifyGroup(verifier: Verifier, u: Unit, group: Completion[], signal?: AbortSignal): Promise<Verdict[]> {
  const ctxs = contexts(u, group, signal);
  try {
    const verdicts = verifier.verifyGroup !== undefined
      ? await verifier.verifyGroup(ctxs)
      : await Promise.all(ctxs.map((ctx) => verifier.verify(ctx)));
    return checked(verifier, verdicts, group.length);
  } catch (e) {
    return crashed(verifier, e, group.length);
  }
}

/** verifyGroup through `verifySync`, with the same error verdicts. */
function verifyGroupSync(verifier: Verifier, u: Unit, group: Completion[], signal?: AbortSignal): Verdict[] {
  const ctxs = contexts(u, group, signal);
  try {
    return checked(verifier, ctxs.map((ctx) => verifier.verifySync!(ctx)), group.length);
  } catch (e) {
    return crashed(verifier, e, group.length);
  }
}

function checked(verifier: Verifier, verdicts: Verdict[], n: number): Verdict[] {
  if (verdicts.length !== n) {
    return Array.from({ length: n }, () => errorVerdict("invalid_output", `verifier ${verifier.kind} returned ${verdicts.length} verdicts for ${n} completions`));
  }
  return verdicts.map((v) =>
    typeof v?.reward === "number" && Number.isFinite(v.reward)
      ? v
      : errorVerdict("invalid_output", `verifier ${verifier.kind} returned a non-finite reward: ${JSON.stringify(v?.reward)}`),
  );
}

function crashed(verifier: Verifier, e: unknown, n: number): Verdict[] {
  return Array.from({ length: n }, () => errorVerdict("crash", `verifier ${verifier.kind} threw: ${(e as Error).message ?? String(e)}`));
}

function errorVerdict(kind: "crash" | "invalid_output", message: string): Verdict {
  return { reward: 0, pass: false, error: { kind, message } };
}

export function aggregate(rows: readonly RewardRow[], taskNames: readonly string[]): RunAggregates {
  const tasks: RunAggregates["tasks"] = {};
  const acc = new Map<string, { items: Set<string>; n: number; sum: number; passN: number; passes: number; errors: number }>();
  for (const name of taskNames) acc.set(name, { items: new Set(), n: 0, sum: 0, passN: 0, passes: 0, errors: 0 });
  let errors = 0;
  let samples = 0;
  for (const r of rows) {
    const a = acc.get(r.task);
    if (a === undefined) continue;
    a.items.add(r.itemId);
    a.n++;
    a.sum += r.reward;
    if (r.pass !== undefined) {
      a.passN++;
      if (r.pass) a.passes++;
    }
    if (r.errorKind !== undefined) a.errors++;
  }
  for (const [name, a] of acc) {
    tasks[name] = { items: a.items.size, samples: a.n, meanReward: a.n === 0 ? 0 : a.sum / a.n, passRate: a.passN === 0 ? null : a.passes / a.passN, errors: a.errors };
    errors += a.errors;
    samples += a.n;
  }
  return { tasks, totals: { samples, errors } };
}
