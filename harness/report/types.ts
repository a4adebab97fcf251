// The versioned report: what `arbiter eval --out` writes and `arbiter compare` reads.
// Documented field by field in docs/report-schema.md; bump REPORT_SCHEMA_VERSION on breaking change.
import type { RunSpec, RunStatus, RunTimings } from "../types.ts";
import type { ItemRewards } from "../stats.ts";

export const REPORT_SCHEMA_VERSION = 1;

/** Per-item rewards of one task (harness/stats ItemRewards): the input of every statistic and
 *  of paired comparisons, so `arbiter compare` needs nothing but two reports. */
export type ReportItem = ItemRewards;

export interface Interval {
  lo: number;
  hi: number;
}

export interface AdvantageSummary {
  /** Mean of |advantage| over all samples: how much signal the estimator hands a trainer. */
  meanAbs: number;
  std: number;
}

export interface TaskSummary {
  items: number;
  samples: number;
  /** K: samples per item (the smallest group size when groups differ). */
  k: number;
  errors: number;
  meanReward: number;
  stderr: number;
  ci95: Interval;
  /** Null when the verifier gives no pass flags. */
  passRate: number | null;
  passRateCi95: Interval | null;
  /** Unbiased pass@k and pass^k for k = 1..K (Chen et al. 2021), keyed by k. */
  passAtK: Record<string, number>;
  passHatK: Record<string, number>;
  advantages: { grpo: AdvantageSummary; rloo: AdvantageSummary };
  /** Fraction of groups whose K rewards are all equal (no learning signal). */
  zeroVarianceFraction: number;
}

export interface TaskComparisonReport {
  /** current mean − baseline mean over the items both runs have. */
  delta: number;
  ci95: Interval;
  pValue: number;
  pAdjusted: number;
  significant: boolean;
  /** Significant and the drop is larger than the margin: fails the gate. */
  regression: boolean;
  pairedItems: number;
  test: string;
  baselineMean: number;
  currentMean: number;
}

export type TaskStatus = "pass" | "regression" | "warn";

export interface TaskReport {
  name: string;
  status: TaskStatus;
  /** Why the status is what it is, in one line. */
  statusReason: string;
  summary: TaskSummary;
  /** The full statistics object from harness/stats (shape owned there). */
  stats: unknown;
  comparison?: TaskComparisonReport;
  items: ReportItem[];
}

export interface ReportV1 {
  schemaVersion: 1;
  generatedAt: string;
  run: {
    id: string;
    status: RunStatus;
    spec: RunSpec;
    createdAt: string;
    finishedAt?: string;
  };
  suite: { name: string; version: string; contentHash: string };
  policy: { spec: string; id: string };
  tasks: TaskReport[];
  totals: { tasks: number; items: number; samples: number; errors: number; meanReward: number; regressions: number; warnings: number };
  /** Null when the report was rebuilt from the store (`arbiter report`) rather than timed live. */
  timings: (RunTimings & { samplesPerSecond: number }) | null;
  baseline?: {
    runId: string;
    suite: { name: string; version: string; contentHash: string };
    policy: { spec: string; id: string };
    alpha: number;
    margin: number;
    correction: "holm" | "bh";
  };
}

export interface CompareOptions {
  alpha: number;
  margin: number;
  correction: "holm" | "bh";
}
