"""GPU check for the torch engine, runnable with Python alone (the GPU box has no Node).

  python trainer/engine/torch/gpu_check.py            # parity vs HF transformers + GRPO steps on a 0.5B shape
  python trainer/engine/torch/gpu_check.py --tiny     # the same on a tiny config (CPU is fine)

1. Logits parity against Hugging Face transformers on the same random weights (Llama and Qwen2
   configs), when transformers is installed.
2. GRPO steps through TorchEngine (the worker's own code: KV-cache sampling, forward_backward with
   per-token weights w_t = A_i / N_tokens, AdamW step) on a Qwen2-0.5B-shaped model with random
   weights, bf16 autocast on CUDA. Prints tokens/s (sampled + trained tokens over step time), the
   time split and forward/backward MFU = 6 * N * trained_tokens / fb_time / peak.
3. The same batch through a plain Hugging Face loop (generate + forward/backward) for comparison.
"""
import argparse
import json
import os
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine as engine_module  # noqa: E402
import safetensors_io  # noqa: E402
from engine import TorchEngine  # noqa: E402
from sampling import sample as dynamic_sample  # noqa: E402
from static_decode import sample_static  # noqa: E402
from model import CausalLM, ModelConfig, init_weights  # noqa: E402

PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12}

QWEN2_05B = dict(model_type="qwen2", vocab_size=151936, hidden_size=896, intermediate_size=4864,
                 num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2, rope_theta=1e6,
                 rms_norm_eps=1e-6, tie_word_embeddings=True, max_position_embeddings=32768,
                 eos_token_id=151643, pad_token_id=151643, hidden_act="silu")
TINY = dict(model_type="qwen2", vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, rope_theta=1e4, rms_norm_eps=1e-6,
            tie_word_embeddings=True, max_position_embeddings=2048, eos_token_id=0, pad_token_id=0,
            hidden_act="silu")


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def write_model_dir(cfg, seed):
    d = tempfile.mkdtemp(prefix="arbiter-gpu-")
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)
    m = CausalLM(ModelConfig(cfg))
    init_weights(m, seed)
    sd = {k: v for k, v in m.state_dict().items() if not (cfg.get("tie_word_embeddings") and k == "lm_head.weight")}
    safetensors_io.save_file(sd, os.path.join(d, "model.safetensors"), {"format": "pt"})
    return d


def parity(tiny, device):
    try:
        import transformers
    except ImportError:
        print("parity: Hugging Face transformers not installed; skipped")
        return
    base = dict(vocab_size=1000, hidden_size=256, intermediate_size=512, num_hidden_layers=3,
                num_attention_heads=8, num_key_value_heads=2, rms_norm_eps=1e-6, max_position_embeddings=1024,
                hidden_act="silu")
    cases = {
        "llama": dict(base, model_type="llama", rope_theta=500000.0, tie_word_embeddings=False,
                      rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                    "high_freq_factor": 4.0, "original_max_position_embeddings": 64}),
        "qwen2": dict(base, model_type="qwen2", rope_theta=1e6, tie_word_embeddings=True),
    }
    for name, cfg in cases.items():
        d = write_model_dir(cfg, seed=7)
        hf_cfg = transformers.AutoConfig.for_model(**cfg)
        hf = transformers.AutoModelForCausalLM.from_config(hf_cfg, torch_dtype=torch.float32)
        sd = safetensors_io.load_model_dir(d)
        missing, unexpected = hf.load_state_dict(sd, strict=False)
        missing = [k for k in missing if k != "lm_head.weight" and "rotary" not in k]
        assert not missing and not unexpected, (missing, unexpected)
        if cfg["tie_word_embeddings"]:
            hf.tie_weights()
        hf = hf.to(device).eval()
        eng = TorchEngine({"modelDir": d, "device": str(device), "bf16": False})
        eng.model.eval()
        g = torch.Generator().manual_seed(0)
        ids = torch.randint(0, cfg["vocab_size"], (3, 200), generator=g).to(device)
        with torch.no_grad():
            ours, _ = eng.model(ids)
            theirs = hf(input_ids=ids).logits
        diff = (ours.float() - theirs.float()).abs().max().item()
        agree = (ours.argmax(-1) == theirs.argmax(-1)).float().mean().item()
        print(f"parity {name}: max |logit diff| {diff:.3e}, argmax agreement {agree * 100:.2f}% "
              f"(transformers {transformers.__version__}, {device})")


