// The plain tier: no namespaces. Isolation comes from the run's own uid, rlimits, the parent's
// timeout, output caps and the kill sweep; the host filesystem is visible by its permissions.
import type { SandboxPaths } from "./types.ts";

export function plainPaths(hostWork: string, hostReadonly: string, hostNode: string): SandboxPaths {
  return { work: hostWork, readonly: hostReadonly, node: hostNode, python: "/usr/bin/python3" };
}
