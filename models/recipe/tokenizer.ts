// A character-level tokenizer in the tokenizer.json format @huggingface/transformers loads: a BPE
// model with one token per printable ASCII character and no merges, plus ChatML special tokens.

export const SPECIAL_TOKENS = ["<pad>", "<|im_end|>", "<|im_start|>"] as const;
export const PAD_ID = 0;
export const EOS_ID = 1;

export const CHAT_TEMPLATE =
  "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}" +
  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

function chars(): string[] {
  const out = ["\n"];
  for (let c = 32; c < 127; c++) out.push(String.fromCharCode(c));
  return out;
}

export function buildTokenizerFiles(): { tokenizer: object; tokenizerConfig: object; vocabSize: number } {
  const vocab: Record<string, number> = {};
  SPECIAL_TOKENS.forEach((t, i) => (vocab[t] = i));
  for (const ch of chars()) vocab[ch] = Object.keys(vocab).length;
  const added = SPECIAL_TOKENS.map((content, id) => ({
    id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: "Fuse" },
    model: {
      type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [],
    },
  };
  const tokenizerConfig = {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: null,
    eos_token: "<|im_end|>",
    pad_token: "<pad>",
    unk_token: null,
    padding_side: "left",
    add_bos_token: false,
    add_eos_token: false,
    model_max_length: 128,
    clean_up_tokenization_spaces: false,
    chat_template: CHAT_TEMPLATE,
    added_tokens_decoder: Object.fromEntries(added.map((a) => [String(a.id), { ...a, id: undefined }])),
  };
  return { tokenizer, tokenizerConfig, vocabSize: Object.keys(vocab).length };
}
