import { engineContract } from "../contract/engine.ts";
import { startTiny, tinyModelDir } from "./tiny.ts";

const dir = tinyModelDir();
engineContract("torch (tiny random Llama, CPU)", () => startTiny(dir), { learningRate: 0.01, maxTokens: 5 });

const loraDir = tinyModelDir({ model_type: "qwen2", attention_bias: true, tie_word_embeddings: true });
engineContract("torch LoRA (tiny random Qwen2, CPU)", () =>
  startTiny(loraDir, { lora: { rank: 4, alpha: 8, targetModules: ["q_proj", "v_proj", "gate_proj"] } }),
  { learningRate: 0.05, maxTokens: 5 },
);
