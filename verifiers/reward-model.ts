// The "reward_model" verifier: an ONNX sequence classifier (a Hugging Face folder: config.json,
// tokenizer.json, onnx/model.onnx) run through @huggingface/transformers on onnxruntime-node.
// Concurrent verify() calls are gathered by a micro-batcher into one forward pass.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import type { ChatMessage } from "../tasks/types.ts";
import { errorVerdict, messageOf, unavailable } from "./common.ts";
import { renderTemplate, scopeOf } from "./template.ts";
import type { Verdict, Verifier, VerifierFactory, VerifyContext } from "./types.ts";

export class ModelLoadError extends Error {
  readonly code = "model_load";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ModelLoadError";
  }
}

/** Gathers items submitted in the same tick (and while a run is in progress) into batches. */
export class MicroBatcher<I, O> {
  readonly #run: (items: I[]) => Promise<O[]>;
  readonly #maxBatch: number;
  #queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  #busy = false;
  #scheduled = false;
  batches = 0;

  constructor(run: (items: I[]) => Promise<O[]>, maxBatch: number) {
    this.#run = run;
    this.#maxBatch = Math.max(1, maxBatch);
  }

  submit(item: I): Promise<O> {
    return new Promise((res, rej) => {
      this.#queue.push({ item, resolve: res, reject: rej });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#busy || this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    // setImmediate: let every verify() issued in this turn of the event loop join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#busy || this.#queue.length === 0) return;
    this.#busy = true;
    const take = this.#queue.splice(0, this.#maxBatch);
    try {
      const out = await this.#run(take.map((t) => t.item));
      take.forEach((t, i) => t.resolve(out[i] as O));
    } catch (err) {
      for (const t of take) t.reject(err);
    } finally {
      this.#busy = false;
      this.batches++;
      this.#kick();
    }
  }
}

const normalizeSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("none") }),
  z.strictObject({ type: z.literal("sigmoid"), temperature: z.number().positive().default(1) }),
  /** z-score: (x − mean) / std, e.g. with the mean/std of the model's scores on a reference set. */
  z.strictObject({ type: z.literal("zscore"), mean: z.number(), std: z.number().positive() }),
  z.strictObject({ type: z.literal("affine"), scale: z.number(), shift: z.number() }),
  /** (x − min) / (max − min), clamped to [0, 1]. */
  z.strictObject({ type: z.literal("minmax"), min: z.number(), max: z.number() }).refine((n) => n.max > n.min, {
    message: "max must be greater than min",
    path: ["max"],
  }),
]);
export type RewardNormalize = z.infer<typeof normalizeSchema>;

export const rewardModelSchema = z.strictObject({
  name: z.string().optional(),
  /** Model folder; relative paths resolve against the suite's base directory. */
  model: z.string().min(1),
  /** "template": render `template`; "chat": the tokenizer's chat template over prompt + completion. */
  format: z.enum(["template", "chat"]).default("template"),
  /** {{prompt}} is the prompt as text; {{item.x}} and {{sample.output_text}} as in OpenAI graders. */
  template: z.string().default("{{prompt}}\n{{sample.output_text}}"),
  /** Which logit is the score (multi-label classifiers: softmax probability of that label). */
  label: z.union([z.number().int().min(0), z.string()]).optional(),
  normalize: normalizeSchema.default({ type: "none" }),
  pass_threshold: z.number().optional(),
  max_batch: z.number().int().positive().max(4096).default(32),
  max_length: z.number().int().positive().max(32768).default(512),
});
export type RewardModelConfig = z.infer<typeof rewardModelSchema>;

export function normalizeScore(x: number, n: RewardNormalize): number {
  switch (n.type) {
    case "none":
      return x;
    case "sigmoid":
      return 1 / (1 + Math.exp(-x / n.temperature));
    case "zscore":
      return (x - n.mean) / n.std;
    case "affine":
      return x * n.scale + n.shift;
    case "minmax":
      return Math.min(1, Math.max(0, (x - n.min) / (n.max - n.min)));
  }
}

function promptText(ctx: VerifyContext): string | ChatMessage[] {
  const p = ctx.prompt ?? ctx.sample.input ?? "";
  return p;
}

function flatten(p: string | ChatMessage[]): string {
  return typeof p === "string" ? p : p.map((m) => m.content).join("\n");
}

interface Tok {
  (texts: string[], opts: object): { input_ids: unknown; attention_mask: unknown };
  apply_chat_template(messages: ChatMessage[], opts: object): string;
  chat_template?: string | null;
}
interface Classifier {
  (inputs: object): Promise<{ logits: { dims: number[]; data: Float32Array } }>;
  config: { id2label?: Record<string, string>; label2id?: Record<string, number> };
  dispose(): Promise<unknown>;
}

/** A loaded sequence classifier that scores texts in batches. */
export class SequenceClassifier {
  readonly dir: string;
  readonly #tok: Tok;
  readonly #model: Classifier;
  readonly #maxLength: number;

  private constructor(dir: string, tok: Tok, model: Classifier, maxLength: number) {
    this.dir = dir;
    this.#tok = tok;
    this.#model = model;
    this.#maxLength = maxLength;
  }

