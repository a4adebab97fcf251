// The command list. A new command (demo, train, ...) is a module with `register` added here.
import type { Command } from "commander";
import type { ExitCode } from "../errors.ts";
import { evalCommand } from "./eval.ts";
import { compareCommand } from "./compare.ts";
import { reportCommand } from "./report.ts";
import { registerTrainCommand } from "../../trainer/cli.ts";
import { demoCommand } from "../../scripts/demo-command.ts";

export interface CliContext {
  /** Set by a command's action; main returns it. */
  exitCode: ExitCode;
}

export interface CliCommand {
  register(program: Command, ctx: CliContext): void;
}

export const COMMANDS: CliCommand[] = [evalCommand, compareCommand, reportCommand, { register: registerTrainCommand }, demoCommand];
