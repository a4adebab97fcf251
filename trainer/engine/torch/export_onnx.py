"""ONNX export in the layout @huggingface/transformers loads offline (reference/stack-notes.md 3):
inputs input_ids, attention_mask [batch, total_seq], position_ids, past_key_values.{i}.key/.value
[batch, num_kv_heads, past, head_dim]; outputs logits, present.{i}.key/.value. Opset <= 17 (torch 1.13)."""
import json
import os
import shutil

import torch

from model import CausalLM, ModelConfig

COPY_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
              "generation_config.json", "chat_template.jinja")


class _OnnxWrapper(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents = self.m(input_ids, attention_mask, position_ids, past)
        flat = []
        for k, v in presents:
            flat += [k, v]
        return (logits, *flat)


def export(state_dict, cfg_raw, out_dir, source_dir=None, opset=14):
    cfg = ModelConfig(cfg_raw)
    model = CausalLM(cfg)
    model.load_state_dict({k: v.float() for k, v in state_dict.items()}, strict=False)
    model.eval()
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    B, T, P = 1, 2, 3  # past_len > 0 so tracing does not specialise to an empty cache
    L = cfg.num_hidden_layers
    ids = torch.zeros((B, T), dtype=torch.long)
    mask = torch.ones((B, P + T), dtype=torch.long)
    pos = torch.arange(P, P + T).unsqueeze(0)
    past = []
    in_names = ["input_ids", "attention_mask", "position_ids"]
    out_names = ["logits"]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for i in range(L):
        for kind in ("key", "value"):
            past.append(torch.zeros((B, cfg.num_key_value_heads, P, cfg.head_dim)))
            n_in, n_out = f"past_key_values.{i}.{kind}", f"present.{i}.{kind}"
            in_names.append(n_in)
            out_names.append(n_out)
            axes[n_in] = {0: "batch_size", 2: "past_sequence_length"}
            axes[n_out] = {0: "batch_size", 2: "total_sequence_length"}
    path = os.path.join(out_dir, "onnx", "model.onnx")
    with torch.no_grad():
        torch.onnx.export(_OnnxWrapper(model), (ids, mask, pos, *past), path, input_names=in_names,
                          output_names=out_names, dynamic_axes=axes, opset_version=opset,
                          do_constant_folding=True)
    raw = dict(cfg_raw)
    raw.setdefault("head_dim", cfg.head_dim)
    raw.setdefault("num_key_value_heads", cfg.num_key_value_heads)
    raw["torch_dtype"] = "float32"
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(raw, f, indent=2)
    if source_dir and os.path.abspath(source_dir) != os.path.abspath(out_dir):
        for name in COPY_FILES:
            src = os.path.join(source_dir, name)
            if os.path.exists(src):
                shutil.copyfile(src, os.path.join(out_dir, name))
    return path
