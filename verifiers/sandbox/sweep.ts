// Kill-by-uid: every run owns a uid, so "no live process of that uid" is the definition of a
// finished run, in both tiers and whether or not cgroups exist.
// kill(-1) sent *as* the uid reaches exactly that uid's processes and is atomic against fork:
// the kernel walks the task list under tasklist_lock, and a fork racing it either is already
// listed or sees the fatal signal and aborts. A /proc scan alone is not (a child can appear
// behind the scan while its parent exits ahead of it), and pids read from a scan or from
// cgroup.procs can be reused (pid_max may be only 32768).
import { spawn } from "node:child_process";
import fs from "node:fs";

const SETPRIV = "/usr/bin/setpriv";
const KILL = fs.existsSync("/usr/bin/kill") ? "/usr/bin/kill" : "/bin/kill";

/** Whether a pid names a live process (EPERM: alive, owned by another uid). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Pids of live (not zombie) processes whose real, effective or saved uid is `uid`. */
export function liveProcesses(uid: number): number[] {
  return scan(uid, 1).map((p) => p.pid);
}

/** Live processes with any uid in [base, base + count). */
export function scan(base: number, count: number): Array<{ pid: number; uid: number }> {
  const out: Array<{ pid: number; uid: number }> = [];
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return out;
  }
  const inRange = (u: number) => u >= base && u < base + count;
  for (const name of entries) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    let status: string;
    try {
      status = fs.readFileSync(`/proc/${name}/status`, "latin1");
    } catch {
      continue; // exited while we looked
    }
    const m = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status);
    const uid = m ? [Number(m[1]), Number(m[2]), Number(m[3])].find(inRange) : undefined;
    if (uid === undefined) continue;
    // A zombie runs nothing; it waits for init (whose reaping may lag by a second or more).
    if (/^State:\s+[ZX]/m.test(status)) continue;
    out.push({ pid: Number(name), uid });
  }
  return out;
}

/** Sends SIGKILL to every process of `uid` from a process running as `uid` (never root's). */
export function killUid(uid: number): Promise<void> {
  return new Promise((resolve) => {
    const p = spawn(SETPRIV, [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--", KILL, "-9", "-1"], {
      stdio: "ignore",
      env: {},
    });
    p.on("error", () => resolve());
    p.on("close", () => resolve());
  });
}

/**
 * Kills everything the uid runs and waits until none of it is alive (SIGKILLed processes take
 * a moment to release their memory). Returns false when something survived `waitMs`.
 */
export async function sweepUid(uid: number, waitMs = 3000): Promise<boolean> {
  const deadline = performance.now() + waitMs;
  // Always kill at least once: a clean-looking scan is no proof (see above).
  await killUid(uid);
  for (let round = 1; ; round++) {
    if (liveProcesses(uid).length === 0) return true;
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
    if (round % 5 === 0) await killUid(uid);
  }
}
