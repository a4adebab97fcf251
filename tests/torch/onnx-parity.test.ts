// The ONNX export (transformers.js layout) computes the same log-probs as the torch engine, on a
// left-padded batch with an empty cache and step by step through the KV cache (onnxruntime-node).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TorchEngine } from "../../trainer/engine/torch/client.ts";
import type { Sequence } from "../../trainer/engine/protocol.ts";
import { startTiny, TINY_CONFIG, tinyModelDir } from "./tiny.ts";

const TOL = 1e-4; // float32 log-probs, torch vs onnxruntime kernels
const { num_hidden_layers: L, num_key_value_heads: KV, head_dim: HD, vocab_size: V } = TINY_CONFIG;

const i64 = (xs: number[], dims: number[]) => new ort.Tensor("int64", BigInt64Array.from(xs.map(BigInt)), dims);

function logSoftmaxAt(logits: Float32Array, offset: number, token: number): number {
  let m = -Infinity;
  for (let v = 0; v < V; v++) m = Math.max(m, logits[offset + v]!);
  let s = 0;
  for (let v = 0; v < V; v++) s += Math.exp(logits[offset + v]! - m);
  return logits[offset + token]! - m - Math.log(s);
}

function emptyPast(b: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (let i = 0; i < L; i++)
    for (const k of ["key", "value"]) feeds[`past_key_values.${i}.${k}`] = new ort.Tensor("float32", new Float32Array(0), [b, KV, 0, HD]);
  return feeds;
}

describe("torch engine ONNX export vs the engine (onnxruntime-node)", () => {
  let engine: TorchEngine;
  let session: ort.InferenceSession;
  let batch: Sequence[];
  let expected: number[][];

  beforeAll(async () => {
    engine = await startTiny(tinyModelDir(), { seed: 3 });
    // a training step first, so the export carries trained (not initial) weights
    const s = (await engine.sample([[2, 3, 4], [5]], 1, { maxTokens: 6, seed: 2 })).flat();
    batch = s.map((x) => ({ prompt: x.prompt, completion: x.completion }));
    await engine.forwardBackward(batch, batch.map((q) => q.completion.map(() => 1)));
    await engine.optimStep({ learningRate: 0.01 });
    expected = await engine.logprobs(batch);
    const out = mkdtempSync(join(tmpdir(), "arbiter-onnx-"));
    await engine.export(out, "onnx");
    session = await ort.InferenceSession.create(join(out, "onnx", "model.onnx"));
  });
  afterAll(() => engine?.close());

  it("declares the inputs and outputs transformers.js feeds", () => {
    expect(session.inputNames.slice(0, 3)).toEqual(["input_ids", "attention_mask", "position_ids"]);
    expect(session.inputNames).toContain(`past_key_values.${L - 1}.value`);
    expect(session.outputNames).toContain("logits");
    expect(session.outputNames).toContain(`present.${L - 1}.key`);
  });

  it(`left-padded batch, empty cache: log-probs within ${TOL}`, async () => {
    const full = batch.map((s) => [...s.prompt, ...s.completion]);
    const T = Math.max(...full.map((f) => f.length));
    const ids: number[] = [];
    const mask: number[] = [];
    const pos: number[] = [];
    for (const f of full) {
      const pad = T - f.length;
      ids.push(...Array(pad).fill(0), ...f);
      mask.push(...Array(pad).fill(0), ...f.map(() => 1));
      pos.push(...Array(pad).fill(0), ...f.map((_, i) => i));
    }
    const B = full.length;
    const r = await session.run({ input_ids: i64(ids, [B, T]), attention_mask: i64(mask, [B, T]), position_ids: i64(pos, [B, T]), ...emptyPast(B) });
    const logits = r.logits!.data as Float32Array;
    let maxDiff = 0;
    batch.forEach((s, b) => {
      const pad = T - full[b]!.length;
      s.completion.forEach((tok, t) => {
        const at = pad + s.prompt.length + t - 1;
        maxDiff = Math.max(maxDiff, Math.abs(logSoftmaxAt(logits, (b * T + at) * V, tok) - expected[b]![t]!));
      });
    });
    expect(maxDiff).toBeLessThan(TOL);
  });

  it(`token by token through the KV cache: log-probs within ${TOL}`, async () => {
    const s = batch[0]!;
    let feeds: Record<string, ort.Tensor> = {
      input_ids: i64(s.prompt, [1, s.prompt.length]),
      attention_mask: i64(s.prompt.map(() => 1), [1, s.prompt.length]),
      position_ids: i64(s.prompt.map((_, i) => i), [1, s.prompt.length]),
      ...emptyPast(1),
    };
    let len = s.prompt.length;
    let maxDiff = 0;
    for (let t = 0; t < s.completion.length; t++) {
      const r = await session.run(feeds);
      const logits = r.logits!.data as Float32Array;
      const steps = (r.logits!.dims[1] as number);
      maxDiff = Math.max(maxDiff, Math.abs(logSoftmaxAt(logits, (steps - 1) * V, s.completion[t]!) - expected[0]![t]!));
      const next: Record<string, ort.Tensor> = {
        input_ids: i64([s.completion[t]!], [1, 1]),
        attention_mask: i64(Array(len + 1).fill(1), [1, len + 1]),
        position_ids: i64([len], [1, 1]),
      };
      for (let i = 0; i < L; i++)
        for (const k of ["key", "value"]) next[`past_key_values.${i}.${k}`] = r[`present.${i}.${k}`]!;
      feeds = next;
      len++;
    }
    expect(maxDiff).toBeLessThan(TOL);
  });
});
