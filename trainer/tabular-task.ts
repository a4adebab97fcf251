// Built-in tabular problems for the trainer: an engine spec, a trivial renderer (prompt = [p],
// tokens are letters) and tasks scored by real Verifier objects. Used by `arbiter train --engine
// tabular:bandit|tabular:mdp` and by the training tests, which compare against enumerated optima.
import type { Sample } from "../tasks/types.ts";
import type { Verdict, Verifier, VerifyContext } from "../verifiers/types.ts";
import { exactMatchFactory } from "../verifiers/exact-match.ts";
import type { TabularSpec } from "./engine/tabular.ts";
import { ConfigError } from "./config.ts";
import type { Renderer, TrainTask } from "./types.ts";

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

export const tabularRenderer: Renderer = {
  renderPrompt(sample) {
    const p = sample.metadata?.["promptToken"];
    if (typeof p !== "number") throw new Error(`sample ${sample.id}: metadata.promptToken (a number) is required by the tabular renderer`);
    return [p];
  },
  decode: (tokens) => tokens.map((t) => LETTERS[t] ?? "?").join(""),
  promptFor: (sample) => String(sample.input ?? sample.id),
};

/** Reward of a completion text against a sample's reference: a bandit's reference is the reward
 *  of each arm (letter); an MDP's reference is a target string, rewarded per matching position. */
export function targetReward(reference: unknown, output: string): number {
  if (Array.isArray(reference)) {
    const r = reference[LETTERS.indexOf(output[0] ?? "")];
    return typeof r === "number" ? r : 0;
  }
  if (typeof reference === "string" && reference.length > 0) {
    let hits = 0;
    for (let i = 0; i < reference.length; i++) if (output[i] === reference[i]) hits++;
    return hits / reference.length;
  }
  throw new Error("reference must be an array of arm rewards or a target string");
}

/** The tabular target verifier (kind "tabular_target"). */
export const tabularTargetVerifier: Verifier = {
  kind: "tabular_target",
  async verify(ctx: VerifyContext): Promise<Verdict> {
    try {
      const reward = targetReward(ctx.sample.reference, ctx.output);
      return { reward, pass: reward === 1 };
    } catch (e) {
      return { reward: 0, error: { kind: "unavailable", message: (e as Error).message } };
    }
  },
};

export interface TabularProblem {
  spec: TabularSpec;
  tasks: TrainTask[];
  /** The expected total reward of a completion (token ids) for a sample, for enumeration. */
  reward(sample: Sample, completion: number[]): number;
  /** The best achievable mean reward over the training samples. */
  optimum: number;
}

const sample = (p: number, reference: unknown): Sample => ({ id: `p${p}`, input: `prompt ${p}`, reference, metadata: { promptToken: p } });

export async function tabularProblem(kind: string, seed = 0): Promise<TabularProblem> {
  if (kind === "bandit") {
    const arms = [
      [0.1, 0.5, 0.2, 0.9, 0.3],
      [0.8, 0.1, 0.4, 0.2, 0.6],
    ];
    const train = arms.map((a, p) => sample(p, a));
    return {
      spec: { vocabSize: 5, horizon: 1, numPrompts: 2, seed, name: "tabular:bandit" },
      tasks: [{ name: "bandit", train, eval: train, verifiers: [{ name: "arm", verifier: tabularTargetVerifier, weight: 1 }] }],
      reward: (s, c) => targetReward(s.reference, tabularRenderer.decode(c)),
      optimum: (0.9 + 0.8) / 2,
    };
  }
  if (kind === "mdp") {
    const targets = ["cab", "bca", "aac", "cbb"];
    const train = targets.map((t, p) => sample(p, t));
    const exact = await exactMatchFactory.create(exactMatchFactory.schema.parse({}), { build: () => Promise.reject(new Error("no sub-verifiers")) });
    const W_POS = 0.7;
    const W_EXACT = 0.3;
    return {
      spec: { vocabSize: 3, horizon: 3, numPrompts: targets.length, seed, name: "tabular:mdp" },
      tasks: [
        {
          name: "mdp",
          train,
          eval: train,
          verifiers: [
            { name: "positions", verifier: tabularTargetVerifier, weight: W_POS },
            { name: "exact_match", verifier: exact, weight: W_EXACT },
          ],
        },
      ],
      reward: (s, c) => {
        const text = tabularRenderer.decode(c);
        return W_POS * targetReward(s.reference, text) + W_EXACT * (text === s.reference ? 1 : 0);
      },
      optimum: 1,
    };
  }
  throw new ConfigError(`unknown tabular problem "${kind}"; expected bandit or mdp`);
}
