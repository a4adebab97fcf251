// The vocabulary of verifiers: what a verifier sees, what it returns, how it is specified.
import type { ChatMessage, Sample } from "../tasks/types.ts";

export type VerdictErrorKind = "timeout" | "crash" | "sandbox" | "invalid_output" | "unavailable";

/** Sandbox tiers, strongest first. `none` means the verifier ran no untrusted code. */
export type SandboxTier = "bwrap" | "plain" | "isolate" | "none";

export interface Verdict {
  /** The reward; in [0, 1] for most verifiers, any finite number for reward models. */
  reward: number;
  pass?: boolean;
  reason?: string;
  details?: Record<string, unknown>;
  error?: { kind: VerdictErrorKind; message: string };
  /** The sandbox tier that ran untrusted code for this verdict, when one did. */
  tier?: SandboxTier;
}

/** What a verifier is asked to judge: one completion of one sample. */
export interface VerifyContext {
  sample: Sample;
  /** The completion's text (OpenAI: sample.output_text). */
  output: string;
  /** The prompt the policy saw, when known (judges use it). */
  prompt?: string | ChatMessage[];
  /** Index of this completion inside its group of K. */
  sampleIndex?: number;
  signal?: AbortSignal;
}

export interface Verifier {
  /** The registered kind, e.g. "exact_match". */
  readonly kind: string;
  verify(ctx: VerifyContext): Promise<Verdict>;
  /** Optional synchronous form for verifiers that do no I/O (exact match, regex): returns what
   *  `verify` resolves to, without a promise per sample. The harness prefers it when present. */
  verifySync?(ctx: VerifyContext): Verdict;
  /** Optional group form: pairwise judges and batched reward models see all K completions. */
  verifyGroup?(ctxs: VerifyContext[]): Promise<Verdict[]>;
  /** Releases workers, sessions, pools. */
  close?(): Promise<void>;
}

/** A verifier as written in a suite or sent over HTTP: a registered kind plus its config. */
export interface VerifierSpec {
  type: string;
  [option: string]: unknown;
}

/** Services a verifier factory may need; passed in, never imported as globals. */
export interface VerifierServices {
  /** Builds a sub-verifier (used by multi and by the OpenAI grader mapping). */
  build(spec: VerifierSpec): Promise<Verifier>;
  /** Looks up a policy by spec string, for model judges. */
  policy?(spec: string): Promise<import("../harness/policy/types.ts").Policy>;
  /** Base directory that relative paths in a spec (test files, models) resolve against. */
  baseDir?: string;
}

export interface VerifierFactory<C = unknown> {
  kind: string;
  /** A Standard Schema (zod) for the config; parse errors name the field. */
  schema: import("zod").ZodType<C>;
  create(config: C, services: VerifierServices): Verifier | Promise<Verifier>;
}
