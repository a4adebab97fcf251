// The program sandbox: one run = fresh dirs, a dedicated uid, rlimits, cgroups when writable,
// the tier's isolation, a parent-enforced wall clock, capped output and a kill sweep.
import { execa } from "execa";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { bwrapArgv, BWRAP_PATHS } from "./bwrap.ts";
import { createRunCgroups, killAll, killAndRemove, oomKilled, type RunCgroups } from "./cgroup.ts";
import { plainPaths } from "./plain.ts";
import { probeHost, warnIfWeak, type HostCapabilities } from "./probe.ts";
import { decodeBytes } from "./text.ts";
import { killUid, sweepUid } from "./sweep.ts";
import { leaseUid, type UidLease } from "./uid-pool.ts";
import { makeRunDirs, removeRunDirs } from "./workdir.ts";
import {
  DEFAULT_LIMITS, SandboxError, TIER_STRENGTH,
  type ProgramTier, type Sandbox, type SandboxLimits, type SandboxRequest, type SandboxResult,
} from "./types.ts";

export interface SandboxOptions {
  /** Force a tier; default: the strongest the host allows. */
  tier?: ProgramTier;
  /** Refuse to build a sandbox below this tier (untrusted code must not run weaker). */
  minTier?: ProgramTier;
  /** The Node binary programs may run; default: this process's own (bound read-only). */
  nodePath?: string;
}

export async function createSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const caps = await probeHost();
  const tier = opts.tier ?? caps.tier;
  if (tier === "bwrap" && caps.tier !== "bwrap") {
    throw new SandboxError("SANDBOX_TIER_UNAVAILABLE", `the bwrap tier is not available on this host: ${caps.reason ?? "probe failed"}`);
  }
  if (opts.minTier && TIER_STRENGTH[tier] < TIER_STRENGTH[opts.minTier]) {
    throw new SandboxError(
      "SANDBOX_TIER_BELOW_MIN",
      `refusing to run untrusted code in the ${tier} tier: minTier is ${opts.minTier} (${caps.reason ?? "forced"})`,
    );
  }
  if (tier === "plain") warnIfWeak({ ...caps, tier, reason: caps.reason ?? "the plain tier was forced by options" });
  const nodePath = fs.realpathSync(opts.nodePath ?? process.execPath);
  return { tier, run: (req) => runOnce(caps, tier, nodePath, req) };
}

export function resolveLimits(partial: Partial<SandboxLimits> | undefined): SandboxLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isFinite(v) || v <= 0) {
      throw new SandboxError("SANDBOX_BAD_REQUEST", `limits.${k} must be a positive number, got ${String(v)}`);
    }
  }
  return limits;
}

async function runOnce(caps: HostCapabilities, tier: ProgramTier, nodePath: string, req: SandboxRequest): Promise<SandboxResult> {
  const limits = resolveLimits(req.limits);
  const lease: UidLease | undefined = caps.isRoot ? await leaseUid() : undefined;
  let dirs: ReturnType<typeof makeRunDirs> | undefined;
  let cg: RunCgroups = { dirs: [] };
  try {
    dirs = makeRunDirs(req.files ?? {}, req.readonlyFiles ?? {}, lease?.uid);
    if (caps.isRoot) cg = createRunCgroups(caps, path.basename(dirs.root), limits.memoryMb, limits.processes);
    const paths = tier === "bwrap" ? BWRAP_PATHS : plainPaths(dirs.work, dirs.readonly, nodePath);
    const argv = typeof req.argv === "function" ? req.argv(paths) : req.argv;
    if (argv.length === 0 || argv.some((a) => typeof a !== "string")) {
      throw new SandboxError("SANDBOX_BAD_REQUEST", "argv must be a non-empty list of strings");
    }
    const env: Record<string, string> = {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: paths.work,
      TMPDIR: tier === "bwrap" ? "/tmp" : paths.work,
      LANG: "C.UTF-8",
      ...req.env,
    };
    const inner = tier === "bwrap"
      ? bwrapArgv({ bwrapPath: caps.bwrapPath!, hostWork: dirs.work, hostReadonly: dirs.readonly, hostNode: nodePath, env, argv })
      : argv;
    const full = wrap(inner, limits, lease?.uid, cg, !cg.memory && req.addressSpaceLimit !== false);
    return await execute(full, tier, tier === "bwrap" ? {} : env, tier === "bwrap" ? "/" : dirs.work, limits, req, cg, lease?.uid);
  } finally {
    await killAndRemove(cg);
    // The run is over only when its uid runs nothing; a uid that cannot be cleared stays leased.
    const clean = lease ? await sweepUid(lease.uid) : true;
    if (dirs) removeRunDirs(dirs);
    if (clean) lease?.release();
    else process.emitWarning(`sandbox uid ${lease?.uid} still runs processes after the sweep; it stays quarantined`, { code: "ARBITER_SANDBOX_LEFTOVER" });
  }
}

