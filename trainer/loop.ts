// The training loop (in progress): see TrainFn in types.ts for the signature.
import type { TrainConfig, TrainDeps, TrainResult } from "./types.ts";

export async function train(_config: TrainConfig, _deps: TrainDeps): Promise<TrainResult> {
  throw new Error("train: not implemented yet");
}
