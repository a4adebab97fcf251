// Number formatting shared by the Markdown, console and JUnit renderers.
import type { Interval, TaskReport, TaskStatus } from "./types.ts";

export const fmt = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : "—");

export const pct = (x: number | null): string => (x === null || !Number.isFinite(x) ? "—" : `${(100 * x).toFixed(1)}%`);

export function signed(x: number, digits = 3): string {
  return Number.isFinite(x) ? (x >= 0 ? "+" : "") + x.toFixed(digits) : "—";
}

export function interval(i: Interval | null, digits = 3): string {
  return i === null ? "—" : `[${fmt(i.lo, digits)}, ${fmt(i.hi, digits)}]`;
}

/** mean ± half-width of the 95% CI. */
export function meanCi(t: TaskReport): string {
  const { meanReward, ci95 } = t.summary;
  return `${fmt(meanReward)} ± ${fmt((ci95.hi - ci95.lo) / 2)}`;
}

export function pvalue(p: number): string {
  if (!Number.isFinite(p)) return "—";
  return p < 0.001 ? "<0.001" : p.toFixed(3);
}

export const STATUS_ICON: Record<TaskStatus, string> = { pass: "✅", regression: "❌", warn: "⚠️" };

/** The largest K with a pass@k entry, as a string key. */
export function topK(t: TaskReport): string | undefined {
  const ks = Object.keys(t.summary.passAtK).map(Number).filter(Number.isFinite).sort((a, b) => a - b);
  return ks.length === 0 ? undefined : String(ks[ks.length - 1]);
}
