// Runs the real CLI as a child process: `node bin/arbiter.ts ...`.
import { execa } from "execa";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function arbiter(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, ["bin/arbiter.ts", ...args], { reject: false, cwd: ROOT, env, all: true });
}
