// The bundled model through both runtimes: the harness's LocalPolicy (transformers.js on the ONNX
// export) and the torch engine agree on greedy completions and on the log-probs of sampled ones.
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalPolicy } from "../../harness/policy/local.ts";
import { TorchEngine } from "../../trainer/engine/torch/client.ts";
import { arithSplits } from "../../models/recipe/data.ts";
import { ChatRenderer } from "../../models/recipe/renderer.ts";

const MODEL = resolve(process.env["TINY_ARITH_DIR"] ?? "models/tiny-arith");
const TOL = 1e-4;

describe("bundled tiny-arith: LocalPolicy (ONNX) vs torch engine", () => {
  let policy: LocalPolicy;
  let engine: TorchEngine;
  let renderer: ChatRenderer;
  const items = arithSplits().eval.slice(0, 24);

  beforeAll(async () => {
    policy = await LocalPolicy.load(MODEL, { batchSize: 24 });
    engine = await TorchEngine.start({ modelDir: MODEL });
    renderer = await ChatRenderer.load(MODEL);
  });
  afterAll(async () => {
    await policy?.close();
    await engine?.close();
  });

  it("greedy completions are identical token for token", async () => {
    const local = await policy.generate(items.map((s) => ({ itemId: s.id, prompt: s.input as never, n: 1, params: { temperature: 0, maxTokens: 5 } })));
    const torch = await engine.sample(items.map((s) => renderer.renderPrompt(s)), 1, { maxTokens: 5, temperature: 0, stopTokenIds: [renderer.eosTokenId] });
    const strip = (ids: number[]) => ids.filter((t) => t !== renderer.eosTokenId);
    items.forEach((_, i) => {
      expect(strip(local[i]![0]!.tokenIds!)).toEqual(strip(torch[i]![0]!.completion));
      expect(local[i]![0]!.text.trim()).toBe(renderer.decode(torch[i]![0]!.completion).trim());
    });
  });

  it(`the engine's log-probs of LocalPolicy samples (T=1) match the sampler's within ${TOL}`, async () => {
    const local = await policy.generate(items.map((s) => ({ itemId: s.id, prompt: s.input as never, n: 2, params: { temperature: 1, maxTokens: 5, seed: 11 } })));
    const seqs = items.flatMap((s, i) => local[i]!.map((c) => ({ prompt: renderer.renderPrompt(s), completion: c.tokenIds!, sampler: c.logprobs! })));
    const lps = await engine.logprobs(seqs.map(({ prompt, completion }) => ({ prompt, completion })));
    let maxDiff = 0;
    seqs.forEach((s, i) => s.sampler.forEach((lp, t) => (maxDiff = Math.max(maxDiff, Math.abs(lp - lps[i]![t]!)))));
    expect(seqs.every((s) => s.sampler.length === s.completion.length)).toBe(true);
    expect(maxDiff).toBeLessThan(TOL);
  });
});
