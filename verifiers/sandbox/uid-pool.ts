// A dedicated uid per concurrent run, so RLIMIT_NPROC, signals and the kill sweep cannot cross
// runs (isolate's per-box uids, sandbox-anchors §4). Leases are lock files shared by every
// harness process on the host; a lease left by a dead process is reclaimed only after every
// process of its uid is killed.
import fs from "node:fs";
import path from "node:path";
import { processAlive, sweepUid } from "./sweep.ts";
import { SandboxError } from "./types.ts";

const LOCK_DIR = "/tmp/arbiter-sandbox-uids";
/** Blocks handed out by reserveUidBlock: [BLOCK_BASE, BLOCK_END), clear of the default range. */
const BLOCK_BASE = 62000;
const BLOCK_END = 70000;
const BLOCK_SIZE = 50;

/** The uid range; ARBITER_SANDBOX_UID_BASE / _COUNT move it (one range per harness on a shared host). */
export function uidRange(): { base: number; count: number } {
  const base = Number(process.env.ARBITER_SANDBOX_UID_BASE ?? 61000);
  const count = Number(process.env.ARBITER_SANDBOX_UID_COUNT ?? 1000);
  if (!Number.isInteger(base) || base < 1000 || !Number.isInteger(count) || count < 1) {
    throw new SandboxError("SANDBOX_SETUP_FAILED", `ARBITER_SANDBOX_UID_BASE/COUNT must be integers (base >= 1000), got ${base}/${count}`);
  }
  return { base, count };
}

export interface UidLease {
  uid: number;
  /** Frees the uid; call only once no process of it is alive (else keep it, quarantined). */
  release(): void;
}

let next = Math.floor(Math.random() * 1_000_000);

/** Leases a free uid from the range; a stale lease of a dead process is swept, then reused. */
export async function leaseUid(): Promise<UidLease> {
  const { base, count } = uidRange();
  fs.mkdirSync(LOCK_DIR, { recursive: true, mode: 0o700 });
  for (let tries = 0; tries < count; tries++) {
    const uid = base + (next++ % count);
    const lock = path.join(LOCK_DIR, String(uid));
    const got = tryLock(lock);
    if (!got) continue;
    // A reclaimed uid may still run whatever its dead owner left behind.
    if (got === "reclaimed" && !(await sweepUid(uid))) continue; // stays locked: quarantined
    return { uid, release: () => fs.rmSync(lock, { force: true }) };
  }
  throw new SandboxError("SANDBOX_UIDS_EXHAUSTED", `no free sandbox uid in ${base}..${base + count - 1}`);
}

/**
 * Reserves a block of uids no other live process holds, for a process that must tell its own
 * sandbox processes from everyone else's (the hostile suites' leftover checks run side by side).
 */
export function reserveUidBlock(): { base: number; count: number; release(): void } {
  fs.mkdirSync(LOCK_DIR, { recursive: true, mode: 0o700 });
  const blocks = (BLOCK_END - BLOCK_BASE) / BLOCK_SIZE;
  const start = Math.floor(Math.random() * blocks);
  for (let i = 0; i < blocks; i++) {
    const base = BLOCK_BASE + ((start + i) % blocks) * BLOCK_SIZE;
    const lock = path.join(LOCK_DIR, `block-${base}`);
    if (tryLock(lock)) return { base, count: BLOCK_SIZE, release: () => fs.rmSync(lock, { force: true }) };
  }
  throw new SandboxError("SANDBOX_UIDS_EXHAUSTED", `no free sandbox uid block in ${BLOCK_BASE}..${BLOCK_END - 1}`);
}

/**
 * Cleans up after harness processes that died mid-run: every uid lease they held is reclaimed,
 * its processes killed, and the lease freed. Every sandbox process belongs to a leased uid, so
 * this reaches all of their leftovers. Returns the uids swept.
 */
export async function reapStaleLeases(): Promise<number[]> {
  let names: string[];
  try {
    names = fs.readdirSync(LOCK_DIR);
  } catch {
    return [];
  }
  const swept: number[] = [];
  for (const name of names) {
    const lock = path.join(LOCK_DIR, name);
    const isUid = /^\d+$/.test(name);
    if (!isUid && !/^block-\d+$/.test(name)) continue;
    if (!staleOwner(lock)) continue;
    const got = tryLock(lock);
    if (!got) continue;
    if (isUid && got === "reclaimed") {
      if (!(await sweepUid(Number(name)))) continue; // stays locked by us: quarantined
      swept.push(Number(name));
    }
    fs.rmSync(lock, { force: true });
  }
  return swept;
}

/** Creates `lock` holding our pid; takes over a lock whose owner is dead. */
function tryLock(lock: string): false | "fresh" | "reclaimed" {
  if (create(lock)) return "fresh";
  if (!staleOwner(lock)) return false;
  // Reclaim under a second lock, re-checking inside it: two processes that both saw the dead
  // owner must not both take the lease.
  const mutex = `${lock}.reclaim`;
  if (!create(mutex)) {
    removeIfOld(mutex);
    return false;
  }
  try {
    if (!staleOwner(lock)) return false;
    fs.writeFileSync(lock, String(process.pid));
    return "reclaimed";
  } finally {
    fs.rmSync(mutex, { force: true });
  }
}

function create(file: string): boolean {
  try {
    fs.writeFileSync(file, String(process.pid), { flag: "wx" });
    return true;
  } catch {
    return false;
  }
}

function staleOwner(lock: string): boolean {
  try {
    const owner = Number(fs.readFileSync(lock, "utf8"));
    return Number.isInteger(owner) && owner > 0 && !processAlive(owner);
  } catch {
    return false; // released meanwhile: the next try creates it
  }
}

/** A reclaim takes microseconds; a mutex this old belongs to a process that died inside one. */
function removeIfOld(file: string): void {
  try {
    if (Date.now() - fs.statSync(file).mtimeMs > 10_000) fs.rmSync(file, { force: true });
  } catch {
    /* gone */
  }
}
