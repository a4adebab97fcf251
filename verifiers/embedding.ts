// The "cosine" verifier (OpenAI text_similarity with evaluation_metric "cosine"): cosine similarity
// between embeddings of the output and of the reference, from an ONNX feature-extraction model
// (mean pooling, L2-normalised) run through @huggingface/transformers.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { baseShape, errorVerdict, messageOf, readInput, readReference, unavailable } from "./common.ts";
import { referenceStrings } from "./exact-match.ts";
import { MicroBatcher, ModelLoadError } from "./reward-model.ts";
import type { Verdict, Verifier, VerifierFactory, VerifyContext } from "./types.ts";

/** The bundled tiny embedding model (built by models/build_tiny_reward.py); fine for tests only. */
export const BUNDLED_EMBED_MODEL = fileURLToPath(new URL("../models/tiny-embed", import.meta.url));

export const cosineSchema = z.strictObject({
  ...baseShape,
  /** Model folder (config.json, tokenizer.json, onnx/model.onnx); default: the bundled tiny model. */
  model: z.string().min(1).optional(),
  pooling: z.enum(["mean", "cls"]).default("mean"),
  pass_threshold: z.number().min(0).max(1).optional(),
  max_batch: z.number().int().positive().max(4096).default(64),
  /** Embeddings kept per text (references repeat across the K samples of an item). */
  cache_size: z.number().int().min(0).default(4096),
});
export type CosineConfig = z.infer<typeof cosineSchema>;

type Extractor = ((texts: string[], opts: object) => Promise<{ dims: number[]; data: Float32Array }>) & { dispose(): Promise<unknown> };

/** Embeds texts in batches: one L2-normalised vector per text. */
export class Embedder {
  readonly dir: string;
  readonly batcher: MicroBatcher<string, Float32Array>;
  readonly #extract: Extractor;
  readonly #cache = new Map<string, Float32Array>();
  readonly #cacheSize: number;

  private constructor(dir: string, extract: Extractor, pooling: string, maxBatch: number, cacheSize: number) {
    this.dir = dir;
    this.#extract = extract;
    this.#cacheSize = cacheSize;
    this.batcher = new MicroBatcher<string, Float32Array>(async (texts) => {
      const t = await this.#extract(texts, { pooling, normalize: true });
      const dim = t.dims[t.dims.length - 1] ?? 0;
      return texts.map((_, i) => t.data.slice(i * dim, (i + 1) * dim));
    }, maxBatch);
  }

  static async load(dir: string, opts: { pooling?: string; maxBatch?: number; cacheSize?: number } = {}): Promise<Embedder> {
    for (const f of ["config.json", "tokenizer.json", "onnx/model.onnx"]) {
      if (!existsSync(resolve(dir, f))) throw new ModelLoadError(`embedding model folder ${dir} has no ${f} (expected config.json, tokenizer.json, onnx/model.onnx)`);
    }
    // Loaded on first use: the registry lists this factory without paying for the ONNX runtime.
    const { env, pipeline } = await import("@huggingface/transformers");
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    try {
      const extract = (await pipeline("feature-extraction", dir, { local_files_only: true, dtype: "fp32", device: "cpu" })) as unknown as Extractor;
      return new Embedder(dir, extract, opts.pooling ?? "mean", opts.maxBatch ?? 64, opts.cacheSize ?? 4096);
    } catch (err) {
      throw new ModelLoadError(`cannot load embedding model ${dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  async embed(text: string): Promise<Float32Array> {
    const hit = this.#cache.get(text);
    if (hit) return hit;
    const v = await this.batcher.submit(text);
    if (this.#cacheSize > 0) {
      if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value as string);
      this.#cache.set(text, v);
    }
    return v;
  }

  async close(): Promise<void> {
    await this.#extract.dispose();
  }
}

/** Cosine similarity; the inputs need not be normalised. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`vectors differ in length (${a.length} vs ${b.length})`);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0, y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export class CosineVerifier implements Verifier {
  readonly kind = "cosine";
  readonly embedder: Embedder;
  readonly #config: CosineConfig;

  constructor(config: CosineConfig, embedder: Embedder) {
    this.#config = config;
    this.embedder = embedder;
  }

  async verify(ctx: VerifyContext): Promise<Verdict> {
    let input: string, refs: string[];
    try {
      input = readInput(ctx, this.#config.input);
      refs = referenceStrings(readReference(ctx, this.#config.reference));
    } catch (err) {
      return unavailable(err);
    }
    try {
      const [out, ...refVecs] = await Promise.all([input, ...refs].map((t) => this.embedder.embed(t)));
      // Several references: the closest counts. The reward is the cosine clamped to [0, 1].
      const scores = refVecs.map((r) => cosine(out!, r));
      const best = Math.max(...scores);
      const reward = Math.min(1, Math.max(0, best));
      const threshold = this.#config.pass_threshold ?? 1;
      return { reward, pass: reward >= threshold, reason: `cosine = ${best.toFixed(4)} (threshold ${threshold})`, details: { metric: "cosine", scores } };
    } catch (err) {
      return errorVerdict("crash", `embedding model failed: ${messageOf(err)}`);
    }
  }

  close(): Promise<void> {
    return this.embedder.close();
  }
}

export const cosineFactory: VerifierFactory<CosineConfig> = {
  kind: "cosine",
  schema: cosineSchema as unknown as z.ZodType<CosineConfig>,
  async create(config, services) {
    const dir = config.model === undefined ? BUNDLED_EMBED_MODEL : resolve(services.baseDir ?? process.cwd(), config.model);
    const embedder = await Embedder.load(dir, { pooling: config.pooling, maxBatch: config.max_batch, cacheSize: config.cache_size });
    return new CosineVerifier(config, embedder);
  },
};
