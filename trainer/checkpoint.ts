// Checkpoints: <outDir>/checkpoints/step-000010/{engine/, trainer.json}, and a `latest` file
// naming the newest complete one, replaced atomically only after the checkpoint is fully written.
// A process killed at any point resumes from the last complete checkpoint.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Engine } from "./engine/protocol.ts";
import type { CursorState } from "./data.ts";

export interface TrainerState {
  format: "arbiter-trainer-ckpt-v1";
  step: number;
  cursor: CursorState;
  /** The config the run was started with, to refuse resuming a different run. */
  configHash: string;
}

export class CheckpointError extends Error {
  readonly code: "checkpoint_corrupt" | "checkpoint_mismatch";
  constructor(code: CheckpointError["code"], message: string) {
    super(message);
    this.name = "CheckpointError";
    this.code = code;
  }
}

const name = (step: number) => `step-${String(step).padStart(6, "0")}`;

export async function saveCheckpoint(root: string, engine: Engine, state: TrainerState, keep: number): Promise<string> {
  const dir = join(root, name(state.step));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await engine.save(join(dir, "engine"));
  await writeFile(join(dir, "trainer.json"), JSON.stringify(state));
  const tmp = join(root, "latest.tmp");
  await writeFile(tmp, name(state.step));
  await rename(tmp, join(root, "latest"));
  const all = (await readdir(root)).filter((d) => /^step-\d+$/.test(d)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await rm(join(root, old), { recursive: true, force: true });
  return dir;
}

/** Loads the latest complete checkpoint into the engine; undefined when there is none. */
export async function loadLatestCheckpoint(root: string, engine: Engine, configHash: string): Promise<TrainerState | undefined> {
  const latest = join(root, "latest");
  if (!existsSync(latest)) return undefined;
  const dir = join(root, (await readFile(latest, "utf8")).trim());
  let state: TrainerState;
  try {
    state = JSON.parse(await readFile(join(dir, "trainer.json"), "utf8")) as TrainerState;
  } catch (e) {
    throw new CheckpointError("checkpoint_corrupt", `cannot read ${join(dir, "trainer.json")}: ${(e as Error).message}`);
  }
  if (state.format !== "arbiter-trainer-ckpt-v1") throw new CheckpointError("checkpoint_corrupt", `${dir}: unknown format`);
  if (state.configHash !== configHash) {
    throw new CheckpointError("checkpoint_mismatch", `${dir} was written by a run with a different config; use a new outDir or resume: false`);
  }
  await engine.load(join(dir, "engine"));
  return state;
}
