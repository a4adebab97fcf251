// A very small random Llama-family model folder for the torch engine tests.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TorchEngine, type TorchEngineOptions } from "../../trainer/engine/torch/client.ts";

export const TINY_CONFIG = {
  model_type: "llama",
  vocab_size: 40,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 8,
  rope_theta: 10000,
  rms_norm_eps: 1e-6,
  eos_token_id: 1,
  pad_token_id: 0,
  tie_word_embeddings: false,
};

export function tinyModelDir(overrides: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "arbiter-torch-tiny-"));
  writeFileSync(join(dir, "config.json"), JSON.stringify({ ...TINY_CONFIG, ...overrides }));
  return dir;
}

export function startTiny(dir: string, opts: Partial<TorchEngineOptions> = {}): Promise<TorchEngine> {
  return TorchEngine.start({ modelDir: dir, randomInit: true, seed: 5, threads: 1, ...opts });
}
