// Builds models/counting-lm: a deterministic tiny causal LM in the Hugging Face layout that
// transformers.js loads offline. The ONNX graph is written directly with onnx-proto (no Python):
// logits come from a Gather table (greedy next token = this token + 1 in character order, '!' and
// '~' end the turn), and one layer of KV cache is threaded through so transformers.js' cached
// decoding path is exercised (route 3b in reference/stack-notes.md).
//
//   node models/build-counting-lm.ts [OUT_DIR]     (default: models/counting-lm beside this file)
//
// The output is byte-identical on every run: no timestamps, fixed key order.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** Special tokens first, then "\n", then printable ASCII 32..126 in order. */
export const SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] as const;
const PAD_ID = 0;
const EOS_ID = 2;
const HEAD_DIM = 4;
/** Logit of the greedy next token; every other token gets 0 (so sampling at T>0 varies). */
const NEXT_LOGIT = 8;

export function countingVocab(): string[] {
  const vocab: string[] = [...SPECIAL_TOKENS, "\n"];
  for (let c = 32; c <= 126; c++) vocab.push(String.fromCharCode(c));
  return vocab;
}

/** The greedy successor of each token id. */
export function countingNext(vocab: readonly string[]): number[] {
  return vocab.map((tok, id) => {
    if (id === PAD_ID || id === EOS_ID || tok === "!" || tok === "~") return EOS_ID;
    if (tok === "<|im_start|>" || tok === "\n") return vocab.indexOf("a");
    return id + 1;
  });
}

const CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

function floatTensor(name: string, dims: number[], values: Float32Array) {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  });
}

function valueInfo(name: string, elemType: number, dims: (string | number)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            typeof d === "number"
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

export function buildCountingOnnx(vocab: readonly string[]): Uint8Array {
  const V = vocab.length;
  const next = countingNext(vocab);
  const logitTable = new Float32Array(V * V);
  for (let t = 0; t < V; t++) logitTable[t * V + (next[t] ?? EOS_ID)] = NEXT_LOGIT;
  const kvTable = new Float32Array(V * HEAD_DIM);
  for (let i = 0; i < kvTable.length; i++) kvTable[i] = ((i * 37) % 101) / 101;

  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const INT64 = onnx.TensorProto.DataType.INT64;
  const node = (opType: string, input: string[], output: string[], attribute: object[] = []) =>
    onnx.NodeProto.create({ opType, input, output, name: output[0] ?? opType, attribute });

  const graph = onnx.GraphProto.create({
    name: "counting_lm",
    initializer: [
      floatTensor("logit_table", [V, V], logitTable),
      floatTensor("kv_table", [V, HEAD_DIM], kvTable),
      onnx.TensorProto.create({ name: "axis_1", dims: [1], dataType: INT64, int64Data: [1] }),
    ],
    input: [
      valueInfo("input_ids", INT64, ["batch_size", "sequence_length"]),
      valueInfo("attention_mask", INT64, ["batch_size", "total_sequence_length"]),
      valueInfo("position_ids", INT64, ["batch_size", "sequence_length"]),
      valueInfo("past_key_values.0.key", FLOAT, ["batch_size", 1, "past_sequence_length", HEAD_DIM]),
      valueInfo("past_key_values.0.value", FLOAT, ["batch_size", 1, "past_sequence_length", HEAD_DIM]),
    ],
    output: [
      valueInfo("logits", FLOAT, ["batch_size", "sequence_length", V]),
      valueInfo("present.0.key", FLOAT, ["batch_size", 1, "total_sequence_length", HEAD_DIM]),
      valueInfo("present.0.value", FLOAT, ["batch_size", 1, "total_sequence_length", HEAD_DIM]),
    ],
    node: [
      node("Gather", ["logit_table", "input_ids"], ["logits"]),
      node("Gather", ["kv_table", "input_ids"], ["kv_bsd"]),
      node("Unsqueeze", ["kv_bsd", "axis_1"], ["kv_b1sd"]),
      node("Concat", ["past_key_values.0.key", "kv_b1sd"], ["present.0.key"], [
        onnx.AttributeProto.create({ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 2 }),
      ]),
      node("Concat", ["past_key_values.0.value", "kv_b1sd"], ["present.0.value"], [
        onnx.AttributeProto.create({ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 2 }),
      ]),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: "arbiter-build-counting-lm",
    producerVersion: "1",
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: 14 })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

export function buildCountingFiles(): Record<string, string | Uint8Array> {
  const vocab = countingVocab();
  const V = vocab.length;
  const vocabMap: Record<string, number> = {};
  vocab.forEach((tok, id) => (vocabMap[tok] = id));
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: "Fuse" },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<|endoftext|>",
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: vocabMap,
      merges: [],
    },
  };
  const tokenizerConfig = {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: null,
    eos_token: "<|im_end|>",
    pad_token: "<|endoftext|>",
    unk_token: "<|endoftext|>",
    padding_side: "left",
    model_max_length: 4096,
    clean_up_tokenization_spaces: false,
    chat_template: CHAT_TEMPLATE,
  };
  const config = {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    vocab_size: V,
    hidden_size: HEAD_DIM,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    num_key_value_heads: 1,
    head_dim: HEAD_DIM,
    max_position_embeddings: 4096,
    bos_token_id: 1,
    eos_token_id: EOS_ID,
    pad_token_id: PAD_ID,
    torch_dtype: "float32",
  };
  const generationConfig = { bos_token_id: 1, eos_token_id: EOS_ID, pad_token_id: PAD_ID, do_sample: false };
  const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
  return {
    "config.json": json(config),
    "generation_config.json": json(generationConfig),
    "tokenizer.json": json(tokenizer),
    "tokenizer_config.json": json(tokenizerConfig),
    "onnx/model.onnx": buildCountingOnnx(vocab),
  };
}

export function writeCountingLm(outDir: string): string[] {
  const written: string[] = [];
  for (const [rel, content] of Object.entries(buildCountingFiles())) {
    const path = join(outDir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    written.push(path);
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "counting-lm"));
  for (const path of writeCountingLm(outDir)) console.log(`wrote ${path}`);
}
