// The bwrap tier: every namespace unshared, a read-only system, the run's dirs bound in.
import { usrMergeLinks } from "./probe.ts";
import type { SandboxPaths } from "./types.ts";

/** Where the run's dirs appear inside the sandbox. */
export const BWRAP_PATHS: SandboxPaths = {
  work: "/work",
  readonly: "/ro",
  node: "/opt/node/bin/node",
  python: "/usr/bin/python3",
};

export interface BwrapInput {
  bwrapPath: string;
  hostWork: string;
  hostReadonly: string;
  hostNode: string;
  env: Record<string, string>;
  argv: string[];
}

/** Only /usr (and its merged links) is visible from the host: no /etc, /home, /root, /work. */
export function bwrapArgv(input: BwrapInput): string[] {
  const env = Object.entries(input.env).flatMap(([k, v]) => ["--setenv", k, v]);
  return [
    input.bwrapPath,
    "--unshare-all", // user, ipc, pid, net, uts, cgroup
    "--die-with-parent",
    "--new-session", // no TIOCSTI into the harness terminal (CVE-2017-5226)
    "--clearenv",
    ...env,
    "--ro-bind", "/usr", "/usr",
    ...usrMergeLinks(),
    "--proc", "/proc",
    "--dev", "/dev",
    "--tmpfs", "/tmp",
    "--bind", input.hostWork, BWRAP_PATHS.work,
    "--ro-bind", input.hostReadonly, BWRAP_PATHS.readonly,
    "--ro-bind", input.hostNode, BWRAP_PATHS.node,
    "--chdir", BWRAP_PATHS.work,
    "--hostname", "sandbox",
    "--uid", "1000",
    "--gid", "1000",
    "--cap-drop", "ALL",
    "--",
    ...input.argv,
  ];
}
