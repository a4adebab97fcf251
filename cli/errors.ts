// Every error the CLI can meet, mapped once to an exit code and a one-line message (no stack).
import { CommanderError } from "commander";
import { RunError, type RunErrorCode } from "../harness/types.ts";

export const EXIT = { ok: 0, regression: 1, usage: 2, failure: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Bad flags, files or specs found before or while setting a run up. */
export class UsageError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
    this.code = code;
  }
}

const RUN_USAGE: ReadonlySet<RunErrorCode> = new Set(["suite_changed", "unknown_task", "bad_spec", "no_such_run"]);

/** Error classes from other areas, recognised by name and code so this file need not import them. */
const CONFIG_ERRORS = new Set(["SuiteError", "TemplateError", "VerifierConfigError", "ZodError", "ReportError", "ConfigError"]);

export function exitCodeFor(err: unknown): { exit: ExitCode; message: string } {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof CommanderError) return { exit: EXIT.usage, message: message.replace(/^error: /, "") };
  if (err instanceof UsageError) return { exit: EXIT.usage, message };
  if (err instanceof RunError) return { exit: RUN_USAGE.has(err.code) ? EXIT.usage : EXIT.failure, message };
  if (err instanceof Error && CONFIG_ERRORS.has(err.name)) return { exit: EXIT.usage, message };
  return { exit: EXIT.failure, message };
}
