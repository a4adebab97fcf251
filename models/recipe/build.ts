// Builds the bundled tiny model from scratch: tokenizer + config, random init, SFT pre-training
// through the torch engine (trainer/sft.ts: w_t = 1/N) until greedy accuracy on held-out items
// reaches a target, then ONNX export. Reproducible: fixed seeds, one torch thread.
//   node models/recipe/build.ts [--out models/tiny-arith] [--target 0.35] [--max-steps 3000]
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { TorchEngine } from "../../trainer/engine/torch/client.ts";
import { sftStep } from "../../trainer/sft.ts";
import { Rng } from "../../trainer/rng.ts";
import type { Engine, Sequence } from "../../trainer/engine/protocol.ts";
import { arithSplits } from "./data.ts";
import { ChatRenderer } from "./renderer.ts";
import { buildTokenizerFiles, EOS_ID, PAD_ID } from "./tokenizer.ts";
import type { Sample } from "../../tasks/types.ts";

export const TINY_ARITH_CONFIG = {
  architectures: ["LlamaForCausalLM"],
  model_type: "llama",
  hidden_size: 128,
  intermediate_size: 384,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 32,
  max_position_embeddings: 128,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  tie_word_embeddings: true,
  hidden_act: "silu",
  bos_token_id: null,
  eos_token_id: EOS_ID,
  pad_token_id: PAD_ID,
  use_cache: true,
};

/** Greedy accuracy of the engine on items (exact string match of the decoded answer). */
export async function greedyAccuracy(engine: Engine, r: ChatRenderer, items: Sample[]): Promise<number> {
  const prompts = items.map((s) => r.renderPrompt(s));
  const out = await engine.sample(prompts, 1, { maxTokens: 5, temperature: 0, stopTokenIds: [r.eosTokenId] });
  let ok = 0;
  out.forEach((g, i) => (ok += r.decode(g[0]!.completion).trim() === items[i]!.reference ? 1 : 0));
  return ok / items.length;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: "string", default: "models/tiny-arith" },
      target: { type: "string", default: "0.35" },
      "max-steps": { type: "string", default: "3000" },
      batch: { type: "string", default: "64" },
      lr: { type: "string", default: "0.003" },
      seed: { type: "string", default: "0" },
    },
  });
  const out = resolve(values.out);
  const target = Number(values.target);
  const maxSteps = Number(values["max-steps"]);
  const B = Number(values.batch);
  mkdirSync(out, { recursive: true });
  const { tokenizer, tokenizerConfig, vocabSize } = buildTokenizerFiles();
  writeFileSync(join(out, "tokenizer.json"), JSON.stringify(tokenizer, null, 1));
  writeFileSync(join(out, "tokenizer_config.json"), JSON.stringify(tokenizerConfig, null, 2));
  writeFileSync(join(out, "config.json"), JSON.stringify({ ...TINY_ARITH_CONFIG, vocab_size: vocabSize }, null, 2));
  writeFileSync(join(out, "generation_config.json"),
    JSON.stringify({ eos_token_id: EOS_ID, pad_token_id: PAD_ID, max_new_tokens: 5, do_sample: false }, null, 2));

  const r = await ChatRenderer.load(out);
  const { sft, eval: held } = arithSplits();
  const probe = held.slice(0, 200);
  const data: Sequence[] = sft.map((s) => ({
    prompt: r.renderPrompt(s),
    completion: [...r.encode(String(s.reference)), r.eosTokenId],
  }));
  const engine = await TorchEngine.start({ modelDir: out, randomInit: true, seed: Number(values.seed), threads: 1 });
  const rng = new Rng(Number(values.seed) + 1);
  const t0 = performance.now();
  try {
    let acc = 0;
    for (let step = 1; step <= maxSteps; step++) {
      const batch = Array.from({ length: B }, () => data[rng.int(data.length)]!);
      const res = await sftStep(engine, batch, { adam: { learningRate: Number(values.lr), maxGradNorm: 1, weightDecay: 0.01 } });
      if (step % 50 === 0) {
        acc = await greedyAccuracy(engine, r, probe);
        const secs = ((performance.now() - t0) / 1000).toFixed(0);
        console.log(`step ${step}  loss ${res.loss.toFixed(3)}  held-out greedy acc ${(acc * 100).toFixed(1)}%  ${secs}s`);
        if (acc >= target) break;
      }
    }
    await engine.export(out, "onnx");
    console.log(`exported ${out} (held-out greedy accuracy ${(acc * 100).toFixed(1)}%)`);
  } finally {
    await engine.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
