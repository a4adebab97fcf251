// Shared pieces of the sandboxed verifiers: config options, the sandbox cache, the report check.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { createSandbox, type SandboxOptions } from "./sandbox.ts";
import { sanitize } from "./text.ts";
import {
  SandboxError, type ProgramTier, type Sandbox, type SandboxLimits, type SandboxRequest, type SandboxResult,
} from "./types.ts";
import { errorVerdict } from "../common.ts";
import type { Verdict } from "../types.ts";

export { errorVerdict };

const tierSchema = z.enum(["bwrap", "plain"]);

export const sandboxOptionsShape = {
  timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  limits: z
    .object({
      cpuSeconds: z.number().positive(),
      memoryMb: z.number().int().min(16),
      fileSizeMb: z.number().positive(),
      openFiles: z.number().int().min(8),
      processes: z.number().int().min(1),
      outputBytes: z.number().int().min(1024),
    })
    .partial()
    .strict()
    .optional(),
  /** Refuse (error kind "sandbox") to run untrusted code below this tier. */
  minTier: tierSchema.optional(),
  /** Force a tier (tests, benchmarks); default: the strongest available. */
  tier: tierSchema.optional(),
};

export interface SandboxConfig {
  timeoutMs: number;
  limits?: Partial<Record<"cpuSeconds" | "memoryMb" | "fileSizeMb" | "openFiles" | "processes" | "outputBytes", number | undefined>> | undefined;
  minTier?: ProgramTier | undefined;
  tier?: ProgramTier | undefined;
}

/** One sandbox per verifier, built on first use; a refusal is kept and returned as an error. */
export function lazySandbox(cfg: SandboxConfig): () => Promise<Sandbox> {
  let p: Promise<Sandbox> | undefined;
  return () => {
    const opts: SandboxOptions = {};
    if (cfg.minTier) opts.minTier = cfg.minTier;
    if (cfg.tier) opts.tier = cfg.tier;
    p ??= createSandbox(opts);
    return p;
  };
}

function sandboxRefusal(err: unknown): Verdict {
  if (err instanceof SandboxError) return errorVerdict("sandbox", `${err.code}: ${err.message}`);
  throw err;
}

/** The limits a run gets: the config's, with a wall clock from timeoutMs and CPU no larger. */
export function runLimits(cfg: SandboxConfig) {
  const cpu = Math.max(1, Math.ceil(cfg.timeoutMs / 1000));
  const set = Object.entries(cfg.limits ?? {}).filter(([, v]) => v !== undefined);
  return { wallMs: cfg.timeoutMs, cpuSeconds: cpu, ...(Object.fromEntries(set) as Partial<SandboxLimits>) };
}

/** A run's checked report, or the verdict that replaces it (`res` absent: the sandbox refused). */
export type Reported = { res: SandboxResult; report: Record<string, unknown> } | { res?: SandboxResult; verdict: Verdict };

/** Runs one program with a fresh result-channel secret and checks the report it leaves. */
export async function runForReport(
  sandbox: () => Promise<Sandbox>,
  req: Omit<SandboxRequest, "resultChannel" | "signal">,
  opts: { signal?: AbortSignal | undefined; maxBytes?: number } = {},
): Promise<Reported> {
  let sb: Sandbox;
  try {
    sb = await sandbox();
  } catch (err) {
    return { verdict: sandboxRefusal(err) };
  }
  const secret = randomBytes(24).toString("hex");
  const full: SandboxRequest = { ...req, resultChannel: opts.maxBytes === undefined ? { secret } : { secret, maxBytes: opts.maxBytes } };
  if (opts.signal) full.signal = opts.signal;
  let res: SandboxResult;
  try {
    res = await sb.run(full);
  } catch (err) {
    return { verdict: sandboxRefusal(err) }; // a SandboxError (no free uid, bad limits); else rethrown
  }
  const got = readReport(res, secret);
  return "verdict" in got ? { res, verdict: got.verdict } : { res, report: got.report };
}

/** Parses the channel: the report must exist, be JSON and carry this run's secret. */
export function readReport(res: SandboxResult, secret: string): { report: Record<string, unknown> } | { verdict: Verdict } {
  const tier = res.tier;
  const tail = outputTail(res);
  if (res.result === undefined) {
    if (res.timedOut) return { verdict: errorVerdict("timeout", `no report within ${Math.round(res.durationMs)} ms (wall-clock limit)`, { tier, details: tail }) };
    const how = res.oomKilled ? "killed by the memory limit" : res.signal ? `killed by ${res.signal}` : `exited with code ${res.exitCode}`;
    const overflow = res.stdoutTruncated || res.stderrTruncated ? "; output cap exceeded" : "";
    return { verdict: errorVerdict("crash", `the test runner wrote no report (${how}${overflow})`, { tier, details: tail }) };
  }
  let report: unknown;
  try {
    report = JSON.parse(res.result);
  } catch {
    return { verdict: errorVerdict("invalid_output", "the result channel held malformed JSON", { tier, details: tail }) };
  }
  if (report === null || typeof report !== "object" || (report as { secret?: unknown }).secret !== secret) {
    return { verdict: errorVerdict("invalid_output", "the report does not carry this run's secret", { tier, details: tail }) };
  }
  return { report: report as Record<string, unknown> };
}

export function outputTail(res: SandboxResult): Record<string, unknown> {
  return {
    stdout: sanitize(res.stdout.slice(-1000)),
    stderr: sanitize(res.stderr.slice(-1000)),
    ...(res.stdoutTruncated || res.stderrTruncated ? { outputTruncated: true } : {}),
  };
}
