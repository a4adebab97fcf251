// The vocabulary of the program sandbox: what a run asks for, what it gives back.
import type { SandboxTier } from "../types.ts";

/** The tiers this sandbox implements, strongest first (a subset of SandboxTier). */
export type ProgramTier = Extract<SandboxTier, "bwrap" | "plain">;
export const TIER_STRENGTH: Record<ProgramTier, number> = { bwrap: 2, plain: 1 };

export interface SandboxLimits {
  /** Wall-clock limit enforced by the parent; the whole process tree is killed. */
  wallMs: number;
  /** RLIMIT_CPU in seconds (SIGXCPU, then SIGKILL one second later). */
  cpuSeconds: number;
  /** Memory: a cgroup v1 memory limit when the host allows it, else RLIMIT_AS (see docs). */
  memoryMb: number;
  /** RLIMIT_FSIZE: the largest file the program may write. */
  fileSizeMb: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
  /** RLIMIT_NPROC for the run's dedicated uid (and pids.max when a pids cgroup is writable). */
  processes: number;
  /** Cap per stream for stdout and stderr; the run is killed when a stream overflows. */
  outputBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  wallMs: 10_000,
  cpuSeconds: 10,
  memoryMb: 512,
  fileSizeMb: 16,
  openFiles: 64,
  processes: 32,
  outputBytes: 1 << 20,
};

/** Paths as the program sees them; they differ between tiers. */
export interface SandboxPaths {
  /** The fresh writable work dir (also the cwd and HOME). */
  work: string;
  /** The pristine read-only copy of `readonlyFiles`. */
  readonly: string;
  /** A Node binary the program can execute. */
  node: string;
  /** A Python 3 interpreter the program can execute. */
  python: string;
}

export type FileTree = Record<string, string | Uint8Array>;

export interface SandboxRequest {
  /** Written into a fresh work dir owned by the run's uid. Keys are relative paths. */
  files?: FileTree;
  /** Written into a root-owned copy the program can read but never change (tests, runners). */
  readonlyFiles?: FileTree;
  /** The command; a function receives the paths as the program will see them. */
  argv: string[] | ((paths: SandboxPaths) => string[]);
  stdin?: string | Uint8Array;
  /** The whole environment of the program; nothing is inherited. PATH/HOME/LANG get defaults. */
  env?: Record<string, string>;
  limits?: Partial<SandboxLimits>;
  /**
   * Apply RLIMIT_AS when no memory cgroup exists (default true). Set false for V8 programs,
   * which reserve large virtual ranges; pass them --max-old-space-size instead.
   */
  addressSpaceLimit?: boolean;
  /**
   * The harness-owned result channel: the program reads `secret` from fd 3 (then EOF) and
   * writes its report to fd 4. The report comes back as `result`.
   */
  resultChannel?: { secret: string; maxBytes?: number };
  signal?: AbortSignal;
}

export interface SandboxResult {
  exitCode: number | null;
  /** The signal that ended the program, when one did (inferred from 128+n under bwrap). */
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  timedOut: boolean;
  /** True when the memory cgroup recorded an OOM kill (only known with a memory cgroup). */
  oomKilled?: boolean;
  durationMs: number;
  /** Raw content of the result channel, when one was requested and written. */
  result?: string;
  tier: ProgramTier;
}

export interface Sandbox {
  readonly tier: ProgramTier;
  run(req: SandboxRequest): Promise<SandboxResult>;
}

export type SandboxErrorCode =
  | "SANDBOX_TIER_BELOW_MIN"
  | "SANDBOX_TIER_UNAVAILABLE"
  | "SANDBOX_BAD_REQUEST"
  | "SANDBOX_SETUP_FAILED"
  | "SANDBOX_NOT_ROOT"
  | "SANDBOX_UIDS_EXHAUSTED";

export class SandboxError extends Error {
  readonly code: SandboxErrorCode;
  constructor(code: SandboxErrorCode, message: string) {
    super(message);
    this.name = "SandboxError";
    this.code = code;
  }
}
