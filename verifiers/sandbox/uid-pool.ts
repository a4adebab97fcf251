// A dedicated uid per concurrent run, so RLIMIT_NPROC and signals cannot cross runs (isolate's
// per-box uids, sandbox-anchors §4). Leases are lock files shared by every harness process.
import fs from "node:fs";
import path from "node:path";

const LOCK_DIR = "/tmp/arbiter-sandbox-uids";
export const UID_BASE = 61000;
export const UID_COUNT = 1000;

export interface UidLease {
  uid: number;
  release(): void;
}

let next = Math.floor(Math.random() * UID_COUNT);

/** Leases a free uid from [UID_BASE, UID_BASE + UID_COUNT); stale leases of dead pids are reclaimed. */
export function leaseUid(): UidLease {
  fs.mkdirSync(LOCK_DIR, { recursive: true, mode: 0o700 });
  for (let tries = 0; tries < UID_COUNT; tries++) {
    const uid = UID_BASE + (next++ % UID_COUNT);
    const lock = path.join(LOCK_DIR, String(uid));
    if (tryLock(lock)) {
      return { uid, release: () => fs.rmSync(lock, { force: true }) };
    }
  }
  throw new Error(`no free sandbox uid in ${UID_BASE}..${UID_BASE + UID_COUNT - 1}`);
}

function tryLock(lock: string): boolean {
  try {
    fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
    return true;
  } catch {
    // Reclaim a lease whose owner process is gone.
    try {
      const owner = Number(fs.readFileSync(lock, "utf8"));
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
        fs.rmSync(lock, { force: true });
        fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
        return true;
      }
    } catch {
      /* another process won the race */
    }
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
