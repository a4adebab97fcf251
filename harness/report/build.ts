// Builds the versioned report from stored rewards (or from another report), with statistics from
// harness/stats and paired comparisons from harness/compare.
import { compareTasks, type TaskComparison } from "../compare.ts";
import { grpoAdvantages, type ItemRewards, rlooAdvantages, type TaskStats, taskStats } from "../stats.ts";
import type { RewardRow, RunRecord, RunTimings } from "../types.ts";
import {
  type AdvantageSummary, type CompareOptions, REPORT_SCHEMA_VERSION, type ReportV1, type TaskComparisonReport,
  type TaskReport, type TaskStatus, type TaskSummary,
} from "./types.ts";

export interface ReportInput {
  run: ReportV1["run"];
  suite: ReportV1["suite"];
  policy: ReportV1["policy"];
  tasks: { name: string; items: ItemRewards[] }[];
  timings?: RunTimings | undefined;
}

export interface BuildOptions extends ReportInput {
  baseline?: ReportV1 | undefined;
  compare: CompareOptions;
}

/** Groups stored rows (ordered by task, item, index) into per-task item rewards. */
export function inputFromStore(run: RunRecord, rows: readonly RewardRow[], taskNames?: readonly string[]): ReportInput {
  const byTask = new Map<string, ItemRewards[]>();
  for (const name of taskNames ?? Object.keys(run.aggregates?.tasks ?? {})) byTask.set(name, []);
  let last: ItemRewards | undefined;
  let lastTask = "";
  let passKnown = true;
  const close = () => {
    if (last !== undefined && !passKnown) delete last.passes;
  };
  for (const r of rows) {
    if (last === undefined || r.itemId !== last.itemId || r.task !== lastTask) {
      close();
      let items = byTask.get(r.task);
      if (items === undefined) {
        if (taskNames !== undefined) continue;
        byTask.set(r.task, (items = []));
      }
      last = { itemId: r.itemId, rewards: [], passes: [] };
      lastTask = r.task;
      passKnown = true;
      items.push(last);
    }
    last.rewards.push(r.reward);
    if (r.pass === undefined) passKnown = false;
    else last.passes!.push(r.pass);
    if (r.errorKind !== undefined) last.errors = (last.errors ?? 0) + 1;
  }
  close();
  const run_: ReportV1["run"] = { id: run.id, status: run.status, spec: run.spec, createdAt: new Date(run.createdAt).toISOString() };
  if (run.finishedAt !== undefined) run_.finishedAt = new Date(run.finishedAt).toISOString();
  return {
    run: run_,
    suite: { name: run.suiteName, version: run.suiteVersion, contentHash: run.contentHash },
    policy: { spec: run.spec.policy, id: run.policyId },
    tasks: [...byTask].map(([name, items]) => ({ name, items })),
  };
}

export function inputFromReport(r: ReportV1): ReportInput {
  return { run: r.run, suite: r.suite, policy: r.policy, tasks: r.tasks.map((t) => ({ name: t.name, items: t.items })) };
}

export function buildReport(o: BuildOptions): ReportV1 {
  const comparisons = o.baseline === undefined ? undefined : compare(o.tasks, o.baseline, o.compare);
  const tasks: TaskReport[] = o.tasks.map((t) => {
    const stats = taskStats(t.items, { seed: 0 });
    const summary = summarize(t.items, stats);
    const c = comparisons?.get(t.name);
    const status = decide(summary, c, o.baseline !== undefined);
    const report: TaskReport = { name: t.name, ...status, summary, stats, items: t.items };
    if (c !== undefined) report.comparison = toComparisonReport(c);
    return report;
  });
  const samples = tasks.reduce((s, t) => s + t.summary.samples, 0);
  const report: ReportV1 = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: new Date().toISOString(),
    run: o.run,
    suite: o.suite,
    policy: o.policy,
    tasks,
    totals: {
      tasks: tasks.length,
      items: tasks.reduce((s, t) => s + t.summary.items, 0),
      samples,
      errors: tasks.reduce((s, t) => s + t.summary.errors, 0),
      meanReward: samples === 0 ? 0 : tasks.reduce((s, t) => s + t.summary.meanReward * t.summary.samples, 0) / samples,
      regressions: tasks.filter((t) => t.status === "regression").length,
      warnings: tasks.filter((t) => t.status === "warn").length,
    },
    timings: o.timings === undefined ? null : { ...o.timings, samplesPerSecond: o.timings.totalMs > 0 ? (1000 * samples) / o.timings.totalMs : 0 },
  };
  if (o.baseline !== undefined) {
    report.baseline = { runId: o.baseline.run.id, suite: o.baseline.suite, policy: o.baseline.policy, ...o.compare };
  }
  return report;
}

