import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelLoadError, normalizeScore, rewardModelFactory, rewardModelSchema, RewardModelVerifier, SequenceClassifier, type RewardModelConfig } from "../../verifiers/reward-model.ts";
import type { VerifierServices } from "../../verifiers/types.ts";

const MODEL = fileURLToPath(new URL("../../models/tiny-reward", import.meta.url));
const expected = JSON.parse(readFileSync(`${MODEL}/expected.json`, "utf8")) as { texts: string[]; reward_logits: number[] };
const services: VerifierServices = { build: () => Promise.reject(new Error("unused")) };

let classifier: SequenceClassifier;
const made: RewardModelVerifier[] = [];
function verifier(options: Record<string, unknown> = {}): RewardModelVerifier {
  const v = new RewardModelVerifier(rewardModelSchema.parse({ model: MODEL, ...options }) as RewardModelConfig, classifier);
  made.push(v);
  return v;
}
beforeAll(async () => {
  classifier = await SequenceClassifier.load(MODEL);
});
afterAll(async () => {
  await classifier.close();
});

const ask = (d: number) => `Say the digit ${d}.`;

describe("reward model (tiny-reward via onnxruntime-node)", () => {
  it("matches the torch logits recorded by the recipe, batched and one at a time", async () => {
    const batched = await classifier.logits(expected.texts);
    batched.forEach((row, i) => expect(row[0]).toBeCloseTo(expected.reward_logits[i]!, 4));
    for (const [i, text] of expected.texts.entries()) {
      const [alone] = await classifier.logits([text]);
      expect(alone![0]).toBeCloseTo(expected.reward_logits[i]!, 4);
    }
  });

  it("scores a completion with the asked digit above one without it", async () => {
    const v = verifier();
    let ordered = 0;
    for (let d = 0; d < 10; d++) {
      const sample = { id: `d${d}` };
      const [good, wrong, none] = await Promise.all([
        { sample, prompt: ask(d), output: `The answer is ${d}.` },
        { sample, prompt: ask(d), output: `The answer is ${(d + 3) % 10}.` },
        { sample, prompt: ask(d), output: "I do not know." },
      ].map((c) => v.verify(c)));
      expect(good!.error).toBeUndefined();
      if (good!.reward > wrong!.reward && good!.reward > none!.reward) ordered++;
    }
    expect(ordered).toBe(10);
  });

  it("gathers concurrent calls into few batches with the same results as single calls", async () => {
    const v = verifier({ max_batch: 64 });
    const ctxs = Array.from({ length: 60 }, (_, i) => ({ sample: { id: String(i) }, prompt: ask(i % 10), output: `It's ${(i * 7) % 10}!` }));
    const before = v.batcher.batches;
    const together = await Promise.all(ctxs.map((c) => v.verify(c)));
    expect(v.batcher.batches - before).toBeLessThanOrEqual(2);
    for (const i of [0, 13, 59]) {
      const alone = await v.verify(ctxs[i]!);
      expect(alone.reward).toBeCloseTo(together[i]!.reward, 4);
    }
  });

  it("normalises scores: sigmoid, z-score, affine, min-max", async () => {
    const raw = (await verifier().verify({ sample: { id: "n" }, prompt: ask(5), output: "5" })).reward;
    const sig = (await verifier({ normalize: { type: "sigmoid" }, pass_threshold: 0.5 }).verify({ sample: { id: "n" }, prompt: ask(5), output: "5" }));
    expect(sig.reward).toBeCloseTo(1 / (1 + Math.exp(-raw)), 6);
    expect(sig.pass).toBe(raw > 0);
    expect(normalizeScore(3, { type: "zscore", mean: 1, std: 4 })).toBe(0.5);
    expect(normalizeScore(3, { type: "affine", scale: 2, shift: -1 })).toBe(5);
    expect(normalizeScore(30, { type: "minmax", min: -10, max: 10 })).toBe(1);
    expect(normalizeScore(0, { type: "minmax", min: -10, max: 10 })).toBe(0.5);
    expect(() => rewardModelSchema.parse({ model: "m", normalize: { type: "minmax", min: 1, max: 1 } })).toThrow(/max must be greater than min/);
  });

  it("formats prompt + completion with a template or the chat template", async () => {
    const plain = verifier({ template: "{{item.question}}\n{{sample.output_text}}" });
    expect(plain.format({ sample: { id: "t", question: ask(3) }, output: "3" })).toBe("Say the digit 3.\n3");
    const chat = verifier({ format: "chat" });
    expect(chat.format({ sample: { id: "c" }, prompt: [{ role: "user", content: "hi" }], output: "yo" }))
      .toBe("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n");
    const missing = await plain.verify({ sample: { id: "m" }, output: "3" });
    expect(missing.error).toMatchObject({ kind: "unavailable", message: expect.stringMatching(/no field "question"/) });
  });

  it("explains a missing model folder or file precisely", async () => {
    await expect(rewardModelFactory.create(rewardModelSchema.parse({ model: "no/such/dir" }) as RewardModelConfig, { ...services, baseDir: "/tmp" }))
      .rejects.toThrow(new ModelLoadError("reward model folder /tmp/no/such/dir has no config.json (expected config.json, tokenizer.json, onnx/model.onnx)"));
    expect(() => verifier({ label: "positive" })).toThrow(/label "positive" is not in the model's label2id \(reward\)/);
  });
});
