// cgroup v1 memory and pids limits for one run; the run is entered by a root shell before exec.
import fs from "node:fs";
import path from "node:path";

export interface RunCgroups {
  dirs: string[];
  memory?: string;
}

export function createRunCgroups(
  parents: { memoryCgroup?: string; pidsCgroup?: string },
  name: string,
  memoryMb: number,
  processes: number,
): RunCgroups {
  const out: RunCgroups = { dirs: [] };
  if (parents.memoryCgroup) {
    const d = path.join(parents.memoryCgroup, name);
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
    const d = path.join(parents.pidsCgroup, name);
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

/** SIGKILLs every process left in the run's cgroups until none remain, then removes them. */
export async function killAndRemove(cg: RunCgroups): Promise<number> {
  const killed = await killAll(cg);
  for (const d of cg.dirs) {
    for (let i = 0; i < 50; i++) {
      try {
        fs.rmdirSync(d);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }
  return killed;
}

/** SIGKILLs every process in the run's cgroups, repeating until none remain. */
export async function killAll(cg: RunCgroups): Promise<number> {
  let killed = 0;
  for (const d of cg.dirs) {
    for (let round = 0; round < 500; round++) {
      const pids = readProcs(d);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
          killed++;
        } catch {
          /* already gone */
        }
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  return killed;
}

function readProcs(d: string): number[] {
  try {
    return fs.readFileSync(path.join(d, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
