// A dedicated uid per concurrent run, so RLIMIT_NPROC and signals cannot cross runs (isolate's
// per-box uids, sandbox-anchors §4). Leases are lock files shared by every harness process.
import fs from "node:fs";
import path from "node:path";

const LOCK_DIR = "/tmp/arbiter-sandbox-uids";
/** The uid range; ARBITER_SANDBOX_UID_BASE / _COUNT move it (one range per harness on a shared host). */
export function uidRange(): { base: number; count: number } {
  const base = Number(process.env.ARBITER_SANDBOX_UID_BASE ?? 61000);
  const count = Number(process.env.ARBITER_SANDBOX_UID_COUNT ?? 1000);
  if (!Number.isInteger(base) || base < 1000 || !Number.isInteger(count) || count < 1) {
    throw new Error(`ARBITER_SANDBOX_UID_BASE/COUNT must be integers (base >= 1000), got ${base}/${count}`);
  }
  return { base, count };
}

export interface UidLease {
  uid: number;
  release(): void;
}

let next = Math.floor(Math.random() * 1_000_000);

/** Leases a free uid from the range; stale leases of dead pids are reclaimed. */
export function leaseUid(): UidLease {
  const { base, count } = uidRange();
  fs.mkdirSync(LOCK_DIR, { recursive: true, mode: 0o700 });
  for (let tries = 0; tries < count; tries++) {
    const uid = base + (next++ % count);
    const lock = path.join(LOCK_DIR, String(uid));
    if (tryLock(lock)) {
      return { uid, release: () => fs.rmSync(lock, { force: true }) };
    }
  }
  throw new Error(`no free sandbox uid in ${base}..${base + count - 1}`);
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
