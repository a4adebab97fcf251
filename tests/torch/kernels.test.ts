// The torch engine's fast paths (fused lm_head log-probs, static-KV-cache decoding) agree with the
// plain references they replace; the check itself runs in Python on the apt torch.
import { execa } from "execa";
import { expect, test } from "vitest";

interface KernelReport {
  fused: { lp: number; entropy: number; grad_h: number; grad_w: number; grad_scale: number };
  static: { temperature: number; sameTokens: boolean; sameFinish: boolean; stops: number; maxLogprobDiff: number }[];
}

test("fused log-probs match autograd and the static decoder matches the dynamic sampler", async () => {
  const r = await execa("/usr/bin/python3", ["tests/torch/py/kernels_check.py"], { env: { OMP_NUM_THREADS: "1" } });
  const report = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as KernelReport;
  expect(report.fused.lp).toBeLessThan(1e-5);
  expect(report.fused.entropy).toBeLessThan(1e-5);
  expect(report.fused.grad_h).toBeLessThan(1e-4);
  expect(report.fused.grad_w).toBeLessThan(1e-4 * Math.max(1, report.fused.grad_scale));
  expect(report.static).toHaveLength(2);
  for (const row of report.static) {
    expect(row.sameTokens).toBe(true);
    expect(row.sameFinish).toBe(true);
    expect(row.maxLogprobDiff).toBeLessThan(1e-4);
  }
  expect(report.static.some((row) => row.stops > 0)).toBe(true);
});
