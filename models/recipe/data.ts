// The synthetic task of the bundled model: two-number addition, "What is 23+41?" -> "64".
// Every pair (a, b) in [0, 99]^2 once, shuffled with a fixed seed and split three ways so the
// held-out eval items are never seen in pre-training or RL.
import { Rng } from "../../trainer/rng.ts";
import type { Sample } from "../../tasks/types.ts";

export interface ArithSplits {
  /** Pre-training (SFT) items. */
  sft: Sample[];
  /** RL prompts (GRPO in the demo). */
  rl: Sample[];
  /** Held-out evaluation items. */
  eval: Sample[];
}

export const QUESTION = (a: number, b: number) => `What is ${a}+${b}?`;

function item(a: number, b: number): Sample {
  return {
    id: `add-${a}-${b}`,
    input: [{ role: "user", content: QUESTION(a, b) }],
    reference: String(a + b),
  };
}

export function arithSplits(seed = 1234, evalSize = 300, rlSize = 2000): ArithSplits {
  const all: Sample[] = [];
  for (let a = 0; a < 100; a++) for (let b = 0; b < 100; b++) all.push(item(a, b));
  const shuffled = new Rng(seed).shuffle(all);
  return {
    eval: shuffled.slice(0, evalSize),
    rl: shuffled.slice(evalSize, evalSize + rlSize),
    sft: shuffled.slice(evalSize + rlSize),
  };
}
