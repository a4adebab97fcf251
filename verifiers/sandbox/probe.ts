// Start-up probe: which tier the host allows, and which cgroup controllers we may use.
import { execa } from "execa";
import fs from "node:fs";
import path from "node:path";
import { reapStaleCgroups } from "./cgroup.ts";
import { reapStaleLeases } from "./uid-pool.ts";
import type { ProgramTier } from "./types.ts";

export interface HostCapabilities {
  tier: ProgramTier;
  /** Why the strongest tier was not chosen, when it was not. */
  reason?: string;
  isRoot: boolean;
  /** cgroup v1 parent dirs we created and may write, when present. */
  memoryCgroup?: string;
  pidsCgroup?: string;
  bwrapPath?: string;
}

const CG_V1_ROOT = "/sys/fs/cgroup";

let cached: Promise<HostCapabilities> | undefined;
let warned = false;

/** Probes once per process; later calls get the cached answer. */
export function probeHost(): Promise<HostCapabilities> {
  cached ??= doProbe();
  return cached;
}

/** Warns once, loudly, when untrusted code will run below the bwrap tier. */
export function warnIfWeak(caps: HostCapabilities): void {
  if (caps.tier === "bwrap" || warned) return;
  warned = true;
  process.emitWarning(
    `Arbiter sandbox is running in the PLAIN tier (no namespaces: no network or filesystem ` +
      `isolation beyond permissions). Reason: ${caps.reason ?? "unknown"}. ` +
      `Set minTier: "bwrap" to refuse untrusted code on this host.`,
    { code: "ARBITER_SANDBOX_WEAK" },
  );
}

async function doProbe(): Promise<HostCapabilities> {
  const isRoot = process.getuid?.() === 0;
  const cg = isRoot ? prepareCgroups() : {};
  if (isRoot) {
    // Leftovers of harness processes that died mid-run: their uids first (waits for the
    // processes to die), then their now-empty cgroups.
    await reapStaleLeases();
    reapStaleCgroups(cg);
  }
  const bwrapPath = ["/usr/bin/bwrap", "/bin/bwrap"].find((p) => fs.existsSync(p));
  if (!bwrapPath) return { tier: "plain", reason: "bwrap is not installed", isRoot, ...cg };
  // The same shape the bwrap tier uses: all namespaces, as an unprivileged uid when we are root.
  const pre = isRoot ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] : [];
  const argv = [
    ...pre, bwrapPath, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
    "--ro-bind", "/usr", "/usr", ...usrMergeLinks(), "--proc", "/proc", "--dev", "/dev",
    "--tmpfs", "/tmp", "--cap-drop", "ALL", "--", "/usr/bin/true",
  ];
  const r = await execa(argv[0]!, argv.slice(1), { reject: false, timeout: 5000, extendEnv: false, env: {}, stdin: "ignore" });
  if (r.exitCode !== 0) {
    const why = String(r.stderr || r.shortMessage).trim().slice(0, 300);
    return { tier: "plain", reason: `bwrap cannot create namespaces here: ${why}`, isRoot, bwrapPath, ...cg };
  }
  return { tier: "bwrap", isRoot, bwrapPath, ...cg };
}

/** /lib, /lib64, /bin and /sbin as the host has them (usr-merged symlinks or real dirs). */
export function usrMergeLinks(): string[] {
  const out: string[] = [];
  for (const d of ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"]) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(d);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) out.push("--symlink", fs.readlinkSync(d), d);
    else if (st.isDirectory()) out.push("--ro-bind", d, d);
  }
  return out;
}

function prepareCgroups(): { memoryCgroup?: string; pidsCgroup?: string } {
  const out: { memoryCgroup?: string; pidsCgroup?: string } = {};
  const mem = tryCgroupParent("memory", "memory.limit_in_bytes");
  if (mem) out.memoryCgroup = mem;
  const pids = tryCgroupParent("pids", "pids.max");
  if (pids) out.pidsCgroup = pids;
  return out;
}

function tryCgroupParent(controller: string, probeFile: string): string | undefined {
  const parent = path.join(CG_V1_ROOT, controller, "arbiter");
  try {
    fs.mkdirSync(parent, { recursive: true });
    const probe = fs.mkdtempSync(path.join(parent, "probe-"));
    try {
      if (controller === "memory") fs.writeFileSync(path.join(probe, probeFile), String(64 << 20));
      else fs.writeFileSync(path.join(probe, probeFile), "16");
    } finally {
      fs.rmdirSync(probe);
    }
    return parent;
  } catch {
    return undefined;
  }
}
