import { engineContract } from "../contract/engine.ts";
import { TabularEngine } from "../../trainer/engine/tabular.ts";

engineContract("tabular MDP (V=4, H=4, eos)", async () =>
  new TabularEngine({ vocabSize: 4, horizon: 4, numPrompts: 2, eosTokenId: 3, initScale: 0.5, seed: 11 }),
);

engineContract("tabular bandit (V=5, H=1)", async () =>
  new TabularEngine({ vocabSize: 5, horizon: 1, numPrompts: 2, initScale: 1, seed: 3 }),
);