function compare(tasks: ReportInput["tasks"], baseline: ReportV1, opts: CompareOptions): Map<string, TaskComparison> {
  const base = new Map(baseline.tasks.map((t) => [t.name, t.items]));
  const rows = tasks.filter((t) => base.has(t.name)).map((t) => ({ task: t.name, current: t.items, baseline: base.get(t.name)! }));
  return new Map(compareTasks(rows, opts).map((c) => [c.task, c]));
}

function advantageSummary(values: number[]): AdvantageSummary {
  if (values.length === 0) return { meanAbs: 0, std: 0 };
  let abs = 0;
  let sum = 0;
  for (const v of values) {
    abs += Math.abs(v);
    sum += v;
  }
  const m = sum / values.length;
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  return { meanAbs: abs / values.length, std: Math.sqrt(ss / values.length) };
}

function summarize(items: readonly ItemRewards[], s: TaskStats): TaskSummary {
  const grpo: number[] = [];
  const rloo: number[] = [];
  for (const it of items) {
    if (it.rewards.length < 2) continue;
    for (const a of grpoAdvantages(it.rewards)) grpo.push(a);
    for (const a of rlooAdvantages(it.rewards)) rloo.push(a);
  }
  const keyed = (r: Record<number, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [String(k), v]));
  return {
    items: s.items,
    samples: s.samples,
    k: s.samplesPerItem,
    errors: s.errors ?? 0,
    meanReward: s.mean,
    stderr: s.stderr,
    ci95: { lo: s.ci95[0], hi: s.ci95[1] },
    passRate: s.passRate?.rate ?? null,
    passRateCi95: s.passRate === undefined ? null : { lo: s.passRate.ci95[0], hi: s.passRate.ci95[1] },
    passAtK: keyed(s.passAtK),
    passHatK: keyed(s.passHatK),
    advantages: { grpo: advantageSummary(grpo), rloo: advantageSummary(rloo) },
    zeroVarianceFraction: s.fracZeroStd,
  };
}

function toComparisonReport(c: TaskComparison): TaskComparisonReport {
  return {
    delta: c.delta, ci95: { lo: c.ci95[0], hi: c.ci95[1] }, pValue: c.pValue, pAdjusted: c.pAdjusted,
    significant: c.significant, regression: c.regression, pairedItems: c.pairedItems, test: c.test,
    baselineMean: c.baselineMean, currentMean: c.currentMean,
  };
}

function decide(s: TaskSummary, c: TaskComparison | undefined, hasBaseline: boolean): { status: TaskStatus; statusReason: string } {
  if (c?.regression === true) return { status: "regression", statusReason: "significant drop beyond the margin" };
  if (c?.significant === true && c.delta < 0) return { status: "warn", statusReason: "significant drop within the margin" };
  if (hasBaseline && c === undefined) return { status: "warn", statusReason: "task not in the baseline" };
  if (c !== undefined && c.pairedItems === 0) return { status: "warn", statusReason: "no items in common with the baseline" };
  if (s.errors > 0) return { status: "warn", statusReason: `${s.errors} verifier error(s)` };
  if (c?.improvement === true) return { status: "pass", statusReason: "significant improvement" };
  if (c !== undefined) return { status: "pass", statusReason: "no significant change" };
  return { status: "pass", statusReason: "ok" };
}