def grpo_steps(cfg, steps, prompts_n, group, prompt_len, max_tokens, device, micro_tokens, lr, fused=False,
               compile_layers=False):
    d = write_model_dir(cfg, seed=1)
    eng = TorchEngine({"modelDir": d, "device": str(device), "bf16": True, "microBatchTokens": micro_tokens,
                       "fusedLogprobs": fused, "compile": compile_layers})
    info = eng.info()
    n_params = info["numParams"]
    print(f"grpo: {n_params / 1e6:.1f}M params on {info['device']} (torch {info['torchVersion']}), "
          f"{prompts_n} prompts x {group} samples, prompt {prompt_len} tokens, up to {max_tokens} new")
    g = torch.Generator().manual_seed(0)
    peak = next((v for k, v in PEAK_BF16.items() if torch.cuda.is_available() and k in torch.cuda.get_device_name()), None)
    rows = []
    for step in range(steps):
        prompts = torch.randint(1, cfg["vocab_size"], (prompts_n, prompt_len), generator=g).tolist()
        sync(); t0 = time.perf_counter()
        groups = eng.sample(prompts, group, {"maxTokens": max_tokens, "temperature": 1.0, "seed": step})
        sync(); t1 = time.perf_counter()
        seqs, weights, sampled = [], [], 0
        # a verifiable stand-in reward: the fraction of even token ids; GRPO advantages per group
        for p, grp in zip(prompts, groups):
            r = torch.tensor([sum(1 for t in s["completion"] if t % 2 == 0) / max(1, len(s["completion"])) for s in grp])
            a = (r - r.mean()) / (r.std() + 1e-6)
            for s, adv in zip(grp, a.tolist()):
                seqs.append((p, s["completion"]))
                weights.append(adv)
                sampled += len(s["completion"])
        n_tok = sum(len(c) for _, c in seqs)
        w = [torch.full((len(c),), adv / n_tok) for (_, c), adv in zip(seqs, weights)]
        sync(); t2 = time.perf_counter()
        eng.forward_backward(seqs, w)
        sync(); t3 = time.perf_counter()
        eng.optim_step({"learningRate": lr, "maxGradNorm": 1.0})
        sync(); t4 = time.perf_counter()
        trained = sum(len(p) + len(c) for p, c in seqs)
        step_t = t4 - t0
        row = dict(step=step, sample_s=t1 - t0, fb_s=t3 - t2, optim_s=t4 - t3, step_s=step_t,
                   sampled=sampled, trained=trained, tok_s=(sampled + trained) / step_t,
                   fb_tflops=6 * n_params * trained / (t3 - t2) / 1e12)
        if peak:
            row["mfu"] = 6 * n_params * trained / (t3 - t2) / peak
        rows.append(row)
        print("grpo step " + json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}))
    warm = rows[1:] or rows
    mean = {k: sum(r[k] for r in warm) / len(warm) for k in warm[0] if k != "step"}
    print("grpo summary (steps after the first): " + json.dumps({k: round(v, 4) for k, v in mean.items()}))
    if torch.cuda.is_available():
        print(f"grpo peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")
    return d, mean


