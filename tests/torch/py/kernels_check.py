"""Checks the torch engine's fast paths against their plain references; prints one JSON line.
Run by tests/torch/kernels.test.ts with /usr/bin/python3 (torch 1.13 CPU)."""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../trainer/engine/torch"))
from fused_logprob import fused_token_logprobs  # noqa: E402
from model import CausalLM, ModelConfig, init_weights  # noqa: E402
from sampling import sample  # noqa: E402
from static_decode import sample_static  # noqa: E402

out = {}
# fused lm_head log-probs vs autograd through log_softmax
torch.manual_seed(0)
N, H, V = 53, 16, 37
h = torch.randn(N, H, requires_grad=True)
W = torch.randn(V, H, requires_grad=True)
t = torch.randint(0, V, (N,))
g = torch.randn(N)
lp, ent = fused_token_logprobs(h, W, t, chunk=7)
(lp * g).sum().backward()
gh, gw = h.grad.clone(), W.grad.clone()
h.grad = None
W.grad = None
z = h @ W.t()
ref = torch.log_softmax(z, -1).gather(-1, t[:, None])[:, 0]
(ref * g).sum().backward()
ent_ref = -(torch.softmax(z, -1) * torch.log_softmax(z, -1)).sum(-1)
out["fused"] = {"lp": (lp - ref).abs().max().item(), "entropy": (ent - ent_ref).abs().max().item(),
                "grad_h": (gh - h.grad).abs().max().item(), "grad_w": (gw - W.grad).abs().max().item(),
                "grad_scale": W.grad.abs().max().item()}

# static-cache decoder vs the dynamic (torch.cat) sampler, greedy and sampled, with stop tokens
cfg = ModelConfig(dict(model_type="qwen2", vocab_size=97, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True))
m = CausalLM(cfg)
init_weights(m, 3, std=0.3)
m.eval()
prompts = [[5, 6, 7], [1], [9, 9, 9, 9, 9]]
rows = []
for temp in (0.0, 1.0):
    a = sample(m, prompts, 3, 12, temperature=temp, top_p=0.9, seed=4, stop_ids=[3], pad_id=0)
    b = sample_static(m, prompts, 3, 12, temperature=temp, top_p=0.9, seed=4, stop_ids=[3], pad_id=0, graph=False)
    pairs = [(x, y) for ga, gb in zip(a, b) for x, y in zip(ga, gb)]
    rows.append({"temperature": temp, "sameTokens": all(x["completion"] == y["completion"] for x, y in pairs),
                 "sameFinish": all(x["finish"] == y["finish"] for x, y in pairs),
                 "stops": sum(x["finish"] == "stop" for x, _ in pairs),
                 "maxLogprobDiff": max(abs(p - q) for x, y in pairs for p, q in zip(x["logprobs"], y["logprobs"]))})
out["static"] = rows
print(json.dumps(out))
