// A trainer Renderer (trainer/types.ts) on a transformers.js tokenizer: chat template from
// tokenizer_config.json, token ids in and out. Tokenisation never happens in the Python worker.
import { dirname, basename, resolve } from "node:path";
import { AutoTokenizer, env, type PreTrainedTokenizer } from "@huggingface/transformers";
import type { ChatMessage, Sample } from "../../tasks/types.ts";
import type { Renderer } from "../../trainer/types.ts";

export async function loadTokenizer(modelDir: string): Promise<PreTrainedTokenizer> {
  env.allowRemoteModels = false;
  env.localModelPath = dirname(resolve(modelDir)) + "/";
  return AutoTokenizer.from_pretrained(basename(resolve(modelDir)));
}

export class ChatRenderer implements Renderer {
  readonly tokenizer: PreTrainedTokenizer;
  constructor(tokenizer: PreTrainedTokenizer) {
    this.tokenizer = tokenizer;
  }

  static async load(modelDir: string): Promise<ChatRenderer> {
    return new ChatRenderer(await loadTokenizer(modelDir));
  }

  messages(sample: Sample): ChatMessage[] {
    const input = sample.input;
    if (typeof input === "string") return [{ role: "user", content: input }];
    if (Array.isArray(input)) return input;
    throw new Error(`sample ${sample.id}: input must be a string or chat messages`);
  }

  renderPrompt(sample: Sample): number[] {
    const text = this.tokenizer.apply_chat_template(this.messages(sample) as never, {
      tokenize: false,
      add_generation_prompt: true,
    }) as string;
    return this.encode(text);
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false });
  }

  decode(tokens: number[]): string {
    return this.tokenizer.decode(tokens, { skip_special_tokens: true });
  }

  get eosTokenId(): number {
    const ids = this.tokenizer.encode("<|im_end|>", { add_special_tokens: false });
    if (ids.length !== 1) throw new Error("tokenizer has no single <|im_end|> token");
    return ids[0]!;
  }
}
