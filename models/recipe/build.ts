// Builds the bundled tiny model from scratch: tokenizer + config, random init, SFT pre-training
// through the torch engine (trainer/sft.ts: w_t = 1/N) in two stages: (1) clean answers until
// greedy accuracy on held-out items reaches --target; (2) answers replaced by near misses with
// probability --noise, so sampling is partly right. Then ONNX export. Reproducible: fixed seeds,
// one torch thread.
//   node models/recipe/build.ts [--out models/tiny-arith] [--target 0.35] [--noise 0.5]
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

/** A near miss of the right answer: off by one or by ten (never negative). */
function nearMiss(answer: number, rng: Rng): number {
  for (;;) {
    const d = [-10, -1, 1, 10][rng.int(4)]!;
    if (answer + d >= 0) return answer + d;
  }
}

interface StageOptions {
  steps: number;
  batch: number;
  lr: number;
  /** Probability that an example's answer is replaced by a near miss. */
  noise: number;
  /** Stop early once greedy held-out accuracy reaches this (1 = never). */
  target: number;
}

async function sftStage(name: string, engine: Engine, r: ChatRenderer, items: Sample[], probe: Sample[], o: StageOptions, rng: Rng): Promise<number> {
  const prompts = items.map((s) => r.renderPrompt(s));
  const t0 = performance.now();
  let acc = 0;
  for (let step = 1; step <= o.steps; step++) {
    const batch: Sequence[] = Array.from({ length: o.batch }, () => {
      const i = rng.int(items.length);
      const right = Number(items[i]!.reference);
      const answer = o.noise > 0 && rng.next() < o.noise ? nearMiss(right, rng) : right;
      return { prompt: prompts[i]!, completion: [...r.encode(String(answer)), r.eosTokenId] };
    });
    const res = await sftStep(engine, batch, { adam: { learningRate: o.lr, maxGradNorm: 1, weightDecay: 0.01 } });
    if (step % 50 === 0 || step === o.steps) {
      acc = await greedyAccuracy(engine, r, probe);
      const secs = ((performance.now() - t0) / 1000).toFixed(0);
      console.log(`${name} step ${step}  loss ${res.loss.toFixed(3)}  held-out greedy acc ${(acc * 100).toFixed(1)}%  ${secs}s`);
      if (acc >= o.target) break;
    }
  }
  return acc;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: "string", default: "models/tiny-arith" },
      /** Skip stage 1 and start stage 2 from this model folder's weights. */
      init: { type: "string" },
      target: { type: "string", default: "0.35" },
      "max-steps": { type: "string", default: "3000" },
      batch: { type: "string", default: "64" },
      lr: { type: "string", default: "0.003" },
      noise: { type: "string", default: "0.5" },
      "noise-steps": { type: "string", default: "300" },
      "noise-lr": { type: "string", default: "0.001" },
      seed: { type: "string", default: "0" },
    },
  });
  const out = resolve(values.out);
  const seed = Number(values.seed);
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
  const batch = Number(values.batch);

  // Stage 1: clean SFT from a random init until the model is partly right.
  if (values.init === undefined) {
    const engine = await TorchEngine.start({ modelDir: out, randomInit: true, seed, threads: 1 });
    try {
      await sftStage("clean", engine, r, sft, probe,
        { steps: Number(values["max-steps"]), batch, lr: Number(values.lr), noise: 0, target: Number(values.target) }, new Rng(seed + 1));
      await engine.export(out, "onnx");
    } finally {
      await engine.close();
    }
  }
  // Stage 2: SFT on answers that are right only (1 - noise) of the time, near misses otherwise, so
  // the model's sampling distribution spreads over plausible wrong answers (RL has signal to use).
  const engine = await TorchEngine.start({ modelDir: values.init === undefined ? out : resolve(values.init), seed, threads: 1 });
  try {
    const acc = await sftStage("noisy", engine, r, sft, probe,
      { steps: Number(values["noise-steps"]), batch, lr: Number(values["noise-lr"]), noise: Number(values.noise), target: 1 }, new Rng(seed + 2));
    await engine.export(out, "onnx");
    console.log(`exported ${out} (held-out greedy accuracy ${(acc * 100).toFixed(1)}%)`);
  } finally {
    await engine.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
