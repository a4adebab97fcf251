import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLED_EMBED_MODEL, cosine, cosineSchema, CosineVerifier, Embedder, type CosineConfig } from "../../verifiers/embedding.ts";
import { defaultRegistry } from "../../verifiers/builtin.ts";

const expected = JSON.parse(readFileSync(`${BUNDLED_EMBED_MODEL}/expected.json`, "utf8")) as { texts: string[]; embeddings: number[][] };
let embedder: Embedder;
beforeAll(async () => {
  embedder = await Embedder.load(BUNDLED_EMBED_MODEL);
});
afterAll(async () => {
  await embedder.close();
});
const verifier = (options: Record<string, unknown> = {}) => new CosineVerifier(cosineSchema.parse(options) as CosineConfig, embedder);

describe("embedding cosine (tiny-embed)", () => {
  it("matches the torch mean-pooled, L2-normalised embeddings", async () => {
    const got = await Promise.all(expected.texts.map((t) => embedder.embed(t)));
    got.forEach((v, i) => {
      const want = expected.embeddings[i]!;
      expect(v.length).toBe(want.length);
      expect(Math.max(...want.map((w, j) => Math.abs(w - v[j]!)))).toBeLessThan(1e-4);
    });
  });

  it("scores near-copies above unrelated text", async () => {
    const v = verifier({ reference: "{{item.ref}}", pass_threshold: 0.6 });
    const score = async (out: string, ref: string) => v.verify({ sample: { id: "s", ref }, output: out });
    const same = await score("red cat river happy train", "red cat river happy train");
    const near = await score("red cat river happy train", "red cat river sad train");
    const far = await score("red cat river happy train", "stock profit server error deploy");
    expect(same.reward).toBeCloseTo(1, 5);
    expect(near.reward).toBeGreaterThan(far.reward + 0.3);
    expect(near.pass).toBe(true);
    expect(far.pass).toBe(false);
  });

  it("takes the best of several references and reports each score", async () => {
    const v = verifier();
    const r = await v.verify({ sample: { id: "m", reference: ["stock profit server error deploy", "green dog ocean snow"] }, output: "green dog ocean rain" });
    const scores = r.details?.scores as number[];
    expect(scores).toHaveLength(2);
    expect(r.reward).toBeCloseTo(Math.max(...scores), 6);
    expect(scores[1]).toBeGreaterThan(scores[0]!);
  });

  it("computes cosine exactly and checks lengths", () => {
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([3, 4], [6, 8])).toBeCloseTo(1, 12);
    expect(() => cosine([1], [1, 2])).toThrow(/differ in length/);
  });

  it("is reachable as OpenAI text_similarity with evaluation_metric cosine", async () => {
    const registry = defaultRegistry();
    expect(registry.has("cosine")).toBe(true);
    const g = await registry.build({ type: "text_similarity", name: "sim", input: "{{sample.output_text}}", reference: "{{item.answer}}", evaluation_metric: "cosine", pass_threshold: 0.9 });
    const v = await g.verify({ sample: { id: "o", answer: "blue car fast road" }, output: "blue car fast road" });
    expect(v.reward).toBeCloseTo(1, 5);
    expect(v.pass).toBe(true);
    await g.close?.();
  });
});
