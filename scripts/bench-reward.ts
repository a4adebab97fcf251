// Reward-model throughput (models/tiny-reward on onnxruntime-node, CPU): verdicts/s one call at a
// time versus concurrent calls gathered by the micro-batcher, for several batch caps.
// Usage: node scripts/bench-reward.ts [calls=2000]
import { fileURLToPath } from "node:url";
import { RewardModelVerifier, rewardModelSchema, SequenceClassifier, type RewardModelConfig } from "../verifiers/reward-model.ts";
import type { VerifyContext } from "../verifiers/types.ts";

const calls = Number(process.argv[2] ?? 2000);
const MODEL = fileURLToPath(new URL("../models/tiny-reward", import.meta.url));
const classifier = await SequenceClassifier.load(MODEL);
const ctx = (i: number): VerifyContext => ({ sample: { id: String(i) }, prompt: `Say the digit ${i % 10}.`, output: `The answer is ${(i * 3) % 10}.` });
const make = (maxBatch: number) => new RewardModelVerifier(rewardModelSchema.parse({ model: MODEL, max_batch: maxBatch }) as RewardModelConfig, classifier);

async function sequential(n: number): Promise<number> {
  const v = make(1);
  const t = performance.now();
  for (let i = 0; i < n; i++) await v.verify(ctx(i));
  return n / ((performance.now() - t) / 1000);
}

async function concurrent(n: number, maxBatch: number): Promise<number> {
  const v = make(maxBatch);
  const t = performance.now();
  const vs = await Promise.all(Array.from({ length: n }, (_, i) => v.verify(ctx(i))));
  const rate = n / ((performance.now() - t) / 1000);
  if (vs.some((x) => x.error)) throw new Error("a verdict failed");
  return rate;
}

await concurrent(256, 32); // warm-up
const one = await sequential(Math.min(calls, 500));
console.log(`one at a time:        ${one.toFixed(0)} verdicts/s`);
for (const b of [8, 32, 128]) {
  const r = await concurrent(calls, b);
  console.log(`micro-batched (≤${String(b).padStart(3)}): ${r.toFixed(0)} verdicts/s  (${(r / one).toFixed(1)}× one at a time)`);
}
await classifier.close();