  static async load(dir: string, maxLength = 512): Promise<SequenceClassifier> {
    for (const f of ["config.json", "tokenizer.json", "onnx/model.onnx"]) {
      if (!existsSync(resolve(dir, f))) throw new ModelLoadError(`reward model folder ${dir} has no ${f} (expected config.json, tokenizer.json, onnx/model.onnx)`);
    }
    // Loaded on first use: the registry lists this factory without paying for the ONNX runtime.
    const { AutoModelForSequenceClassification, AutoTokenizer, env } = await import("@huggingface/transformers");
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    try {
      const tok = (await AutoTokenizer.from_pretrained(dir, { local_files_only: true })) as unknown as Tok;
      const model = (await AutoModelForSequenceClassification.from_pretrained(dir, { local_files_only: true, dtype: "fp32", device: "cpu" })) as unknown as Classifier;
      return new SequenceClassifier(dir, tok, model, maxLength);
    } catch (err) {
      throw new ModelLoadError(`cannot load reward model ${dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  get labels(): Record<string, number> {
    return this.#model.config.label2id ?? {};
  }

  chat(messages: ChatMessage[]): string {
    if (!this.#tok.chat_template) throw new ModelLoadError(`${this.dir}: format "chat" needs a chat_template in tokenizer_config.json`);
    return this.#tok.apply_chat_template(messages, { tokenize: false, add_generation_prompt: false });
  }

  /** Logits per text, shape [texts.length][num_labels]. */
  async logits(texts: string[]): Promise<number[][]> {
    const enc = this.#tok(texts, { padding: true, truncation: true, max_length: this.#maxLength });
    const { logits } = await this.#model(enc);
    const [rows, cols] = [logits.dims[0] ?? 0, logits.dims[1] ?? 1];
    return Array.from({ length: rows }, (_, r) => Array.from(logits.data.subarray(r * cols, (r + 1) * cols)));
  }

  async close(): Promise<void> {
    await this.#model.dispose();
  }
}

export class RewardModelVerifier implements Verifier {
  readonly kind = "reward_model";
  readonly classifier: SequenceClassifier;
  readonly batcher: MicroBatcher<string, number[]>;
  readonly #config: RewardModelConfig;
  readonly #label: number;

  constructor(config: RewardModelConfig, classifier: SequenceClassifier) {
    this.#config = config;
    this.classifier = classifier;
    const label = config.label ?? 0;
    if (typeof label === "string") {
      const id = classifier.labels[label];
      if (id === undefined) throw new ModelLoadError(`label ${JSON.stringify(label)} is not in the model's label2id (${Object.keys(classifier.labels).join(", ")})`);
      this.#label = id;
    } else this.#label = label;
    this.batcher = new MicroBatcher((texts) => this.classifier.logits(texts), config.max_batch);
  }

  /** The text the model scores for one completion. */
  format(ctx: VerifyContext): string {
    const prompt = promptText(ctx);
    if (this.#config.format === "chat") {
      const messages: ChatMessage[] = typeof prompt === "string" ? [{ role: "user", content: prompt }] : [...prompt];
      return this.classifier.chat([...messages, { role: "assistant", content: ctx.output }]);
    }
    const withPrompt = this.#config.template.replaceAll(/\{\{\s*prompt\s*\}\}/g, () => flatten(prompt));
    return renderTemplate(withPrompt, scopeOf(ctx));
  }

  #verdict(row: number[]): Verdict {
    let raw = row[this.#label];
    if (raw === undefined) {
      return errorVerdict("invalid_output", `label index ${this.#label} is out of range; the model has ${row.length} logits`);
    }
    if (row.length > 1) {
      // Multi-label classifier: the softmax probability of the chosen label.
      const m = Math.max(...row);
      const z = row.reduce((s, x) => s + Math.exp(x - m), 0);
      raw = Math.exp(raw - m) / z;
    }
    const reward = normalizeScore(raw, this.#config.normalize);
    if (!Number.isFinite(reward)) return errorVerdict("invalid_output", `reward model produced a non-finite score (${raw})`);
    const v: Verdict = { reward, details: { raw } };
    if (this.#config.pass_threshold !== undefined) v.pass = reward >= this.#config.pass_threshold;
    return v;
  }

  async verify(ctx: VerifyContext): Promise<Verdict> {
    let text: string;
    try {
      text = this.format(ctx);
    } catch (err) {
      return unavailable(err);
    }
    try {
      return this.#verdict(await this.batcher.submit(text));
    } catch (err) {
      return errorVerdict("crash", `reward model failed: ${messageOf(err)}`);
    }
  }

  close(): Promise<void> {
    return this.classifier.close();
  }
}

export const rewardModelFactory: VerifierFactory<RewardModelConfig> = {
  kind: "reward_model",
  schema: rewardModelSchema as unknown as z.ZodType<RewardModelConfig>,
  async create(config, services) {
    const dir = resolve(services.baseDir ?? process.cwd(), config.model);
    return new RewardModelVerifier(config, await SequenceClassifier.load(dir, config.max_length));
  },
};
