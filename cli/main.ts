// The CLI entry: builds the commander program from the registered commands, maps errors to exit codes.
import { Command, CommanderError } from "commander";
import { COMMANDS, type CliContext } from "./commands/index.ts";
import { EXIT, exitCodeFor } from "./errors.ts";

export function buildProgram(ctx: CliContext): Command {
  const program = new Command("arbiter")
    .description("Evaluate and fine-tune language models against black-box verifiers")
    .version("0.1.0")
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({ outputError: () => {} });
  for (const cmd of COMMANDS) cmd.register(program, ctx);
  // Subcommands need the same behaviour: throw instead of exiting, print our one-line error.
  for (const sub of program.commands) sub.exitOverride().configureOutput({ outputError: () => {} });
  return program;
}

/** Runs the CLI and returns the exit code (0 ok, 1 regression, 2 usage/config, 3 run failure). */
export async function main(argv: readonly string[]): Promise<number> {
  const ctx: CliContext = { exitCode: EXIT.ok };
  try {
    await buildProgram(ctx).parseAsync([...argv]);
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) return EXIT.ok;
    const { exit, message } = exitCodeFor(err);
    process.stderr.write(`arbiter: ${message}\n`);
    if (process.env["ARBITER_DEBUG"] && err instanceof Error && err.stack) process.stderr.write(err.stack + "\n");
    return exit;
  }
}
