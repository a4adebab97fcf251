// A suite written as a TypeScript module: the dataset is computed, the definition is type-checked.
import { defineSuite } from "../../tasks/define.ts";

const WORDS = [
  "arbiter", "verifier", "sandbox", "gradient", "policy", "reward", "baseline", "bootstrap",
  "variance", "token", "sample", "harness", "compare", "advantage", "cluster", "suite",
  "template", "replay", "engine", "isolate",
];

export default defineSuite({
  name: "ts-suite",
  version: "1.0",
  description: "Reverse a word letter by letter (a TypeScript-module suite).",
  tasks: [
    {
      name: "reverse-word",
      dataset: WORDS.map((word, i) => ({
        id: `rev-${String(i + 1).padStart(2, "0")}`,
        word,
        reference: [...word].reverse().join(""),
      })),
      prompt: [
        { role: "user", content: "Write the word {{item.word}} backwards. Reply with the reversed word only." },
      ],
      verifier: { type: "exact_match", normalize: ["trim", "case"] },
      sampling: { temperature: 0, maxTokens: 16 },
    },
  ],
});