/** [enter cgroups] prlimit … -- setpriv --reuid … -- <tier argv>; limits set as root bind the uid. */
function wrap(inner: string[], l: SandboxLimits, uid: number | undefined, cg: RunCgroups, rlimitAs: boolean): string[] {
  const mb = 1024 * 1024;
  const cpu = Math.ceil(l.cpuSeconds);
  const prlimit = [
    "/usr/bin/prlimit", `--cpu=${cpu}:${cpu + 1}`, `--fsize=${Math.floor(l.fileSizeMb * mb)}`,
    `--nofile=${Math.floor(l.openFiles)}`, `--nproc=${Math.floor(l.processes)}`, "--core=0",
    ...(rlimitAs ? [`--as=${Math.floor(l.memoryMb * mb)}`] : []), "--",
  ];
  const drop = uid === undefined ? [] : ["/usr/bin/setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--nnp", "--"];
  const cmd = [...prlimit, ...drop, ...inner];
  if (cg.dirs.length === 0) return cmd;
  // A root shell joins the cgroups before exec, so no child can fork before it is accounted.
  const script = cg.dirs.map((_, i) => `echo $$ > "$${i + 1}/cgroup.procs"`).join(" && ") + ` && shift ${cg.dirs.length} && exec "$@"`;
  return ["/bin/sh", "-c", script, "arbiter-sandbox", ...cg.dirs, ...cmd];
}

async function execute(
  argv: string[], tier: ProgramTier, env: Record<string, string>, cwd: string, limits: SandboxLimits,
  req: SandboxRequest, cg: RunCgroups, uid: number | undefined,
): Promise<SandboxResult> {
  const chan = req.resultChannel;
  const chanMax = chan?.maxBytes ?? 1 << 20;
  const stdin = req.stdin === undefined ? "ignore" : typeof req.stdin === "string" ? new TextEncoder().encode(req.stdin) : req.stdin;
  const started = performance.now();
  const sub = execa(argv[0]!, argv.slice(1), {
    stdio: [stdin, "pipe", "pipe", chan ? new TextEncoder().encode(chan.secret) : "ignore", chan ? "pipe" : "ignore"],
    encoding: "buffer",
    stripFinalNewline: false,
    maxBuffer: { stdout: limits.outputBytes, stderr: limits.outputBytes, fd4: chanMax },
    timeout: limits.wallMs,
    killSignal: "SIGKILL",
    reject: false,
    extendEnv: false,
    env,
    cwd,
    detached: true,
    ...(req.signal ? { cancelSignal: req.signal } : {}),
  });
  const pid = sub.pid;
  // Kill survivors as soon as the main process ends: a setsid daemon holding stdout open would
  // otherwise keep the streams (and this await) alive. runOnce then waits for the uid to be empty.
  let early: Promise<unknown> | undefined;
  const sweep = () => {
    // Awaited below: a killer still running as the uid must not outlive the lease.
    early = Promise.all([killAll(cg), uid !== undefined ? killUid(uid) : undefined]);
    if (uid === undefined && pid !== undefined) killGroup(pid);
  };
  let deadPolls = 0;
  const watcher = setInterval(() => {
    // Two polls in a row: ordinary runs resolve first and never pay for an early sweep.
    if (pid !== undefined && !alive(pid) && ++deadPolls >= 2) {
      clearInterval(watcher);
      sweep();
    }
  }, 20);
  const r = await sub;
  clearInterval(watcher);
  await early;
  if (uid === undefined && pid !== undefined) killGroup(pid);
  const durationMs = performance.now() - started;
  const overflow = r.isMaxBuffer ? /Command's (\w+) was larger than/.exec(r.message ?? "")?.[1] : undefined;
  const exit = typeof r.exitCode === "number" ? r.exitCode : null;
  let signal: string | null = r.signal ?? null;
  // bwrap reports a child killed by signal n as exit status 128+n.
  if (!signal && tier === "bwrap" && exit !== null && exit > 128) signal = signalName(exit - 128);
  const out: SandboxResult = {
    exitCode: signal && tier === "plain" ? null : exit,
    signal,
    stdout: decodeBytes(r.stdout as Uint8Array),
    stderr: decodeBytes(r.stderr as Uint8Array),
    stdoutTruncated: overflow === "stdout",
    stderrTruncated: overflow === "stderr",
    timedOut: r.timedOut === true,
    durationMs,
    tier,
  };
  const oom = oomKilled(cg);
  if (oom !== undefined) out.oomKilled = oom;
  const chanBytes = (r.stdio as unknown[])[4];
  if (chan && overflow !== "fd4" && chanBytes instanceof Uint8Array && chanBytes.byteLength > 0) out.result = decodeBytes(chanBytes);
  return out;
}

/** Without a uid of its own (not root), the run's survivors are reached by process group only. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* group already gone */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalName(n: number): string | null {
  for (const [name, num] of Object.entries(os.constants.signals)) if (num === n) return name;
  return null;
}
