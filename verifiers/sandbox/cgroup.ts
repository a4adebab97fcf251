// cgroup v1 memory and pids limits for one run; the run is entered by a root shell before exec.
// Run cgroups are named `<harness pid>-run-…`, so a later harness can remove what a dead one left.
import fs from "node:fs";
import path from "node:path";
import { processAlive } from "./sweep.ts";

export interface RunCgroups {
  dirs: string[];
  memory?: string;
}

/** Dirs whose removal failed (a process was still exiting); retried before each new run. */
const pending = new Set<string>();

export function createRunCgroups(
  parents: { memoryCgroup?: string; pidsCgroup?: string },
  name: string,
  memoryMb: number,
  processes: number,
): RunCgroups {
  for (const d of pending) if (tryRmdir(d)) pending.delete(d);
  const out: RunCgroups = { dirs: [] };
  const own = `${process.pid}-${name}`;
  if (parents.memoryCgroup) {
    const d = path.join(parents.memoryCgroup, own);
    fs.mkdirSync(d);
    out.dirs.push(d);
    out.memory = d;
    const bytes = String(memoryMb * 1024 * 1024);
    fs.writeFileSync(path.join(d, "memory.limit_in_bytes"), bytes);
    // Without memsw the program could swap past the limit; not every kernel has it.
    try {
      fs.writeFileSync(path.join(d, "memory.memsw.limit_in_bytes"), bytes);
    } catch {
      /* swap accounting disabled */
    }
  }
  if (parents.pidsCgroup) {
    const d = path.join(parents.pidsCgroup, own);
    fs.mkdirSync(d);
    out.dirs.push(d);
    // +8 for bwrap's own processes and the entering shell.
    fs.writeFileSync(path.join(d, "pids.max"), String(processes + 8));
  }
  return out;
}

/** Whether the kernel OOM-killed something in this memory cgroup. */
export function oomKilled(cg: RunCgroups): boolean | undefined {
  if (!cg.memory) return undefined;
  try {
    const ctl = fs.readFileSync(path.join(cg.memory, "memory.oom_control"), "utf8");
    const m = /oom_kill (\d+)/.exec(ctl);
    if (m) return Number(m[1]) > 0;
    return Number(fs.readFileSync(path.join(cg.memory, "memory.failcnt"), "utf8")) > 0;
  } catch {
    return undefined;
  }
}

/** SIGKILLs what is left in the run's cgroups, then removes them (or queues them for later). */
export async function killAndRemove(cg: RunCgroups): Promise<void> {
  await killAll(cg);
  for (const d of cg.dirs) {
    let removed = false;
    for (let i = 0; i < 20 && !removed; i++) {
      removed = tryRmdir(d);
      if (!removed) await new Promise((r) => setTimeout(r, 5));
    }
    if (!removed) pending.add(d);
  }
}

/**
 * A first, cheap pass: SIGKILLs every process listed in the run's cgroups until none remain.
 * The authoritative sweep is by uid (sweep.ts); this one also covers hosts where it cannot run.
 */
export async function killAll(cg: RunCgroups): Promise<void> {
  for (const d of cg.dirs) {
    for (let round = 0; round < 200; round++) {
      const pids = readProcs(d);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

/**
 * Removes run cgroups left by harness processes that died mid-run (their processes are killed
 * first), and empty unnamed ones older than a minute (left by older versions).
 */
export function reapStaleCgroups(parents: { memoryCgroup?: string; pidsCgroup?: string }): void {
  for (const parent of [parents.memoryCgroup, parents.pidsCgroup]) {
    if (!parent) continue;
    let names: string[];
    try {
      names = fs.readdirSync(parent);
    } catch {
      continue;
    }
    for (const name of names) {
      const d = path.join(parent, name);
      const owner = /^(\d+)-run-/.exec(name)?.[1];
      if (owner !== undefined) {
        if (processAlive(Number(owner))) continue;
        for (const pid of readProcs(d)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            /* gone */
          }
        }
        if (!tryRmdir(d)) pending.add(d);
      } else if (name.startsWith("run-")) {
        try {
          if (Date.now() - fs.statSync(d).mtimeMs > 60_000 && readProcs(d).length === 0) tryRmdir(d);
        } catch {
          /* gone */
        }
      }
    }
  }
}

function tryRmdir(d: string): boolean {
  try {
    fs.rmdirSync(d);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT";
  }
}

function readProcs(d: string): number[] {
  try {
    return fs.readFileSync(path.join(d, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