def hf_baseline(model_dir, cfg, prompts_n, group, prompt_len, max_tokens, device):
    """The same batch through a plain Hugging Face loop: generate(do_sample) + one forward/backward."""
    try:
        import transformers
    except ImportError:
        print("hf baseline: transformers not installed; skipped")
        return None
    hf_cfg = transformers.AutoConfig.for_model(**cfg)
    hf = transformers.AutoModelForCausalLM.from_config(hf_cfg, torch_dtype=torch.float32)
    hf.load_state_dict(safetensors_io.load_model_dir(model_dir), strict=False)
    hf.tie_weights()
    hf = hf.to(device)
    opt = torch.optim.AdamW(hf.parameters(), lr=1e-6)
    g = torch.Generator().manual_seed(0)
    times = []
    for step in range(3):
        ids = torch.randint(1, cfg["vocab_size"], (prompts_n, prompt_len), generator=g).to(device)
        sync(); t0 = time.perf_counter()
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda"):
            out = hf.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True, max_new_tokens=max_tokens,
                              min_new_tokens=max_tokens, num_return_sequences=group, pad_token_id=0)
        sync(); t1 = time.perf_counter()
        hf.train()
        for mb in out.split(16):  # micro-batches, as any plain loop must at this vocabulary size
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda"):
                logits = hf(mb).logits[:, prompt_len - 1:-1].float()
                lp = torch.log_softmax(logits, -1).gather(-1, mb[:, prompt_len:, None])[..., 0]
                loss = -(lp * torch.randn(lp.shape[0], 1, device=device)).sum() / out[:, prompt_len:].numel()
            loss.backward()
            del logits, lp, loss
        opt.step(); opt.zero_grad(set_to_none=True)
        sync(); t2 = time.perf_counter()
        sampled = out.shape[0] * max_tokens
        trained = out.numel()
        times.append(dict(sample_s=t1 - t0, fb_optim_s=t2 - t1, tok_s=(sampled + trained) / (t2 - t0)))
        print("hf step " + json.dumps({k: round(v, 4) for k, v in times[-1].items()}))
    warm = times[1:]
    mean = {k: sum(r[k] for r in warm) / len(warm) for k in warm[0]}
    print("hf summary: " + json.dumps({k: round(v, 4) for k, v in mean.items()}))
    return mean


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--micro-tokens", type=int, default=16384)
    ap.add_argument("--skip-hf", action="store_true")
    ap.add_argument("--skip-parity", action="store_true")
    ap.add_argument("--compile", action="store_true", help="torch.compile each decoder layer (torch 2.x)")
    ap.add_argument("--fused-logprobs", action="store_true", help="chunked fused lm_head log-probs (less memory)")
    ap.add_argument("--sampler", choices=["static", "dynamic", "both"], default="static",
                    help="static: preallocated KV cache replayed as a CUDA graph; dynamic: torch.cat cache")
    a = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, CUDA {torch.version.cuda}")
    torch.backends.cuda.matmul.allow_tf32 = True
    if not a.skip_parity:
        parity(a.tiny, device)
    cfg = TINY if a.tiny else QWEN2_05B
    if a.tiny:
        a.prompts, a.group, a.prompt_len, a.max_tokens, a.steps = 2, 4, 8, 8, 2
    for which in (["dynamic", "static"] if a.sampler == "both" else [a.sampler]):
        engine_module.sample_static = sample_static if which == "static" else dynamic_sample
        print(f"sampler: {which}")
        d, ours = grpo_steps(cfg, a.steps, a.prompts, a.group, a.prompt_len, a.max_tokens, device, a.micro_tokens,
                             1e-6, a.fused_logprobs, a.compile)
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if not a.skip_hf:
        theirs = hf_baseline(d, cfg, a.prompts, a.group, a.prompt_len, a.max_tokens, device)
        if theirs:
            print(f"tokens/s: arbiter torch engine {ours['tok_s']:.0f} vs plain HF loop {theirs['tok_s']:.0f} "
                  f"({ours['tok_s'] / theirs['tok_s']:.2f}x)")


if __name__ == "__main__":
    main()
